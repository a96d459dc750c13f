"""Each method on small elections worked by hand or taken from the literature."""

from decimal import Decimal

import pytest

from assemblies.methods import Ballot, DecideError, decide

R = Ballot.ranked
A = Ballot.approving

# Wikipedia's Schulze example: 45 voters over A-E; the Schulze order is E > A > C > B > D.
SCHULZE_EXAMPLE = [
    R(*"ACBED", weight=5),
    R(*"ADECB", weight=5),
    R(*"BEDAC", weight=8),
    R(*"CABED", weight=3),
    R(*"CAEBD", weight=7),
    R(*"CBADE", weight=2),
    R(*"DCEBA", weight=7),
    R(*"EBADC", weight=8),
]

# The Tennessee capital example (percentages as voters): Nashville is the Condorcet
# winner, Memphis leads in first preferences, Knoxville wins the instant runoff.
TENNESSEE = [
    R("Memphis", "Nashville", "Chattanooga", "Knoxville", weight=42),
    R("Nashville", "Chattanooga", "Knoxville", "Memphis", weight=26),
    R("Chattanooga", "Knoxville", "Nashville", "Memphis", weight=15),
    R("Knoxville", "Chattanooga", "Nashville", "Memphis", weight=17),
]
CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def test_it_orders_the_schulze_example_as_published():
    outcome = decide("schulze", list("ABCDE"), SCHULZE_EXAMPLE)
    assert outcome.winners == ["E"]
    assert outcome.ranking == list("EACBD")
    assert outcome.tie is False
    # d[A][B] = 20 in the published pairwise table
    assert outcome.details["pairwise"][0][1] == 20


def test_it_picks_the_condorcet_winner_by_ranked_pairs_and_schulze():
    assert decide("ranked-pairs", CITIES, TENNESSEE).winners == ["Nashville"]
    assert decide("schulze", CITIES, TENNESSEE).winners == ["Nashville"]


def test_it_runs_off_to_knoxville_and_plurality_gives_memphis():
    irv = decide("irv", CITIES, TENNESSEE)
    assert irv.winners == ["Knoxville"]
    assert [r.get("eliminated") for r in irv.rounds[:2]] == ["Chattanooga", "Nashville"]
    assert decide("plurality", CITIES, TENNESSEE).winners == ["Memphis"]


def test_it_treats_unranked_candidates_as_tied_below_ranked_ones():
    ballots = [R("a", weight=2), R("b", "a", weight=1)]
    outcome = decide("schulze", ["a", "b", "c"], ballots)
    assert outcome.details["pairwise"][0][2] == 3  # both ballots put a above unranked c
    assert outcome.details["pairwise"][2][0] == 0
    assert outcome.winners == ["a"]


def test_it_marks_a_perfect_cycle_as_a_tie():
    ballots = [R(*"abc"), R(*"bca"), R(*"cab")]
    for method in ("schulze", "ranked-pairs"):
        outcome = decide(method, list("abc"), ballots)
        assert outcome.tie is True, method
        assert outcome.winners == ["a"]  # broken by the order of candidates


# --- Scottish STV ----------------------------------------------------------------------------


def test_it_transfers_a_surplus_at_a_truncated_five_decimal_value():
    # 120 valid papers, 2 seats: quota 41. A's surplus of 34 leaves at 34/75 = 0.45333...
    ballots = [R("A", "B", weight=50), R("A", "C", weight=25), R("B", weight=10)]
    ballots += [R("C", weight=20), R("D", "C", weight=15)]
    outcome = decide("stv", list("ABCD"), ballots, seats=2)
    assert outcome.details["quota"] == 41
    surplus = outcome.rounds[1]
    assert surplus["action"] == "surplus" and surplus["candidate"] == "A"
    assert surplus["transfers"] == {"B": "22.66650", "C": "11.33325"}
    assert surplus["non_transferable"] == "0.00025"  # what truncation lost
    assert outcome.rounds[2]["candidate"] == "D"  # then the lowest is excluded
    assert outcome.winners == ["A", "C"]
    assert outcome.tie is False


