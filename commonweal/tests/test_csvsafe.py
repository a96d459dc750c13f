"""No CSV the hub writes carries a cell a spreadsheet would run as a formula."""

import csv
import io

import pytest

from commonweal.lib import csvsafe

FORMULAS = [
    '=HYPERLINK("http://evil.example","Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1",
    "\r=1",
    "\uff1d1+1",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_it_writes_formula_like_text_as_text(cell: str) -> None:
    assert csvsafe.neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-1", "+3.5", "-122.67", "1e-3", "Open the books.", "", 5, None])
def test_it_leaves_numbers_and_ordinary_text_alone(cell: object) -> None:
    assert csvsafe.neutralise(cell) == cell


def test_its_writers_neutralise_every_cell_and_still_quote_separators() -> None:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["=1+1", "a,b", -1])
    dict_out = io.StringIO()
    dict_writer = csvsafe.DictWriter(dict_out, fieldnames=["name"], lineterminator="\n")
    dict_writer.writeheader()
    dict_writer.writerow({"name": "@evil"})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "a,b", "-1"]]
    assert dict_out.getvalue() == "name\n'@evil\n"
