#!/usr/bin/env python3
"""Prints a workbook the way a township office does, and says how it came out.

    scripts/print-check.py OUT/report.xlsx [--png DIR]

Converts the workbook to PDF with LibreOffice (`soffice --headless
--convert-to pdf`), then for each sheet says how many pages it printed on and
how tall its text is: the median height, in points, of the words on its pages
as poppler's `pdftotext -bbox` measures them (a word's box is about its type
size). Text under 8 pt is flagged: a page a person cannot read. With --png,
the first page of each sheet is rendered into DIR (`pdftoppm -r 80`) to look
at. Needs LibreOffice (Debian: libreoffice-calc-nogui) and poppler-utils.
Exit status 1 when a sheet's text is under 8 pt.
"""
import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SMALLEST_POINTS = 8.0
WORD = re.compile(r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--png", type=Path, metavar="DIR", help="render each sheet's first page here")
    args = parser.parse_args()
    for tool in ("soffice", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            print(f"print-check: {tool} is not on PATH (apt-get install libreoffice-calc-nogui poppler-utils)", file=sys.stderr)
            return 2
    if not args.workbook.is_file():
        print(f"print-check: {args.workbook}: no such file", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", scratch, str(args.workbook)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pdf = Path(scratch) / (args.workbook.stem + ".pdf")
        if not pdf.is_file():
            print(f"print-check: LibreOffice did not convert {args.workbook}", file=sys.stderr)
            return 2
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
        sheets: list[tuple[str, int, list[float]]] = []
        for number, page in enumerate(bbox.split("<page ")[1:], start=1):
            words = [(float(y1) - float(y0), text) for y0, y1, text in WORD.findall(page)]
            # The page header (top left) names the sheet; the footer is `n / N`.
            name = words[0][1] if words else "?"
            body = [height for height, _ in words[1:] if "/" not in _]
            if sheets and sheets[-1][0] == name:
                sheets[-1][1].append(number)
                sheets[-1][2].extend(body)
            else:
                sheets.append((name, [number], body))
        small = False
        print(f"{args.workbook}: {pages} pages")
        for name, numbers, heights in sheets:
            median = statistics.median(heights) if heights else 0.0
            flag = ""
            if heights and median < SMALLEST_POINTS:
                flag = f"  <- under {SMALLEST_POINTS:g} pt"
                small = True
            print(f"  {name}: {len(numbers)} page(s) from page {numbers[0]}, text {median:.1f} pt{flag}")
            if args.png:
                args.png.mkdir(parents=True, exist_ok=True)
                subprocess.run(
                    ["pdftoppm", "-r", "80", "-png", "-f", str(numbers[0]), "-l", str(numbers[0]), str(pdf), str(args.png / name)],
                    check=True,
                )
        return 1 if small else 0


if __name__ == "__main__":
    sys.exit(main())