def test_it_excludes_by_the_most_recent_stage_where_tied_candidates_differed():
    # After D goes, B and C both hold 5; at stage 1 C had fewer, so C is excluded.
    ballots = [R("A", weight=9), R("B", "C", weight=5), R("C", "B", weight=4), R("D", "C", "B")]
    stv = decide("stv", list("ABCD"), ballots, seats=1)
    assert [r.get("candidate") for r in stv.rounds[1:3]] == ["D", "C"]
    assert stv.winners == ["B"] and stv.tie is False
    irv = decide("irv", list("ABCD"), ballots)
    assert irv.winners == ["B"] and irv.tie is False


def test_it_fills_the_last_seats_when_continuing_candidates_equal_them():
    ballots = [R("A", weight=10), R("B", weight=3), R("C", weight=2)]
    outcome = decide("stv", list("ABC"), ballots, seats=2)
    assert outcome.winners == ["A", "B"]


def test_it_reads_a_ballot_only_up_to_two_equal_marks():
    ballots = [R("A", {"B", "C"}, weight=3), R("B", weight=2), R("C", weight=2)]
    outcome = decide("stv", list("ABC"), ballots, seats=1)
    assert outcome.winners == ["A"]
    excluded = outcome.rounds[1]
    assert excluded["action"] == "exclusion"


def test_it_says_a_tie_decided_by_lot_mattered():
    outcome = decide("stv", ["a", "b"], [R("a", "b"), R("b", "a")], seats=1)
    assert outcome.tie is True
    assert decide("irv", ["a", "b"], [R("a", "b"), R("b", "a")]).tie is True


# --- committees --------------------------------------------------------------------------------

COMMITTEE = [A("a", "b", weight=3), A("a"), A("c", weight=2)]


def test_it_elects_by_approval_totals():
    assert decide("approval", list("abc"), COMMITTEE, seats=2).winners == ["a", "b"]


def test_it_gives_the_minority_a_seat_under_pav_and_phragmen():
    # PAV: {a,b} scores 3*1.5+1 = 5.5, {a,c} 3+1+2 = 6, {b,c} 3+2 = 5.
    assert decide("pav", list("abc"), COMMITTEE, seats=2).winners == ["a", "c"]
    # Phragmen: a at load 1/4; then c at 1/2 beats b at (1+3/4)/3 = 7/12.
    phr = decide("phragmen", list("abc"), COMMITTEE, seats=2)
    assert phr.winners == ["a", "c"]
    assert [r["max_load"] for r in phr.rounds] == ["0.25", "0.5"]


def test_it_solves_pav_as_an_integer_programme_when_committees_are_many(monkeypatch):
    from assemblies.methods import committee

    monkeypatch.setattr(committee, "ENUMERATION_LIMIT", 0)
    outcome = decide("pav", list("abc"), COMMITTEE, seats=2)
    assert outcome.winners == ["a", "c"]
    assert outcome.details["solved_by"] == "integer programme"


def test_it_marks_equally_good_pav_committees_as_tied():
    outcome = decide("pav", list("abc"), [A("a", "b", weight=3), A("c", weight=2)], seats=2)
    assert outcome.tie is True  # {a,c} and {b,c} both score 5


def test_it_adds_scores():
    ballots = [Ballot.scoring({"x": 5, "y": 1}, weight=2), Ballot.scoring({"y": 9})]
    assert decide("score", ["x", "y"], ballots).winners == ["y"]


# --- participatory budgets ------------------------------------------------------------------

COSTS = {"p1": Decimal(20), "p2": Decimal(20), "p3": Decimal(10), "p4": Decimal(30)}
PB = [A("p1", "p4", weight=2), A("p2", "p4"), A("p3")]


