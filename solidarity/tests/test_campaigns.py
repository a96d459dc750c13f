"""Campaigns: run by a coalition, rolled up by place with the calls' roll-up, beside a call."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from actions import services as action_services
from solidarity import selectors, services
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def campaign_for(cast, member, **extra):
    fields = {
        "title": "Legal defence fund",
        "kind": "money",
        "target": Decimal(3000),
        "currency": "USD",
        "scope": cast.places["us"],
    }
    fields.update(extra)
    return services.campaign_create(user=member, coalition=cast.coalition, **fields)


def test_it_lets_a_coalitions_admins_run_a_campaign(cast, member, organizer):
    campaign = campaign_for(cast, member)
    assert campaign.slug == "legal-defence-fund"
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            user=organizer,
            coalition=cast.jackson,
            title="x",
            kind="money",
            target=Decimal(1),
            currency="USD",
            scope=cast.places["us"],
        )


def test_it_keeps_campaigns_to_the_coalitions_members(cast, member, outsider):
    campaign = campaign_for(cast, member)
    with pytest.raises(ValidationError):
        services.request_create(
            user=outsider,
            organization=cast.stranger,
            title="Ours",
            kind="money",
            quantity=Decimal(5),
            currency="USD",
            campaign=campaign,
        )


def test_it_rolls_pledges_and_confirmed_deliveries_up_by_state(cast, member, organizer):
    campaign = campaign_for(cast, member)
    req = ask(
        cast, organizer, kind="money", quantity=Decimal(3000), currency="USD", campaign=campaign
    )
    pledges = {
        key: services.pledge_make(
            user=cast.admins[key], request=req, organization=cast.helpers[key], amount=Decimal(n)
        )
        for key, n in [("oakland", "1000"), ("portland", "1000.50"), ("nyc", "999.50")]
    }
    services.pledge_confirm(user=organizer, pledge=pledges["oakland"])
    services.pledge_confirm(user=organizer, pledge=pledges["nyc"], amount=Decimal("500"))
    totals = selectors.campaign_rollup(campaign, level="state")
    by_state = {row.place.name: (row.pledged, row.received, row.groups) for row in totals.rows}
    assert by_state == {
        "California": (Decimal(1000), Decimal(1000), 1),
        "Oregon": (Decimal("1000.50"), Decimal(0), 1),
        "New York": (Decimal(500), Decimal(500), 1),
    }
    assert totals.received == Decimal(1500) and totals.pledged == Decimal("2500.50")
    assert totals.groups == 3 and totals.percent(campaign.target) == 50
    country = selectors.campaign_rollup(campaign, level="country")
    assert [(r.place.name, r.received) for r in country.rows] == [("United States", Decimal(1500))]


def test_it_ties_a_campaign_to_the_coalitions_own_call_only(cast, member):
    now = timezone.now()
    call = action_services.call_create(
        user=member,
        coalition=cast.coalition,
        title="Day of picketing bad landlords",
        description="Picket",
        scope=cast.places["us"],
        starts_at=now + timedelta(days=14),
        deadline=now + timedelta(days=7),
        min_organizations=3,
    )
    campaign = campaign_for(cast, member, call=call, kind="volunteers", unit="people", currency="")
    assert selectors.campaigns_for_call(call) == [campaign]


def test_it_shows_a_campaign_and_the_calls_needs_beside_the_call(cast, member, organizer):
    from django.test import Client

    now = timezone.now()
    call = action_services.call_create(
        user=member,
        coalition=cast.coalition,
        title="Day of picketing bad landlords",
        description="Picket",
        scope=cast.places["us"],
        starts_at=now + timedelta(days=14),
        deadline=now + timedelta(days=7),
        min_organizations=3,
    )
    campaign_for(
        cast,
        member,
        call=call,
        title="Pickets need people",
        kind="volunteers",
        unit="people",
        currency="",
    )
    ask(cast, organizer, call=call, title="40 volunteers in Jackson on the 12th")
    ask(cast, organizer, call=call, title="Hidden need", visibility="coalitions")
    page = Client().get(call.get_absolute_url()).content.decode()
    assert "Pickets need people" in page and "40 volunteers in Jackson on the 12th" in page
    assert "Hidden need" not in page


def test_it_follows_the_place_tree_when_it_is_renumbered(cast, organizer):
    from conftest import _place
    from places.services import place_tree_renumber

    req = ask(cast, organizer)
    before = req.place_lft
    _place("state", "Alabama", cast.places["us"])  # sorts before Mississippi: lfts move
    place_tree_renumber()
    req.refresh_from_db()
    cast.places["jackson"].refresh_from_db()
    assert req.place_lft == cast.places["jackson"].lft != before


def test_the_one_level_roll_up_agrees_with_the_roll_up_to_every_place(cast):
    import numpy as np

    from actions.rollup import KIND_CODES, place_index, rollup_columns, rollup_level

    index = place_index()
    rng = np.random.default_rng(14)
    keys = np.sort(rng.choice(index.lfts, size=200))
    cents = rng.integers(1, 10**11, size=200)
    ones = np.ones(200, dtype=np.int64)
    every = rollup_columns(index, keys, [cents, ones], [0, 0])
    for level in ("country", "state", "county", "locality"):
        ids, (sums, counts) = rollup_level(index, level, keys, [cents, ones])
        expected = {
            int(index.ids[row]): (n, every[1].by_row[row])
            for row, n in every[0].by_row.items()
            if index.kinds[row] == KIND_CODES[level]
        }
        assert dict(zip(ids, zip(sums.tolist(), counts.tolist(), strict=True), strict=True)) == (
            expected
        )
    us = cast.places["us"]
    ids, _sums = rollup_level(index, "state", keys, [cents], (us.lft, us.rgt))
    assert ids and all(us.lft <= index.lfts[list(index.ids).index(pk)] <= us.rgt for pk in ids)
