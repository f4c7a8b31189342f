// The page's worker: loads the engine (WebAssembly) and runs one command
// at a time, so the page never freezes. wasm-bindgen's glue (the global
// `wasm_bindgen`) is put before this text by assemble.py.
//
// Messages in:  {type: "init", wasm: <gzip+base64 text>}
//               {type: "run", id, command, entries: [{path, data}], register, options}
// Messages out: {type: "ready"} | {type: "phase", id, phase, done, total}
//               {type: "result", id, result} | {type: "error", id, error}
"use strict";

let loading = null;
let wasmText = null;

async function bytesOf(base64) {
  const binary = atob(base64);
  const packed = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) {
    packed[index] = binary.charCodeAt(index);
  }
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function load() {
  loading = bytesOf(wasmText).then((bytes) => wasm_bindgen({ module_or_path: bytes }));
  return loading;
}

async function dataOf(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  throw { message: "an entry's data must be a Blob, an ArrayBuffer or a Uint8Array", location: null };
}

function sizeOf(data) {
  if (data instanceof Blob) return data.size;
  if (data && typeof data.byteLength === "number") return data.byteLength;
  return 0;
}

async function run(message) {
  const { id, command, entries, register, options } = message;
  const phase = (name, done, total) => self.postMessage({ type: "phase", id, phase: name, done, total });
  const engine = await (loading || load());
  const limit = wasm_bindgen.maxInputBytes();
  if (!Array.isArray(entries)) {
    throw { message: "entries must be an array of {path, data}", location: null };
  }
  let total = sizeOf(register && register.data);
  for (const entry of entries) total += sizeOf(entry && entry.data);
  if (total > limit) {
    const mb = Math.round(total / 1048576);
    const max = Math.round(limit / 1048576);
    throw {
      message: `the files come to ${mb} MB, more than the ${max} MB this page reads; run the duizhang command on this case instead (it reads any size) / 所选文件共${mb} MB，超过网页版上限${max} MB，请改用 duizhang 命令行程序`,
      location: null,
    };
  }
  const list = new wasm_bindgen.Entries();
  let index = 0;
  let text;
  try {
    text = JSON.stringify(options || {});
  } catch (error) {
    throw { message: `the options must be plain values (text, numbers, true/false): ${error.message}`, location: null };
  }
  for (const entry of entries) {
    if (entry === null || typeof entry !== "object") {
      throw { message: "every entry must be an object {path, data}", location: null };
    }
    phase("load", index, entries.length);
    if (typeof entry.path !== "string" || entry.path === "") {
      throw { message: "every entry needs a path (relative to the case folder)", location: null };
    }
    list.add(entry.path, await dataOf(entry.data));
    index += 1;
  }
  if (register) {
    list.setRegister(register.path || "register.csv", await dataOf(register.data));
  }
  if (!["reconcile", "check", "notice", "trapForTest"].includes(command)) {
    throw { message: `no command ${command}`, location: null };
  }
  phase(command, entries.length, entries.length);
  const result = wasm_bindgen[command](list, text);
  // The engine's memory only grows: its size now is the run's peak.
  result.engine_memory_bytes = engine.memory.buffer.byteLength;
  phase("done", entries.length, entries.length);
  return result;
}

// One message at a time, in the order they came: a call that reads large
// Blobs is not overtaken by a later small one.
let queue = Promise.resolve();
self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};

async function handle(message) {
  if (message.type === "init") {
    wasmText = message.wasm;
    try {
      await load();
      self.postMessage({ type: "ready" });
    } catch (error) {
      self.postMessage({ type: "error", id: null, error: { message: String(error), location: null } });
    }
    return;
  }
  if (message.type !== "run") return;
  try {
    const result = await run(message);
    const transfer = result.outputs.map((output) => output.data.buffer);
    if (result.bundle) transfer.push(result.bundle.buffer);
    self.postMessage({ type: "result", id: message.id, result }, transfer);
  } catch (error) {
    let reported = error;
    if (error instanceof WebAssembly.RuntimeError || error instanceof Error) {
      // A trap: a defect of the engine, not of the input. Say what the
      // engine said; the page then starts a fresh worker for the next
      // command (this one's memory cannot be trusted).
      let said = "";
      try {
        said = wasm_bindgen.lastPanic();
      } catch (ignored) {
        said = "";
      }
      // An abort without a panic is what running out of the engine's
      // memory looks like (the allocator's failure traps at once).
      const memory = !said && /unreachable|memory/i.test(error.message);
      reported = memory
        ? {
            message: "the engine ran out of memory (a page has at most 4 GB); run the duizhang command on this case instead, which reads any size / 网页版内存不足（最多4 GB），请改用 duizhang 命令行程序",
            location: null,
            internal: true,
          }
        : {
            message: `internal error: ${said || error.message}; the page has been reset — please report it with the files that caused it / 内部错误，网页已重置，请把出错的文件报告给维护人员`,
            location: null,
            internal: true,
          };
    }
    self.postMessage({ type: "error", id: message.id, error: reported });
  }
}