def test_it_buys_the_cheapest_per_satisfaction_first_with_equal_shares():
    # 4 voters, 10 each: p4's three supporters pay 10 each (rho 1/3), then p3's one (rho 1).
    outcome = decide(
        "equal-shares", list(COSTS), PB, costs=COSTS, budget=Decimal(40), completion=None
    )
    assert outcome.winners == ["p4", "p3"]
    assert [r["rho"] for r in outcome.rounds] == ["0.333333", "1"]


def test_it_skips_a_project_that_no_longer_fits_in_greedy():
    outcome = decide("greedy", list(COSTS), PB, costs=COSTS, budget=Decimal(40))
    assert outcome.winners == ["p4", "p3"]  # p1 (2 votes) no longer fits after p4
    assert outcome.tie is False


def test_it_orders_cumulative_greedy_by_points_not_supporters():
    ballots = [Ballot.scoring({"p1": 1, "p2": 1}, weight=3), Ballot.scoring({"p3": 10})]
    costs = {"p1": Decimal(5), "p2": Decimal(5), "p3": Decimal(10)}
    outcome = decide("greedy", ["p1", "p2", "p3"], ballots, costs=costs, budget=Decimal(12))
    assert outcome.winners == ["p3"]


def test_it_flags_a_greedy_tie_only_when_the_tied_projects_cannot_all_fit():
    costs = {"p1": Decimal(10), "p2": Decimal(10)}
    ballots = [A("p1"), A("p2")]
    both = decide("greedy", ["p1", "p2"], ballots, costs=costs, budget=Decimal(20))
    assert both.tie is False
    one = decide("greedy", ["p1", "p2"], ballots, costs=costs, budget=Decimal(15))
    assert one.tie is True and one.winners == ["p1"]


def test_it_completes_equal_shares_by_raising_every_share_within_the_budget():
    # Plain MES funds only b (a's lone supporter cannot pay 60 from a 50 share); all fits.
    costs = {"a": Decimal(60), "b": Decimal(30)}
    ballots = [A("a"), A("b")]
    plain = decide(
        "equal-shares", ["a", "b"], ballots, costs=costs, budget=Decimal(100), completion=None
    )
    assert plain.winners == ["b"]
    full = decide("equal-shares", ["a", "b"], ballots, costs=costs, budget=Decimal(100))
    assert set(full.winners) == {"a", "b"}


def test_it_stops_raising_shares_before_the_outcome_overspends():
    # At a share of 60 a becomes affordable too, and a+b+c = 110 > 100: stop at 59.
    costs = {"a": Decimal(60), "b": Decimal(30), "c": Decimal(20)}
    ballots = [A("a"), A("b", "c")]
    outcome = decide("equal-shares", list(costs), ballots, costs=costs, budget=Decimal(100))
    assert set(outcome.winners) == {"b", "c"}
    assert outcome.details["share_increases"] == 9


def test_it_refuses_what_it_cannot_count():
    with pytest.raises(DecideError):
        decide("borda-ish", ["a"], [])
    with pytest.raises(DecideError):
        decide("schulze", ["a", "a"], [])
    with pytest.raises(DecideError):
        decide("schulze", ["a"], [R("z")])
    with pytest.raises(DecideError):
        decide("greedy", ["a"], [A("a")])  # no costs, no budget
    with pytest.raises(DecideError):
        decide("stv", ["a", "b"], [R("a")], seats=3)


def test_it_checks_every_choice_of_a_lot_among_four_tied_candidates():
    # Round 1: 0, 1, 3 and 4 hold 2 votes each. Excluding 4 or 0 elects 3; excluding 1 does
    # not, so the outcome rests on the lot (instant runoff libraries that drop all four
    # at once elect 2).
    orders = ["03124", "03241", "40123", "20431", "43021", "24031", "13204", "31024", "20341"]
    orders += ["13024", "30421"]
    ballots = [R(*o) for o in orders]
    outcome = decide("irv", list("01234"), ballots)
    assert outcome.winners == ["3"]
    assert outcome.tie is True
