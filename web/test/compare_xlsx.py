#!/usr/bin/env python3
"""Says whether two .xlsx workbooks hold the same sheets and cells: each
sheet's name in order, and each cell's value, type (text, number, boolean,
formula) and number format. Shared and inline strings are the same text:
the CLI writes long sheets in constant-memory mode (inline strings), the
page in memory (shared strings).

    compare_xlsx.py EXPECTED.xlsx ACTUAL.xlsx      exit 0 same, 1 different
"""
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

# Excel's built-in number formats that the writers use.
BUILTIN = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 14: "mm-dd-yy", 49: "@"}


def text_of(element):
    return "".join(node.text or "" for node in element.iter(MAIN + "t"))


def read(path):
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ET.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = [text_of(item) for item in root.findall(MAIN + "si")]
        formats = {}
        cell_formats = []
        if "xl/styles.xml" in names:
            styles = ET.fromstring(archive.read("xl/styles.xml"))
            numfmts = styles.find(MAIN + "numFmts")
            if numfmts is not None:
                for numfmt in numfmts:
                    formats[int(numfmt.get("numFmtId"))] = numfmt.get("formatCode")
            xfs = styles.find(MAIN + "cellXfs")
            if xfs is not None:
                for xf in xfs:
                    number = int(xf.get("numFmtId", "0"))
                    cell_formats.append(formats.get(number, BUILTIN.get(number, f"builtin {number}")))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels.findall(RELS + "Relationship")}
        workbook = ET.fromstring(archive.read("xl/workbook.xml"))
        sheets = []
        for sheet in workbook.find(MAIN + "sheets"):
            target = targets[sheet.get(DOC_RELS + "id")]
            target = target.lstrip("/")
            if not target.startswith("xl/"):
                target = "xl/" + target
            root = ET.fromstring(archive.read(target))
            cells = {}
            for cell in root.iter(MAIN + "c"):
                kind = cell.get("t", "n")
                value_element = cell.find(MAIN + "v")
                formula = cell.find(MAIN + "f")
                value = value_element.text if value_element is not None else None
                if kind == "s":
                    kind, value = "text", shared[int(value)]
                elif kind == "inlineStr":
                    kind, value = "text", text_of(cell.find(MAIN + "is"))
                elif kind == "str":
                    kind = "text"
                elif kind == "n":
                    kind = "number"
                style = int(cell.get("s", "0"))
                number_format = cell_formats[style] if style < len(cell_formats) else "General"
                if value is None and formula is None and number_format == "General":
                    continue
                if formula is not None:
                    kind = "formula:" + (formula.text or "")
                if value is None and formula is None:
                    kind = "blank"
                cells[cell.get("r")] = (kind, value, number_format)
            merges = sorted(merge.get("ref") for merge in root.iter(MAIN + "mergeCell"))
            sheets.append((sheet.get("name"), cells, merges))
        return sheets


def column_row(reference):
    match = re.match(r"([A-Z]+)(\d+)", reference)
    return (int(match.group(2)), match.group(1))


def main():
    expected, actual = read(sys.argv[1]), read(sys.argv[2])
    problems = []
    if [name for name, _, _ in expected] != [name for name, _, _ in actual]:
        problems.append(f"sheets: {[n for n, _, _ in expected]} against {[n for n, _, _ in actual]}")
    for (name, cells, merges), (_, other, other_merges) in zip(expected, actual):
        for reference in sorted(set(cells) | set(other), key=column_row):
            if cells.get(reference) != other.get(reference):
                problems.append(f"{name}!{reference}: {cells.get(reference)} against {other.get(reference)}")
                if len(problems) > 20:
                    break
        if merges != other_merges:
            problems.append(f"{name}: merged ranges differ")
    if problems:
        print("\n".join(problems[:20]))
        sys.exit(1)
    count = sum(len(cells) for _, cells, _ in expected)
    print(f"same: {len(expected)} sheets, {count} cells")


if __name__ == "__main__":
    main()
