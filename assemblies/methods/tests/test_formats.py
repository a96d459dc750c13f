"""PrefLib and Pabulib files: read, written back, and refused clearly when hostile."""

import time
from decimal import Decimal

import pytest

from assemblies.methods import Ballot, DecideError, decide
from assemblies.methods.formats import (
    load,
    parse_decimal,
    parse_pabulib,
    parse_preflib,
    read_text,
    write_pabulib,
    write_preflib,
)

TOI = """# FILE NAME: sample.toi
# DATA TYPE: toi
# NUMBER ALTERNATIVES: 4
# NUMBER VOTERS: 6
# NUMBER UNIQUE ORDERS: 3
# ALTERNATIVE NAME 1: Ada
# ALTERNATIVE NAME 2: Bo
# ALTERNATIVE NAME 3: Cy
# ALTERNATIVE NAME 4: Di
3: 1,{2,3},4
2: 2
1: {3,4}
"""

PB = """META
key;value
description;Sample budget
num_projects;3
num_votes;4
budget;100.50
vote_type;cumulative
rule;greedy
PROJECTS
project_id;cost;name;selected
c1;60,25;"Park; with benches";1
c2;40;Library;1
c3;30;Bikes;0
VOTES
voter_id;vote;points
1;c1,c2;3,2
2;c1;5
3;c3,c2;4,1
4;c1;5
"""


def test_it_reads_preflib_headers_counts_and_tie_groups():
    e = parse_preflib(TOI)
    assert e.candidates == ["1", "2", "3", "4"]
    assert e.names["1"] == "Ada"
    assert e.voters == 6
    assert Ballot(ranking=(("1",), ("2", "3"), ("4",)), weight=3) in e.ballots


def test_it_writes_preflib_that_reads_back_the_same():
    e = parse_preflib(TOI)
    data_type, text = write_preflib(e.candidates, e.ballots, names=e.names, title="Round 1")
    assert data_type == "toi"
    again = parse_preflib(text)
    assert sorted(again.ballots, key=repr) == sorted(e.ballots, key=repr)
    assert again.names == e.names


def test_it_reads_pabulib_with_decimals_quotes_and_points():
    e = parse_pabulib(PB)
    assert e.kind == "cumulative"
    assert e.budget == Decimal("100.50")
    assert e.costs == {"c1": Decimal("60.25"), "c2": Decimal(40), "c3": Decimal(30)}
    assert e.names["c1"] == "Park; with benches"
    assert e.selected == ["c1", "c2"]
    assert Ballot(scores={"c1": Decimal(5)}, weight=2) in e.ballots  # identical votes merged
    outcome = decide("greedy", e.candidates, e.ballots, costs=e.costs, budget=e.budget)
    assert outcome.winners == ["c1", "c3"]  # c1 13 points, c2 3, c3 4; c2 no longer fits


def test_it_writes_pabulib_that_reads_back_the_same():
    e = parse_pabulib(PB)
    assert e.costs is not None and e.budget is not None
    text = write_pabulib(
        e.candidates, e.ballots, costs=e.costs, budget=e.budget, kind=e.kind, names=e.names
    )
    again = parse_pabulib(text)
    assert again.costs == e.costs and again.budget == e.budget
    assert sorted(again.ballots, key=repr) == sorted(e.ballots, key=repr)


def test_it_writes_approval_budgets_too():
    ballots = [Ballot.approving("a", "b", weight=2)]
    text = write_pabulib(
        ["a", "b"], ballots, costs={"a": Decimal(1), "b": Decimal(2)}, budget=Decimal(3)
    )
    assert parse_pabulib(text).ballots == ballots


def test_it_refuses_a_file_declaring_a_million_voters_with_three_lines():
    text = (
        "# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 2\n# NUMBER VOTERS: 1000000\n1: 1,2\n1: 2\n1: 1\n"
    )
    with pytest.raises(DecideError, match="declares 1,000,000 voters"):
        parse_preflib(text)


def test_it_counts_a_huge_count_as_a_weight_without_expanding_it():
    start = time.perf_counter()
    e = parse_preflib("# NUMBER ALTERNATIVES: 2\n999999999: 1,2\n3: 2,1\n")
    outcome = decide("schulze", e.candidates, e.ballots)
    assert outcome.winners == ["1"]
    assert time.perf_counter() - start < 5  # a guard against expansion, not a benchmark


def test_it_refuses_more_voters_than_any_real_count():
    with pytest.raises(DecideError, match="more than"):
        parse_preflib("9999999999: 1,2\n9999999999: 2,1\n")


def test_it_refuses_nul_bytes_and_text_that_is_not_utf8():
    with pytest.raises(DecideError, match="NUL"):
        read_text(b"1: 1,2\x00\n")
    with pytest.raises(DecideError, match="not UTF-8"):
        read_text("# TITLE: Zürich\n1: 1\n".encode("latin-1"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# NUMBER ALTERNATIVES: 2\n1: 1,3\n", "not declared"),
        ("# NUMBER ALTERNATIVES: 3\n1: 1,{2,3\n", "never closed"),
        ("# NUMBER ALTERNATIVES: 2\n1: 1,1\n", "more than once"),
        ("# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 3\n1: 1,{2,3}\n", "tie"),
        ("# NUMBER ALTERNATIVES: 2\nhello\n", "expected 'count: ranking'"),
        ("# NUMBER ALTERNATIVES: many\n1: 1\n", "whole number"),
    ],
)
def test_it_explains_what_is_wrong_with_a_preflib_file(text, message):
    with pytest.raises(DecideError, match=message):
        parse_preflib(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PB.replace("VOTES\n", "").split("voter_id")[0], "no VOTES"),
        (PB.replace("c3;30;", "c3;-30;"), "zero or above"),
        (PB.replace("c3;30;", "c3;lots;"), "not a number"),
        (PB.replace("2;c1;5", "2;c9;5"), "not listed"),
        (PB.replace("3;c3,c2;4,1", "3;c3,c2;4"), "points"),
        (PB.replace("num_votes;4", "num_votes;1000000"), "1,000,000"),
        (PB.replace("c2;40;Library;1", "c1;40;Library;1"), "twice"),
    ],
)
def test_it_explains_what_is_wrong_with_a_pabulib_file(text, message):
    with pytest.raises(DecideError, match=message):
        parse_pabulib(text)


def test_it_refuses_files_of_unknown_type_and_missing_files(tmp_path):
    other = tmp_path / "ballots.csv"
    other.write_text("a,b\n")
    with pytest.raises(DecideError, match="unknown ballot file type"):
        load(other)
    with pytest.raises(DecideError, match="cannot be read"):
        load(tmp_path / "gone.soi")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("804828.79", "804828.79"),
        ("804828,79", "804828.79"),
        ("1 000", "1000"),
        ("1,246,670", "1246670"),
        ("1.246.670,50", "1246670.50"),
        ("1,246,670.50", "1246670.50"),
    ],
)
def test_it_reads_money_as_cities_write_it(text, number):
    assert parse_decimal(text, where="budget") == Decimal(number)
