// Times one reconcile of a case folder in the page (headless Chromium),
// for BENCHMARKS.md: the folder is given as a browser gives it (Files from
// a file input), the page already loaded; prints the time from the API
// call to its result and the engine's WebAssembly memory afterwards (its
// peak: that memory only grows).
//
//   node web/test/bench.mjs --case DIR [--report] [--chromium /usr/bin/chromium]
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const folder = path.resolve(option("--case", ""));
const report = args.includes("--report");
const browser = await chromium.launch({
  executablePath: option("--chromium", "/usr/bin/chromium"),
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
const page = await browser.newPage();
await page.goto(pathToFileURL(path.join(here, "..", "dist", "duizhang.html")).href);
await page.evaluate(() => window.duizhang.ready());
await page.evaluate(() => {
  const input = document.createElement("input");
  input.type = "file";
  input.id = "bench-input";
  input.webkitdirectory = true;
  document.body.append(input);
});
await page.setInputFiles("#bench-input", folder);
const result = await page.evaluate(async (report) => {
  const files = Array.from(document.getElementById("bench-input").files);
  const entries = files.map((file) => ({ path: file.webkitRelativePath.split("/").slice(1).join("/"), data: file }));
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const started = performance.now();
  const outcome = await window.duizhang.reconcile(entries, { report });
  return {
    took: performance.now() - started,
    bytes,
    memory: outcome.engine_memory_bytes,
    findings: outcome.findings.length,
    headline: outcome.headline.split("\n")[0],
  };
}, report);
console.log(
  `page: ${(result.took / 1000).toFixed(2)} s from the call to the result; input ${(result.bytes / 1e6).toFixed(1)} MB; engine memory ${(result.memory / 1048576).toFixed(0)} MiB; ${result.findings} findings; ${result.headline}`,
);
await browser.close();
