// Drives web/dist/duizhang.html in Debian's Chromium (headless, through
// playwright-core) and checks it against the CLI:
//   - the API (window.duizhang) on fixtures/demo and fixtures/demo-office:
//     every CSV output and run.json byte for byte the CLI's, each workbook
//     the same sheets and cells (compare_xlsx.py), check's report and the
//     notice alike, an error case refused with the CLI's message;
//   - the page as a clerk uses it: a folder picked, the check shown, the
//     run, the findings filtered, the .zip downloaded and unpacked; files
//     dropped; an error shown; English; 125 % zoom; a trap caught;
//   - no request leaves the page (any URL not file:, data:, blob:, about:).
// Screenshots of each state go to web/test/artifacts/.
//
//   node web/test/run.mjs --cli PATH/TO/duizhang [--chromium /usr/bin/chromium]
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, "..", "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const cli = path.resolve(option("--cli", path.join(repository, "target/debug/duizhang")));
const browserPath = option("--chromium", "/usr/bin/chromium");
const page_path = path.join(repository, "web/dist/duizhang.html");
const artifacts = path.join(here, "artifacts");
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "duizhang-web-"));

let failures = 0;
let passes = 0;
function check(ok, what) {
  if (ok) {
    passes += 1;
    console.log(`ok    ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL  ${what}`);
  }
}

