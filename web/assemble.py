#!/usr/bin/env python3
"""Puts the page together: page/page.html with the engine (WebAssembly,
gzip-compressed, base64) and the worker's code (wasm-bindgen's glue, then
page/worker.js) inlined in inert <script type="text/plain"> elements and
page/main.js as the page's one script — one self-contained file.

    assemble.py GLUE.js ENGINE.wasm OUT.html
"""
import base64
import gzip
import pathlib
import sys


def main() -> None:
    glue_path, wasm_path, out_path = sys.argv[1:4]
    here = pathlib.Path(__file__).resolve().parent / "page"
    page = (here / "page.html").read_text(encoding="utf-8")
    worker = pathlib.Path(glue_path).read_text(encoding="utf-8") + "\n" + (
        here / "worker.js"
    ).read_text(encoding="utf-8")
    main_js = (here / "main.js").read_text(encoding="utf-8")
    # mtime=0: the same engine gives the same page, byte for byte.
    packed = gzip.compress(pathlib.Path(wasm_path).read_bytes(), compresslevel=9, mtime=0)
    engine = base64.b64encode(packed).decode("ascii")
    for name, text in (("worker", worker), ("main", main_js)):
        if "</script" in text.lower() or "<!--" in text:
            sys.exit(f"assemble.py: the {name} code holds </script or <!--, which would end its element early")
    for marker in ("/*ENGINE*/", "/*WORKER*/", "/*MAIN*/"):
        if page.count(marker) != 1:
            sys.exit(f"assemble.py: page.html must hold {marker} once")
    page = page.replace("/*ENGINE*/", engine).replace("/*WORKER*/", worker).replace("/*MAIN*/", main_js)
    out = pathlib.Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".html.partial")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB (engine {len(packed) / 1e6:.1f} MB compressed)")


if __name__ == "__main__":
    main()
