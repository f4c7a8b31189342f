// The page: window.duizhang (the API), and the user interface built on it.
// Nothing here makes a request: the engine's WebAssembly and the worker's
// code are inlined in the page, read from two inert <script> elements.
"use strict";

(function () {
  // ---- The API: one worker, one command at a time, in order. ----------
  const workerSource = document.getElementById("worker-source").textContent;
  const engineText = document.getElementById("engine").textContent.trim();
  const pending = new Map();
  let nextId = 1;
  let ready;
  let whenReady;
  let worker = null;
  const phaseListeners = new Set();

  // A worker with the engine loaded. After an internal error (a trap) it
  // is thrown away and a fresh one started: the engine's memory after a
  // trap cannot be trusted.
  function startWorker() {
    whenReady = new Promise((resolve, reject) => { ready = { resolve, reject }; });
    worker = new Worker(URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" })));
    worker.onmessage = onMessage;
    worker.onerror = (event) => {
      // The call the worker was running is lost with it; the ones after
      // it are sent again.
      const error = { message: `the worker stopped: ${event.message || "unknown error"}`, location: null, internal: true };
      const first = pending.keys().next();
      if (!first.done) {
        pending.get(first.value).reject(error);
        pending.delete(first.value);
      }
      restart();
    };
    worker.postMessage({ type: "init", wasm: engineText });
  }

  // The calls sent to a worker that is thrown away are sent again, in
  // their order, to the fresh one: none is left waiting.
  function restart() {
    worker.terminate();
    startWorker();
    for (const waiting of pending.values()) worker.postMessage(waiting.message);
  }

  function onMessage(event) {
    const message = event.data;
    if (message.type === "ready") {
      ready.resolve();
      return;
    }
    if (message.type === "phase") {
      for (const listener of phaseListeners) listener(message);
      return;
    }
    if (message.id === null && message.type === "error") {
      ready.reject(message.error);
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.type === "result") {
      const result = message.result;
      const details = result.details ? JSON.parse(result.details) : {};
      waiting.resolve({
        outputs: result.outputs,
        headline: result.headline,
        messages: result.messages,
        exit: result.exit,
        findings: details.findings || [],
        bundle: result.bundle || null,
        engine_memory_bytes: result.engine_memory_bytes,
      });
    } else {
      if (message.error && message.error.internal) restart();
      waiting.reject(message.error);
    }
  }
  startWorker();

  function command(name) {
    return async function (entries, options) {
      if (!Array.isArray(entries)) {
        throw { message: "entries must be an array of {path, data}", location: null };
      }
      const opts = Object.assign({}, options || {});
      const register = opts.register || null;
      delete opts.register;
      await whenReady;
      const id = nextId;
      nextId += 1;
      return new Promise((resolve, reject) => {
        const message = { type: "run", id, command: name, entries, register, options: opts };
        pending.set(id, { resolve, reject, message });
        worker.postMessage(message);
      });
    };
  }

  const api = {
    reconcile: command("reconcile"),
    check: command("check"),
    notice: command("notice"),
    // For tests: makes the engine trap, to show how a defect is reported.
    trapForTest: () => command("trapForTest")([], {}),
    ready: () => whenReady,
    onPhase: (listener) => { phaseListeners.add(listener); return () => phaseListeners.delete(listener); },
  };
  Object.defineProperty(window, "duizhang", { value: Object.freeze(api), enumerable: true });

  // ---- The user interface. --------------------------------------------
  const $ = (id) => document.getElementById(id);
  let lang = "zh";
  let entries = [];
  let lastResult = null;
  let objectUrls = [];

  const words = {
    zh: {
      files: (count, mb) => `已选择 ${count} 个文件，共 ${mb} MB。读取情况：`,
      checking: "正在检查文件…",
      load: (done, total) => `读取文件 ${done}/${total}`,
      reconcile: "正在对账…",
      check: "正在检查…",
      notice: "正在生成公示表…",
      done: "完成",
      wait: "正在加载对账引擎…",
      all: "全部",
      zip: "全部下载（.zip）",
      shown: (shown, total) => shown < total ? `显示前 ${shown} 条，共 ${total} 条（可用上面的筛选缩小范围）` : `共 ${total} 条`,
      none: "没有发现问题。",
      more: (count) => ` …（共${count}处）`,
      location: "位置：",
      columns: ["严重程度", "问题类型", "区划", "姓名", "身份证号", "项目", "期间", "金额（元）", "说明", "处理建议", "来源行"],
      register: { items: "台账事项", open: "未整改", overdue: "逾期", closed: "已销号", new: "本次新增", closed_now: "本次销号", reopened: "重新出现（可能虚假整改）" },
      exitOne: "按“问题严重程度”设置，本次对账不通过。",
      language: "English",
      languageLabel: "Switch to English",
    },
    en: {
      files: (count, mb) => `${count} files chosen, ${mb} MB. How they read:`,
      checking: "Checking the files…",
      load: (done, total) => `Reading files ${done}/${total}`,
      reconcile: "Reconciling…",
      check: "Checking…",
      notice: "Making the notice…",
      done: "Done",
      wait: "Loading the engine…",
      all: "All",
      zip: "Download all (.zip)",
      shown: (shown, total) => shown < total ? `The first ${shown} of ${total} (narrow them with the filters above)` : `${total} in all`,
      none: "No findings.",
      more: (count) => ` … (${count} in all)`,
      location: "Where: ",
      columns: ["Severity", "Finding", "Region", "Name", "ID number", "Program", "Period", "Amount (yuan)", "What it means", "What to do", "Source rows"],
      register: { items: "items", open: "open", overdue: "overdue", closed: "closed", new: "new this run", closed_now: "closed this run", reopened: "reopened (possible false rectification)" },
      exitOne: "The run fails the severity threshold set.",
      language: "中文",
      languageLabel: "切换到中文",
    },
  };
  const say = () => words[lang];

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const element of document.querySelectorAll("[data-zh]")) {
      element.textContent = element.dataset[lang];
    }
    $("language").textContent = say().language;
    $("language").setAttribute("aria-label", say().languageLabel);
  }

  // While a command runs the case cannot change: the pickers are off and
  // a drop is refused, so the results on screen are of the files listed.
  let busyNow = false;
  function setBusy(busy) {
    busyNow = busy;
    $("run").disabled = busy || entries.length === 0;
    $("run-notice").disabled = busy || entries.length === 0 || !$("period").value;
    $("pick-folder").disabled = busy;
    $("pick-files").disabled = busy;
  }

  function showPhase(text, fraction) {
    $("progress-box").hidden = false;
    $("phase").textContent = text;
    $("progress").value = Math.round(fraction * 100);
  }

  api.onPhase((message) => {
    const w = say();
    if (message.phase === "load") {
      showPhase(w.load(message.done, message.total), 0.05 + 0.35 * (message.done / Math.max(1, message.total)));
    } else if (message.phase === "done") {
      showPhase(w.done, 0.95);
    } else {
      showPhase(w[message.phase] || message.phase, 0.5);
    }
  });

  function clearError() {
    $("error-box").hidden = true;
    $("error-report").hidden = true;
  }

  function showError(error) {
    const w = say();
    $("error-box").hidden = false;
    $("error-message").textContent = (error && error.message) || String(error);
    $("error-location").textContent = error && error.location ? w.location + error.location : "";
    if (error && error.report) {
      $("error-report").hidden = false;
      $("error-report").textContent = error.report;
    }
    $("error-box").scrollIntoView({ block: "nearest" });
  }

  // The case folder's own name is left off a folder's paths.
  function relativePath(file) {
    const path = file.webkitRelativePath || file.name;
    const parts = path.split("/");
    return parts.length > 1 ? parts.slice(1).join("/") : path;
  }

  async function choose(files) {
    if (busyNow) return;
    entries = files.filter((file) => !file.path.split("/").some((part) => part.startsWith(".")));
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    $("result-box").hidden = true;
    clearError();
    const bytes = entries.reduce((sum, entry) => sum + entry.data.size, 0);
    $("files-found").hidden = false;
    $("files-summary").textContent = say().files(entries.length, (bytes / 1048576).toFixed(1));
    $("check-report").textContent = say().checking;
    $("check-report").hidden = false;
    setBusy(true);
    try {
      const checked = await api.check(entries, { lang });
      $("check-report").textContent = checked.headline;
    } catch (error) {
      $("check-report").textContent = (error && error.report) || "";
      $("check-report").hidden = !$("check-report").textContent;
      showError(error);
    } finally {
      $("progress-box").hidden = true;
      setBusy(false);
    }
  }

  $("folder-input").addEventListener("change", (event) => {
    const files = Array.from(event.target.files).map((file) => ({ path: relativePath(file), data: file }));
    event.target.value = "";
    choose(files);
  });
  $("files-input").addEventListener("change", (event) => {
    const files = Array.from(event.target.files).map((file) => ({ path: file.name, data: file }));
    event.target.value = "";
    choose(files);
  });
  $("pick-folder").addEventListener("click", () => $("folder-input").click());
  $("pick-files").addEventListener("click", () => $("files-input").click());
  $("drop").addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      $("folder-input").click();
    }
  });
  $("period").addEventListener("input", () => setBusy(false));

  // A dropped folder is read through the entries API (its own name left
  // off); dropped files are taken by name.
  function readEntry(entry, prefix, into) {
    return new Promise((resolve) => {
      if (entry.isFile) {
        entry.file((file) => { into.push({ path: prefix + file.name, data: file }); resolve(); }, () => resolve());
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const all = [];
        const more = () => reader.readEntries(async (batch) => {
          if (batch.length === 0) {
            for (const child of all) await readEntry(child, prefix + entry.name + "/", into);
            resolve();
          } else {
            all.push(...batch);
            more();
          }
        }, () => resolve());
        more();
      } else {
        resolve();
      }
    });
  }

  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (busyNow) return;
    const transfer = event.dataTransfer;
    const found = [];
    const items = Array.from(transfer.items || []);
    const fileEntries = items.map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null)).filter(Boolean);
    if (fileEntries.length === 1 && fileEntries[0].isDirectory) {
      // One folder: the case itself; its name is not part of the paths.
      const folder = fileEntries[0];
      const reader = folder.createReader();
      const children = [];
      await new Promise((resolve) => {
        const more = () => reader.readEntries((batch) => {
          if (batch.length === 0) resolve(); else { children.push(...batch); more(); }
        }, () => resolve());
        more();
      });
      for (const child of children) await readEntry(child, "", found);
    } else if (fileEntries.length > 0) {
      for (const entry of fileEntries) await readEntry(entry, "", found);
    } else {
      for (const file of Array.from(transfer.files || [])) found.push({ path: file.name, data: file });
    }
    choose(found);
  });

  function download(name, bytes, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    objectUrls.push(url);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.textContent = name;
    return link;
  }

  function typeOf(name) {
    if (name.endsWith(".csv")) return "text/csv";
    if (name.endsWith(".json")) return "application/json";
    if (name.endsWith(".xlsx")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    return "application/octet-stream";
  }

  function showDownloads(result) {
    for (const url of objectUrls) URL.revokeObjectURL(url);
    objectUrls = [];
    const box = $("downloads");
    box.textContent = "";
    if (result.bundle) {
      const zip = download("duizhang-outputs.zip", result.bundle, "application/zip");
      zip.textContent = say().zip;
      zip.id = "download-zip";
      box.append(zip);
    }
    for (const output of result.outputs) box.append(download(output.path, output.data, typeOf(output.path)));
  }

  function showRegister(result) {
    const run = result.outputs.find((output) => output.path === "run.json");
    const box = $("register-box");
    box.hidden = true;
    if (!run) return;
    let register;
    try {
      register = JSON.parse(new TextDecoder().decode(run.data)).register;
    } catch (ignored) {
      return;
    }
    if (!register) return;
    const counts = $("register-counts");
    counts.textContent = "";
    const names = say().register;
    for (const key of Object.keys(names)) {
      if (typeof register[key] !== "number") continue;
      const span = document.createElement("span");
      span.className = "count";
      const number = document.createElement("b");
      number.textContent = String(register[key]);
      span.append(names[key] + " ", number);
      counts.append(span);
    }
    box.hidden = counts.childElementCount === 0;
  }

  const MAX_ROWS_SHOWN = 500;

  function fillSelect(select, values) {
    const chosen = select.value;
    select.textContent = "";
    const all = document.createElement("option");
    all.value = "";
    all.textContent = say().all;
    select.append(all);
    for (const [value, label] of values) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      select.append(option);
    }
    if (values.some(([value]) => value === chosen)) select.value = chosen;
  }

  function showFindings(result) {
    const box = $("findings-box");
    const findings = result.findings;
    box.hidden = false;
    const unique = (pick) => {
      const seen = new Map();
      for (const finding of findings) {
        const [value, label] = pick(finding);
        if (!seen.has(value)) seen.set(value, label);
      }
      return Array.from(seen.entries()).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    };
    fillSelect($("filter-region"), unique((f) => [f.region, f.region_name || f.region || "—"]));
    fillSelect($("filter-code"), unique((f) => [f.code, f.code_name]));
    const severities = unique((f) => [f.severity, f.severity_name]);
    const rank = { high: 0, medium: 1, low: 2 };
    severities.sort((a, b) => rank[a[0]] - rank[b[0]]);
    fillSelect($("filter-severity"), severities);
    fillHead();
    renderFindings();
  }

  function fillHead() {
    const head = $("findings-head");
    head.textContent = "";
    for (const title of say().columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = title;
      head.append(th);
    }
  }

  // A finding may cite dozens of rows (an account shared by many): the
  // table shows the first few and how many; all are in findings.csv and
  // in the cell's tooltip.
  const SOURCES_SHOWN = 3;
  function shortSources(sources) {
    const parts = (sources || "").split(";");
    if (parts.length <= SOURCES_SHOWN) return sources || "";
    return parts.slice(0, SOURCES_SHOWN).join(";") + say().more(parts.length);
  }

  function renderFindings() {
    if (!lastResult) return;
    const region = $("filter-region").value;
    const code = $("filter-code").value;
    const severity = $("filter-severity").value;
    const chosen = lastResult.findings.filter((f) =>
      (!region || f.region === region) && (!code || f.code === code) && (!severity || f.severity === severity));
    const body = $("findings-body");
    body.textContent = "";
    const shown = chosen.slice(0, MAX_ROWS_SHOWN);
    for (const f of shown) {
      const tr = document.createElement("tr");
      const cells = [
        [f.severity_name, "nowrap sev-" + f.severity],
        [f.code_name, "nowrap"],
        [f.region_name || f.region, "nowrap"],
        [f.name, "nowrap"],
        [f.id_number, "nowrap"],
        [f.program || "", "nowrap"],
        [f.period || "", "nowrap"],
        [f.amount || "", "money"],
        [f.explain, "wide"],
        [f.advice, "wide"],
        [shortSources(f.sources), "sources"],
      ];
      for (const [text, cls] of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        if (cls === "sources" && text !== f.sources) td.title = f.sources;
        tr.append(td);
      }
      body.append(tr);
    }
    $("findings-shown").textContent = chosen.length === 0 && lastResult.findings.length === 0
      ? say().none
      : say().shown(shown.length, chosen.length);
  }
  for (const id of ["filter-region", "filter-code", "filter-severity"]) $(id).addEventListener("change", renderFindings);

  function showResult(result, withFindings) {
    lastResult = result;
    $("result-box").hidden = false;
    $("headline").textContent = result.headline + (result.exit === 1 ? "\n" + say().exitOne : "");
    const list = $("messages");
    list.textContent = "";
    for (const message of result.messages) {
      const li = document.createElement("li");
      li.textContent = message;
      list.append(li);
    }
    showDownloads(result);
    if (withFindings) {
      showRegister(result);
      showFindings(result);
    } else {
      $("register-box").hidden = true;
      $("findings-box").hidden = true;
    }
    $("result-box").scrollIntoView({ block: "nearest" });
  }

  async function registerEntry() {
    const file = $("register").files[0];
    return file ? { path: file.name, data: file } : undefined;
  }

  async function runCommand(name) {
    clearError();
    $("result-box").hidden = true;
    setBusy(true);
    showPhase(say().wait, 0.02);
    const options = { lang };
    if (name === "reconcile") {
      if ($("from").value) options.from = $("from").value;
      if ($("to").value) options.to = $("to").value;
      options.report = $("report").checked;
      options.bom = $("bom").checked;
      const register = await registerEntry();
      if (register) options.register = register;
    } else {
      options.period = $("period").value;
    }
    try {
      const result = await api[name](entries, options);
      showPhase(say().done, 1);
      showResult(result, name === "reconcile");
    } catch (error) {
      $("progress-box").hidden = true;
      showError(error);
    } finally {
      setBusy(false);
    }
  }
  $("run").addEventListener("click", () => runCommand("reconcile"));
  $("run-notice").addEventListener("click", () => runCommand("notice"));

  $("language").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    applyLanguage();
    if (lastResult && !$("findings-box").hidden) {
      // The table's words come from the engine in the run's language; the
      // headings follow the switch at once, the rows at the next run.
      fillHead();
    }
  });

  applyLanguage();
  api.ready().catch(showError);
})();
