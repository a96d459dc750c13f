"""CSV writers whose cells a spreadsheet never runs as formulas.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula ("CSV injection"): a group's name or a comment
typed as `=HYPERLINK(...)` would run on a coordinator's machine when they open an export.
As OWASP recommends, such a cell is written with a leading single quote, which spreadsheets
show as text. Plain numbers (`-1`, `+3.5`) are left alone: they are data (Pol.is votes are
-1/0/1), and a number never runs.

Every CSV the hub writes for people goes through `writer` or `DictWriter` below.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

# The half-width characters spreadsheets treat as the start of a formula, and the full-width
# forms some of them fold into the same.
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as it should be written: unchanged unless it is text a spreadsheet would run."""
    if not isinstance(value, str) or not value.startswith(_DANGEROUS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


class _SafeWriter:
    def __init__(self, out: IO[str] | Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str] | Any, **kwargs: Any) -> _SafeWriter:
    """`csv.writer` with every cell neutralised; same arguments."""
    return _SafeWriter(out, **kwargs)


class DictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """`csv.DictWriter` with every value neutralised (the header is ours and left as it is)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: neutralise(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)
