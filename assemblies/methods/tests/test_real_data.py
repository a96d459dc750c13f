"""Every real election and budget in shared/data/decisions gives the outcome actually decided.

The data lives outside the repository (third-party research data); without it these tests
skip. Budgets and committees compare winners as sets, single-winner methods as a list.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assemblies.methods.cli import method_for_rule, tally
from assemblies.methods.formats import load

ROOT = Path(__file__).resolve().parents[3]
# shared/ sits beside a checkout (main, CI's clone) or two levels up (a worktree under wt/).
_CANDIDATES: list[str | Path] = [
    os.environ.get("COMMONWEAL_DECISIONS", ""),
    ROOT.parent / "shared/data/decisions",
    ROOT.parents[1] / "shared/data/decisions",
]
DATA = next((Path(p) for p in _CANDIDATES if p and Path(p).is_dir()), Path("missing"))
EXPECTED = (
    json.loads((DATA / "expected.json").read_text()) if (DATA / "expected.json").is_file() else {}
)
SINGLE_WINNER = {"schulze", "ranked-pairs", "irv", "plurality"}

pytestmark = pytest.mark.skipif(not EXPECTED, reason="shared/data/decisions is not here")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_reproduces_the_real_outcome(name):
    want = EXPECTED[name]
    election = load(DATA / name)
    outcome = tally(election, method=want["method"], seats=want.get("seats"), completion=None)
    assert outcome.method == want["method"]
    if want["method"] in SINGLE_WINNER:
        assert outcome.winners[: len(want["winners"])] == want["winners"]
    else:
        assert set(outcome.winners) == set(want["winners"])
    assert outcome.tie is False
    if election.selected:  # Pabulib's own record of what was funded
        assert set(outcome.winners) == set(election.selected)


def test_it_uses_the_rule_a_budget_file_names_when_no_method_is_given():
    assert load(DATA / "Netherlands_Assen_2024.pb").rule == "equalshares/add1"
    assert method_for_rule("equalshares/add1") == ("equal-shares", "add1")
    assert method_for_rule("equalshares") == ("equal-shares", None)
    greedy = tally(
        load(DATA / "Poland_Warszawa_2017_Anin.pb"), method=None, seats=None, completion=None
    )
    assert greedy.method == "greedy"


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # An unreachable database proves the command never opens one.
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    code = "import sys; from commonweal.cli import main; main(['commonweal', *sys.argv[1:]])"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_prints_exactly_one_json_object_without_a_database():
    run = _command("decide", "tally", str(DATA / "Poland_Warszawa_2017_Falenica.pb"))
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["method"] == "greedy"
    assert set(result["winners"]) == set(EXPECTED["Poland_Warszawa_2017_Falenica.pb"]["winners"])
    assert all(isinstance(w, str) for w in result["winners"])
    assert result["tie"] is False


def test_the_command_takes_a_method_and_seats():
    run = _command(
        "decide", "tally", str(DATA / "00002-00000006.soi"), "--method", "stv", "--seats", "2"
    )
    result = json.loads(run.stdout)
    assert result["method"] == "stv" and len(result["winners"]) == 2
    assert result["winners"][0] == "1"


def test_the_command_reports_a_bad_file_as_json_and_a_message(tmp_path):
    bad = tmp_path / "bad.soi"
    bad.write_bytes(b"\x00\x01")
    run = _command("decide", "tally", str(bad))
    assert run.returncode == 1
    assert "NUL" in json.loads(run.stdout)["error"]
    assert "NUL" in run.stderr


def test_the_command_shows_its_working_when_asked():
    run = _command(
        "decide",
        "tally",
        str(DATA / "00002-00000006.soi"),
        "--method",
        "stv",
        "--seats",
        "2",
        "--details",
    )
    result = json.loads(run.stdout)
    assert result["details"]["quota"] == 146  # 436 valid papers // 3 + 1
    assert result["rounds"][1]["action"] == "surplus"
