"""The rebuild's figures against a direct count of the listings, place by place and issue by
issue, on a hand-made tree with service areas, overlay regions and coalitions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import CallState, Commitment, CommitmentState
from coalitions.models import CoalitionProfile
from directory.models import IssueArea, Organization, OrganizationKind
from overview.models import ALL, COALITIONS, COMMITTED, HOME, RECENT, SERVING, PlaceFigures
from overview.services import overview_rebuild
from overview.tests.conftest import Movement
from places.models import Place

pytestmark = pytest.mark.django_db


def _inside(place: Place, other: Place | None) -> bool:
    """Is the tree place `other` at or below `place` (a tree place or a region)?"""
    if other is None or other.is_overlay:
        return False
    if place.is_overlay:
        return any(m.lft <= other.lft <= m.rgt for m in place.members.all())
    return place.lft <= other.lft <= place.rgt


def _coalition_in(place: Place, org: Organization) -> bool:
    profile = CoalitionProfile.objects.filter(organization=org).first()
    where = profile.span if profile and profile.span else org.home_place
    if where is not None and where.is_overlay:
        return where == place or (
            not place.is_overlay and where.parent is not None and _inside(place, where.parent)
        )
    return _inside(place, where)


def direct(place: Place, issue: IssueArea | None) -> list[int]:
    """The figures, counted the slow and obvious way."""
    cutoff = timezone.now() - timedelta(days=90)
    live = Commitment.objects.filter(
        state=CommitmentState.ACTIVE, call__state__in=[CallState.GATHERING, CallState.GO]
    ).values_list("organization_id", flat=True)
    counts = [0] * 5
    for org in Organization.objects.filter(is_hidden=False).select_related("home_place"):
        if issue is not None and not org.issue_areas.filter(pk=issue.pk).exists():
            continue
        if org.kind == OrganizationKind.COALITION:
            counts[COALITIONS] += _coalition_in(place, org)
            continue
        if _inside(place, org.home_place):
            counts[HOME] += 1
            recent = org.updated_at >= cutoff or (
                org.last_confirmed_at is not None and org.last_confirmed_at >= cutoff
            )
            counts[RECENT] += recent
            counts[COMMITTED] += org.pk in set(live)
        elif any(_inside(place, served) for served in org.service_areas.all()):
            counts[SERVING] += 1
    return counts


def stored(place: Place, issue: IssueArea | None) -> list[int]:
    row = PlaceFigures.objects.filter(place=place).first()
    if row is None:
        return [0] * 5
    return row.figures.get(ALL if issue is None else str(issue.bit), [0] * 5)


def test_it_matches_a_direct_count_everywhere(movement: Movement) -> None:
    overview_rebuild()
    issues = [None, *IssueArea.objects.filter(slug__in=["housing", "food", "health", "labor"])]
    for place in Place.objects.all():
        for issue in issues:
            assert stored(place, issue) == direct(place, issue), (place.name, issue)


def test_it_counts_a_group_serving_from_elsewhere_once_per_place(movement: Movement) -> None:
    overview_rebuild()
    p = movement.places
    housing = IssueArea.objects.get(slug="housing")
    # The Portland chapter serves Seattle and Eureka: it is "serving" in both states' places
    # and in California, but at home (not serving) in Oregon, the US and the world.
    assert stored(p["seattle"], housing)[SERVING] == 1
    assert stored(p["humboldt"], housing)[SERVING] == 1
    assert stored(p["california"], housing)[SERVING] == 1
    assert stored(p["oregon"], housing)[SERVING] == 0
    assert stored(p["us"], housing)[SERVING] == 0
    # In Cascadia it is based, so not serving, though it serves three of its places.
    assert stored(p["cascadia"], housing)[SERVING] == 0


def test_it_counts_overlapping_region_members_once(movement: Movement) -> None:
    overview_rebuild()
    p = movement.places
    housing = IssueArea.objects.get(slug="housing")
    # Portland (tenants, chapter), Oregon itself, Seattle, Vancouver: Multnomah is not
    # added a second time on top of Oregon.
    assert stored(p["cascadia"], housing)[HOME] == 5
    assert stored(p["cascadia"], housing)[COALITIONS] == 3


def test_it_leaves_hidden_listings_out_and_keeps_samples(movement: Movement) -> None:
    overview_rebuild()
    p = movement.places
    food = IssueArea.objects.get(slug="food")
    assert stored(p["berkeley"], food)[HOME] == 1  # the sample co-op, as in the directory
    assert stored(p["berkeley"], None)[SERVING] == 1  # the roving clinic; not the hidden one


def test_it_counts_only_commitments_in_live_calls(movement: Movement) -> None:
    overview_rebuild()
    p = movement.places
    assert stored(p["portland"], None)[COMMITTED] == 1
    assert stored(p["seattle"], None)[COMMITTED] == 0  # withdrawn
    assert stored(p["nyc"], None)[COMMITTED] == 0  # the call closed


def test_it_writes_no_row_for_a_place_with_nothing(movement: Movement) -> None:
    overview_rebuild()
    assert PlaceFigures.objects.filter(place=movement.places["nyc"]).exists()
    Organization.objects.update(is_hidden=True)
    build = overview_rebuild()
    assert build.places == 0
    assert not PlaceFigures.objects.exists()


def test_it_replaces_the_figures_on_every_rebuild(movement: Movement) -> None:
    overview_rebuild()
    Organization.objects.filter(pk=movement.orgs["tenants"].pk).update(is_hidden=True)
    overview_rebuild()
    housing = IssueArea.objects.get(slug="housing")
    assert stored(movement.places["portland"], housing)[HOME] == 1  # the chapter alone
