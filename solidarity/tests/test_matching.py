"""Matching requests to offers by kind, place, issue and dates, with a reason; the
coordinator's unmatched requests."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from solidarity import selectors, services
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def offer(cast, key, **extra):
    fields: dict[str, Any] = {"title": "Volunteers for actions", "kind": "volunteers"}
    fields.update(extra)
    return services.offer_create(user=cast.admins[key], organization=cast.helpers[key], **fields)


def test_it_matches_a_remote_offer_to_a_request_anywhere_with_the_reason(cast, organizer):
    req = ask(cast, organizer, needed_by=timezone.localdate() + timedelta(days=5))
    offer(cast, "nyc", remote=True, issue_area=cast.housing)
    found = selectors.matches_for_organization(cast.helpers["nyc"])
    assert [m.request for m in found] == [req]
    reason = found[0].reason
    assert "needs volunteers" in reason and "Jackson" in reason and "same issue: Housing" in reason


def test_it_does_not_match_an_offer_outside_its_area(cast, organizer):
    ask(cast, organizer)
    offer(cast, "oakland")  # Oakland only
    assert selectors.matches_for_organization(cast.helpers["oakland"]) == []


def test_it_matches_inside_the_offer_place_and_the_groups_service_area(cast, organizer):
    req = ask(cast, organizer)
    offer(cast, "portland")
    assert selectors.matches_for_organization(cast.helpers["portland"]) == []
    cast.helpers["portland"].service_areas.add(cast.places["mississippi"])
    assert [m.request for m in selectors.matches_for_organization(cast.helpers["portland"])] == [
        req
    ]


def test_it_matches_by_kind(cast, organizer):
    ask(cast, organizer)
    offer(cast, "nyc", remote=True, kind="legal")
    assert selectors.matches_for_organization(cast.helpers["nyc"]) == []


def test_it_leaves_out_requests_of_another_issue(cast, organizer):
    climate = cast.housing.__class__.objects.get(slug="climate")
    ask(cast, organizer, issue_area=climate)
    offer(cast, "nyc", remote=True, issue_area=cast.housing)
    assert selectors.matches_for_organization(cast.helpers["nyc"]) == []


def test_it_leaves_out_requests_needed_before_the_offer_starts_or_already_past(cast, organizer):
    today = timezone.localdate()
    ask(cast, organizer, needed_by=today + timedelta(days=3))
    ask(cast, organizer, needed_by=today - timedelta(days=1), title="Past")
    offer(cast, "nyc", remote=True, available_from=today + timedelta(days=10))
    assert selectors.matches_for_organization(cast.helpers["nyc"]) == []


def test_it_keeps_requests_shared_with_named_groups_from_others_matches(cast, organizer):
    ask(cast, organizer, visibility="named", visible_to=[cast.helpers["oakland"]])
    offer(cast, "nyc", remote=True)
    offer(cast, "oakland", remote=True)
    assert selectors.matches_for_organization(cast.helpers["nyc"]) == []
    assert len(selectors.matches_for_organization(cast.helpers["oakland"])) == 1


def test_it_shows_the_requester_offers_that_reach_it(cast, organizer):
    req = ask(cast, organizer)
    o = offer(cast, "nyc", remote=True)
    offer(cast, "oakland")
    assert [m.offer for m in selectors.offers_for_request(req)] == [o]


def test_it_lists_unmatched_requests_in_a_coordinators_region(
    cast, organizer, regional_coordinator, outsider
):
    from accounts.models import RegionalCoordinator

    RegionalCoordinator.objects.create(user=regional_coordinator, place=cast.places["mississippi"])
    lonely = ask(cast, organizer, title="Lonely")
    helped = ask(cast, organizer, title="Helped")
    ask(cast, organizer, title="Secret", sensitive=True, visibility="coalitions")
    services.pledge_make(
        user=cast.admins["nyc"], request=helped, organization=cast.helpers["nyc"], amount=Decimal(1)
    )
    found = selectors.unmatched_for_coordinator(regional_coordinator)
    assert found is not None
    qs, sensitive = found
    assert list(qs) == [lonely] and sensitive == 1
    assert selectors.unmatched_for_coordinator(outsider) is None


def test_it_leaves_a_coordinators_other_regions_out(cast, organizer, regional_coordinator):
    ask(cast, organizer)  # Jackson; this coordinator has Oregon only
    found = selectors.unmatched_for_coordinator(regional_coordinator)
    assert found is not None
    qs, _ = found
    assert list(qs) == []


def test_it_matches_nothing_for_a_group_without_offers(cast, organizer):
    ask(cast, organizer, needed_by=date.today() + timedelta(days=2))
    assert selectors.matches_for_organization(cast.helpers["oakland"]) == []