// ---- The CLI's answers. ---------------------------------------------------
function runCli(argv) {
  const result = spawnSync(cli, argv, { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function filesUnder(folder) {
  const found = [];
  const walk = (current) => {
    for (const name of fs.readdirSync(current).sort()) {
      const full = path.join(current, name);
      const stat = fs.lstatSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile()) found.push(path.relative(folder, full).split(path.sep).join("/"));
    }
  };
  walk(folder);
  return found;
}

function entriesOf(folder) {
  return filesUnder(folder).map((relative) => ({
    path: relative,
    data: fs.readFileSync(path.join(folder, relative)).toString("base64"),
  }));
}

function compareOutputs(label, outputs, folder) {
  const expected = fs.readdirSync(folder).filter((name) => fs.statSync(path.join(folder, name)).isFile()).sort();
  const names = outputs.map((output) => output.path).sort();
  check(JSON.stringify(names) === JSON.stringify(expected), `${label}: the outputs are the CLI's (${expected.join(", ")})`);
  for (const output of outputs) {
    const theirs = path.join(folder, output.path);
    if (!fs.existsSync(theirs)) continue;
    const ours = Buffer.from(output.data, "base64");
    if (output.path.endsWith(".xlsx")) {
      const saved = path.join(scratch, `${label.replace(/[^a-z0-9]+/gi, "-")}-${output.path}`);
      fs.writeFileSync(saved, ours);
      const compared = spawnSync("python3", [path.join(here, "compare_xlsx.py"), theirs, saved], { encoding: "utf8" });
      check(compared.status === 0, `${label}: ${output.path} holds the CLI's sheets and cells (${(compared.stdout || compared.stderr).trim().split("\n")[0]})`);
    } else {
      check(Buffer.compare(ours, fs.readFileSync(theirs)) === 0, `${label}: ${output.path} is byte for byte the CLI's (${ours.length} bytes)`);
    }
  }
}

// ---- The browser. ---------------------------------------------------------
const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
const requests = [];
const allowed = /^(file|data|blob|about):/;
async function newPage(scale = 1) {
  const context = await browser.newContext({ acceptDownloads: true, deviceScaleFactor: scale, viewport: { width: 1280, height: 900 } });
  context.on("request", (request) => {
    if (!allowed.test(request.url())) requests.push(request.url());
  });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  await page.goto(pathToFileURL(page_path).href);
  await page.evaluate(() => window.duizhang.ready());
  return { context, page, problems };
}

// In the page: entries given as base64 (from Node) become Uint8Arrays,
// the command runs, and the outputs come back as base64.
async function callApi(page, command, entries, options) {
  return page.evaluate(async ({ command, entries, options }) => {
    const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const base64 = (data) => {
      let text = "";
      for (let i = 0; i < data.length; i += 32768) text += String.fromCharCode.apply(null, data.subarray(i, i + 32768));
      return btoa(text);
    };
    const given = entries.map((entry) => ({ path: entry.path, data: bytes(entry.data) }));
    if (options.register) options.register = { path: options.register.path, data: bytes(options.register.data) };
    const started = performance.now();
    try {
      const result = await window.duizhang[command](given, options);
      const took = performance.now() - started;
      return {
        ok: true,
        took,
        headline: result.headline,
        messages: result.messages,
        exit: result.exit,
        findings: result.findings.length,
        outputs: result.outputs.map((output) => ({ path: output.path, data: base64(output.data) })),
      };
    } catch (error) {
      return { ok: false, error: { message: error.message, location: error.location, report: error.report || null } };
    }
  }, { command, entries, options });
}

const { page, problems } = await newPage();
await page.screenshot({ path: path.join(artifacts, "01-opened.png"), fullPage: true });

// ---- The API against the CLI. --------------------------------------------
for (const name of ["demo", "demo-office"]) {
  const folder = path.join(repository, "fixtures", name);
  const entries = entriesOf(folder);
  const out = path.join(scratch, `cli-${name}`);
  const cliRun = runCli(["reconcile", folder, "--out", out, "--report", "--quiet"]);
  check(cliRun.code === 0, `${name}: the CLI ran (exit ${cliRun.code})`);
  const result = await callApi(page, "reconcile", entries, { report: true });
  check(result.ok, `${name}: reconcile through the API ${result.ok ? `in ${Math.round(result.took)} ms` : JSON.stringify(result.error)}`);
  if (result.ok) {
    console.log(`time  ${name}: reconcile with the report, ${Math.round(result.took)} ms from the call to its result`);
    compareOutputs(`${name} --report`, result.outputs, out);
    check(result.exit === 0, `${name}: exit 0`);
  }
  const outBom = path.join(scratch, `cli-${name}-bom`);
  runCli(["reconcile", folder, "--out", outBom, "--bom", "--lang", "en", "--from", "2024-03", "--to", "2024-10", "--quiet", "--fail-on", "high"]);
  const bom = await callApi(page, "reconcile", entries, { bom: true, lang: "en", from: "2024-03", to: "2024-10", fail_on: "high" });
  check(bom.ok && bom.exit === 1, `${name}: --bom --lang en --from --to --fail-on high through the API (exit ${bom.ok ? bom.exit : "error"})`);
  if (bom.ok) compareOutputs(`${name} --bom`, bom.outputs, outBom);

  const checked = runCli(["check", folder]);
  const ours = await callApi(page, "check", entries, {});
  check(ours.ok && ours.headline.trim() === checked.stdout.trim(), `${name}: check's report is the CLI's`);

  const noticeFile = path.join(scratch, `notice-${name}`, "notice-2024-07.xlsx");
  fs.mkdirSync(path.dirname(noticeFile), { recursive: true });
  runCli(["notice", folder, "--period", "2024-07", "--out", noticeFile]);
  const notice = await callApi(page, "notice", entries, { period: "2024-07" });
  check(notice.ok, `${name}: notice through the API`);
  if (notice.ok) compareOutputs(`${name} notice`, notice.outputs, path.dirname(noticeFile));
}

// The register carried on: case22 as its args.txt says.
{
  const folder = path.join(repository, "fixtures/spec-examples/case22");
  const argsText = fs.readFileSync(path.join(folder, "args.txt"), "utf8").trim().split(/\s+/);
  const registerName = argsText[argsText.indexOf("--register") + 1];
  const out = path.join(scratch, "cli-case22");
  runCli(["reconcile", folder, "--out", out, ...argsText.map((arg) => (arg === registerName ? path.join(folder, arg) : arg)), "--quiet"]);
  // Every file of the folder, as the CLI sees it (the unused ones too).
  const entries = entriesOf(folder);
  const options = {};
  for (let i = 0; i < argsText.length; i += 2) {
    const flag = argsText[i].replace(/^--/, "");
    if (flag === "register") options.register = { path: registerName, data: fs.readFileSync(path.join(folder, registerName)).toString("base64") };
    else options[flag] = argsText[i + 1];
  }
  const result = await callApi(page, "reconcile", entries, options);
  check(result.ok, `case22: the register carried on through the API ${result.ok ? "" : JSON.stringify(result.error)}`);
  if (result.ok) compareOutputs("case22", result.outputs, out);
}

// An error: the CLI's message, with its place.
{
  const folder = path.join(repository, "fixtures/errors/missing_column");
  const cliRun = runCli(["reconcile", folder, "--out", path.join(scratch, "cli-error")]);
  const result = await callApi(page, "reconcile", entriesOf(folder), {});
  const said = (cliRun.stderr.split("\n").find((line) => line.startsWith("duizhang: error: ")) || "").replace(/^duizhang: error: /, "");
  check(!result.ok && cliRun.code === 2 && result.error.message === said, `missing_column: refused with the CLI's message (${result.ok ? "not refused" : result.error.message})`);
  check(!result.ok && typeof result.error.location === "string" && result.error.location.length > 0, `missing_column: the error names its place (${result.ok ? "" : result.error.location})`);
}

// A bad option: the CLI's own words.
{
  const result = await callApi(page, "reconcile", [], { from: "2024-13" });
  check(!result.ok && /--from/.test(result.error.message), `a bad month is refused naming --from (${result.ok ? "" : result.error.message})`);
}

// Too much input: refused before it is read.
{
  const refused = await page.evaluate(async () => {
    const piece = new Uint8Array(1 << 20);
    const big = new Blob(Array.from({ length: 257 }, () => piece));
    try {
      await window.duizhang.reconcile([{ path: "payouts.csv", data: big }], {});
      return null;
    } catch (error) {
      return error.message;
    }
  });
  check(refused !== null && /duizhang/.test(refused) && /MB/.test(refused), `257 MB of input is refused, saying to use the CLI (${refused})`);
}

// Input errors of the caller are refused as such, not as defects.
{
  const outcome = await page.evaluate(async () => {
    const said = [];
    for (const call of [
      () => window.duizhang.check([null], {}),
      () => window.duizhang.notice([], { period: "2024-07", register: { path: "register.csv", data: new Uint8Array(1) } }),
      () => window.duizhang.check([], { from: 1n }),
    ]) {
      try {
        await call();
        said.push(null);
      } catch (error) {
        said.push({ message: error.message, internal: Boolean(error.internal) });
      }
    }
    return said;
  });
  check(outcome.every((said) => said && !said.internal), `bad entries, an option notice does not take and a value JSON cannot hold are input errors (${JSON.stringify(outcome)})`);
}

// Calls are answered in the order made, and the warnings read as the CLI's.
{
  const demo = entriesOf(path.join(repository, "fixtures/demo"));
  const small = entriesOf(path.join(repository, "fixtures/spec-examples/case22"));
  const order = await page.evaluate(async ({ demo, small }) => {
    const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const done = [];
    const first = window.duizhang.reconcile(demo.map((e) => ({ path: e.path, data: new Blob([bytes(e.data)]) })), { report: true }).then(() => done.push("demo"));
    const second = window.duizhang.check(small.map((e) => ({ path: e.path, data: bytes(e.data) })), {}).then((r) => { done.push("case22"); return r.messages; });
    await first;
    const messages = await second;
    return { done, messages };
  }, { demo, small });
  check(order.done.join(",") === "demo,case22", `two calls are answered in the order made (${order.done.join(", ")})`);
  check(order.messages.length > 0 && order.messages[0].startsWith("not read: "), `a warning names what was not read, with no empty place before it (${order.messages[0]})`);
}

// A trap in the engine is caught, shown, and the page goes on.
{
  const trapped = await page.evaluate(async () => {
    try {
      await window.duizhang.trapForTest();
      return null;
    } catch (error) {
      return error;
    }
  });
  check(trapped !== null && trapped.internal === true && /internal error/.test(trapped.message), `a trap is reported as an internal error (${trapped && trapped.message})`);
  const again = await callApi(page, "check", entriesOf(path.join(repository, "fixtures/spec-examples/case01")), {});
  check(again.ok, "after a trap the next command runs");
  // A call made right after the trap, not awaited, is answered too.
  const both = await page.evaluate(async () => {
    const trapped = window.duizhang.trapForTest().then(() => "resolved", () => "rejected");
    const next = window.duizhang.check([], {}).then(() => "resolved", (error) => (error.internal ? "internal" : "rejected"));
    return Promise.race([
      Promise.all([trapped, next]),
      new Promise((resolve) => setTimeout(() => resolve(["timed out"]), 60000)),
    ]);
  });
  check(both.join(",") === "rejected,rejected", `a call queued behind a trap is answered by the fresh engine (${both.join(", ")})`);
}

// ---- The page as a clerk uses it. ----------------------------------------
for (const name of ["demo-office", "demo"]) {
  const { page: ui, problems: uiProblems } = await newPage();
  const folder = path.join(repository, "fixtures", name);
  await ui.setInputFiles("#folder-input", folder);
  await ui.waitForFunction(() => {
    const text = document.getElementById("check-report").textContent;
    return text.length > 0 && !/正在检查/.test(text);
  });
  const report = await ui.textContent("#check-report");
  check(/roster|花名册|payouts/.test(report), `${name}: a picked folder is checked, each file said`);
  await ui.screenshot({ path: path.join(artifacts, `02-${name}-folder-checked.png`), fullPage: true });
  await ui.click("#run");
  await ui.waitForSelector("#result-box:not([hidden])");
  const headline = await ui.textContent("#headline");
  check(/发现问题/.test(headline), `${name}: the run's headline is shown in Chinese (${headline.split("\n")[0]})`);
  const rows = await ui.locator("#findings-body tr").count();
  check(rows > 0, `${name}: the findings table is filled (${rows} rows)`);
  const registerShown = await ui.isVisible("#register-box");
  check(registerShown, `${name}: the register's counts are shown`);
  await ui.screenshot({ path: path.join(artifacts, `03-${name}-run-done.png`), fullPage: true });
  const codes = await ui.locator("#filter-code option").allTextContents();
  await ui.selectOption("#filter-code", { index: 1 });
  const filtered = await ui.locator("#findings-body tr").count();
  check(filtered > 0 && filtered <= rows, `${name}: filtering by code (${codes[1]}) leaves ${filtered} rows`);
  await ui.selectOption("#filter-severity", { index: 1 });
  await ui.screenshot({ path: path.join(artifacts, `04-${name}-filtered.png`), fullPage: true });
  const [download] = await Promise.all([ui.waitForEvent("download"), ui.click("#download-zip")]);
  const zipPath = path.join(scratch, `outputs-${name}.zip`);
  await download.saveAs(zipPath);
  const unpacked = path.join(scratch, `unzipped-${name}`);
  fs.mkdirSync(unpacked, { recursive: true });
  const unzip = spawnSync("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zipPath, unpacked]);
  check(unzip.status === 0, `${name}: the .zip downloaded unpacks`);
  const cliOut = path.join(scratch, `cli-${name}`);
  for (const output of ["findings.csv", "ledger.csv", "summary.csv", "register.csv", "corrections.csv", "run.json"]) {
    const got = path.join(unpacked, output);
    check(fs.existsSync(got) && Buffer.compare(fs.readFileSync(got), fs.readFileSync(path.join(cliOut, output))) === 0, `${name}: the .zip's ${output} is the CLI's`);
  }
  // English, and the notice.
  await ui.click("#language");
  check((await ui.textContent("#run")) === "Reconcile", `${name}: the English switch relabels the page`);
  await ui.fill("#period", "2024-07");
  await ui.click("#run-notice");
  await ui.waitForSelector("#downloads a");
  const links = await ui.locator("#downloads a").allTextContents();
  check(links.includes("notice-2024-07.xlsx"), `${name}: the notice is offered for download (${links.join(", ")})`);
  await ui.screenshot({ path: path.join(artifacts, `05-${name}-english-notice.png`), fullPage: true });
  // Keyboard: the folder button is reachable by Tab.
  await ui.keyboard.press("Home");
  await ui.focus("#language");
  let reached = false;
  for (let step = 0; step < 6 && !reached; step += 1) {
    await ui.keyboard.press("Tab");
    reached = await ui.evaluate(() => document.activeElement && document.activeElement.id === "pick-folder");
  }
  check(reached, `${name}: the folder button is reached with the keyboard`);
  check(uiProblems.length === 0, `${name}: no script error on the page (${uiProblems.join("; ")})`);
  await ui.context().close();
}

// Files dropped (a DataTransfer of files, as Chromium lets a page build
// one), then a bad case showing its error.
{
  const { page: ui, problems: uiProblems } = await newPage();
  const folder = path.join(repository, "fixtures/codes/SHORTFALL");
  const entries = entriesOf(folder).filter((entry) => !entry.path.startsWith("expected") && entry.path !== "args.txt");
  await ui.evaluate((entries) => {
    const transfer = new DataTransfer();
    for (const entry of entries) {
      const bytes = Uint8Array.from(atob(entry.data), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], entry.path));
    }
    const drop = document.getElementById("drop");
    drop.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, entries);
  await ui.waitForFunction(() => {
    const text = document.getElementById("check-report").textContent;
    return text.length > 0 && !/正在检查/.test(text);
  });
  check(/roster\.csv/.test(await ui.textContent("#check-report")), "dropped files are checked");
  await ui.click("#run");
  await ui.waitForSelector("#result-box:not([hidden])");
  const codes = await ui.locator("#findings-body tr td:nth-child(2)").allTextContents();
  check(codes.includes("少发"), `the dropped case's SHORTFALL is shown as 少发 (${codes.join(", ")})`);

  const bad = path.join(repository, "fixtures/errors/missing_column");
  await ui.setInputFiles("#files-input", filesUnder(bad).map((name) => path.join(bad, name)));
  await ui.waitForSelector("#error-box:not([hidden])");
  const message = await ui.textContent("#error-message");
  const where = await ui.textContent("#error-location");
  check(message.length > 0 && where.length > 0, `a bad case shows its error and place (${where})`);
  await ui.screenshot({ path: path.join(artifacts, "06-error.png"), fullPage: true });
  check(uiProblems.length === 0, `no script error on the dropping page (${uiProblems.join("; ")})`);
  await ui.context().close();
}

// 125 % zoom: the page fits its width (no sideways scrolling).
{
  const { page: zoomed } = await newPage(1.25);
  await zoomed.setViewportSize({ width: 1024, height: 800 });
  await zoomed.setInputFiles("#folder-input", path.join(repository, "fixtures/demo"));
  await zoomed.waitForFunction(() => !/正在检查/.test(document.getElementById("check-report").textContent) && document.getElementById("check-report").textContent.length > 0);
  const overflow = await zoomed.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `at 125 % on a 1024 px window nothing runs off sideways (${overflow} px)`);
  await zoomed.screenshot({ path: path.join(artifacts, "07-zoom-125.png"), fullPage: false });
  await zoomed.context().close();
}

// From a static web server: the page is its one request.
{
  const http = await import("node:http");
  const html = fs.readFileSync(page_path);
  let served = 0;
  const server = http.createServer((request, response) => {
    served += 1;
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `http://127.0.0.1:${server.address().port}/duizhang.html`;
  const context = await browser.newContext();
  const seen = [];
  context.on("request", (request) => seen.push(request.url()));
  const served_page = await context.newPage();
  await served_page.goto(address);
  await served_page.evaluate(() => window.duizhang.ready());
  const result = await callApi(served_page, "check", entriesOf(path.join(repository, "fixtures/spec-examples/case01")), {});
  const others = seen.filter((url) => url !== address && !allowed.test(url));
  check(result.ok, "from a static web server the page runs check");
  check(others.length === 0 && served === 1, `from a web server the page asks for nothing but itself (${served} served, others: ${others.join(", ")})`);
  await context.close();
  server.close();
}

check(problems.length === 0, `no script error on the API page (${problems.join("; ")})`);
check(requests.length === 0, `no network request (${requests.length}${requests.length ? ": " + requests.slice(0, 5).join(", ") : ""})`);
await browser.close();
fs.rmSync(scratch, { recursive: true, force: true });
console.log(`\n${passes} passed, ${failures} failed; screenshots in ${path.relative(repository, artifacts)}/`);
process.exit(failures === 0 ? 0 : 1);
