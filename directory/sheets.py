"""How far the first sheet of an XLSX workbook reaches, read from its XML without building it.

No Django here. The spreadsheet reader sizes one table from the farthest filled cell, so the
reach must be known before it runs (see readers._xlsx_extent_check).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_SHEET = re.compile(r"xl/worksheets/sheet(\d+)\.xml")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def xlsx_extent(path: Path) -> tuple[int, int, int] | None:
    """(last row, last column, filled cells) of the workbook's first sheet, or None when the
    file is no readable workbook. Streams the sheet's XML in chunks."""
    rows = columns = filled = 0

    def count(text: bytes) -> None:
        nonlocal rows, columns, filled
        for match in _CELL_REF.finditer(text):
            filled += 1
            columns = max(columns, _column_number(match.group(1)))
            rows = max(rows, int(match.group(2)))

    try:
        with zipfile.ZipFile(path) as book:
            sheets = [n for n in book.namelist() if _SHEET.fullmatch(n)]
            if not sheets:
                return None
            first = min(sheets, key=lambda n: int(_SHEET.fullmatch(n).group(1)))  # type: ignore[union-attr]
            tail = b""
            with book.open(first) as sheet:
                for chunk in iter(lambda: sheet.read(1 << 20), b""):
                    text = tail + chunk
                    # Tags end with ">": a tag cut at the chunk's end is read with the next one.
                    cut = text.rfind(b">") + 1
                    count(text[:cut])
                    tail = text[cut:]
            count(tail)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return None
    return rows, columns, filled
