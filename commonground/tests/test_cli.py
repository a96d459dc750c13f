"""`commonweal commonground analyze` on tiny Pol.is CSVs."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from commonground import polis_io


def write_votes(path: Path, n: int = 20, m: int = 8) -> None:
    lines = ["timestamp,datetime,comment-id,voter-id,vote"]
    t = 1000
    for p in range(n):
        for s in range(m):
            camp = 1 if p % 2 else -1
            vote = 1 if s == 0 else (camp if s % 2 else -camp)
            if (p + s) % 7 == 3:
                vote = 0
            lines.append(f"{t},x,{s},{p},{vote}")
            t += 1
    path.write_text("\n".join(lines) + "\n")


def test_it_writes_the_exact_json_shape(tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    write_votes(votes)
    comments = tmp_path / "comments.csv"
    comments.write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1,x,7,0,0,0,-1,removed\n"
    )
    out = tmp_path / "out.json"
    call_command(
        "commonground", "analyze", str(votes), "--comments", str(comments), "--json", str(out)
    )
    data = json.loads(out.read_text())
    assert list(data) == [
        "participants",
        "groups",
        "consensus",
        "group_aware_consensus",
        "repness",
        "bridging",
    ]
    assert set(data["participants"]) == {str(p) for p in range(20)}
    assert all(g is None or g in data["groups"] for g in data["participants"].values())
    assert 2 <= len(data["groups"]) <= 5
    assert set(data["repness"]) == {str(g) for g in data["groups"]}
    assert set(data["bridging"]) == {str(s) for s in range(7)}  # 7 was moderated out
    assert sorted(data["group_aware_consensus"]) == sorted(data["bridging"])
    assert data["group_aware_consensus"][0] == "0"  # everyone agrees with statement 0
    assert all(isinstance(v, float) for v in data["bridging"].values())


def test_it_names_a_missing_column(tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text("timestamp,comment-id,vote\n1,0,1\n")
    with pytest.raises(CommandError, match="voter-id"):
        call_command("commonground", "analyze", str(votes), "--json", str(tmp_path / "o.json"))


def test_it_names_the_line_of_a_bad_vote(tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text("comment-id,voter-id,vote\n0,1,1\n0,2,yes\n")
    with pytest.raises(CommandError, match="line 3.*yes"):
        call_command("commonground", "analyze", str(votes), "--json", str(tmp_path / "o.json"))


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        call_command(
            "commonground", "analyze", str(tmp_path / "nope.csv"), "--json", str(tmp_path / "o")
        )


def test_it_reads_pol_is_groups_and_moderation(tmp_path: Path) -> None:
    pv = tmp_path / "participants-votes.csv"
    pv.write_text("participant,group-id,n-votes,0\n1,0,1,1\n2,,1,-1\n")
    assert polis_io.read_participant_groups(pv) == {"1": 0, "2": None}
    text = polis_io.write_votes([{"timestamp": 5, "comment_id": 0, "voter_id": 1, "vote": -1}])
    assert text == "timestamp,datetime,comment-id,voter-id,vote\n5,,0,1,-1\n"
