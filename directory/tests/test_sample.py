"""Sample listings: fictional, marked as such, placed and tagged consistently."""

import pytest
from django.core.management import CommandError, call_command

from coalitions.models import Membership, MembershipStatus
from directory import search
from directory.models import DirectoryState, Organization, OrganizationKind
from directory.sample import SAMPLE_NOTE, sample_create
from places.models import Place


def test_it_makes_the_number_of_sample_listings_asked_for(places: dict[str, Place]) -> None:
    result = sample_create(organizations=300, seed=1, coalitions=0)
    assert result.organizations == 300
    assert Organization.objects.count() == 300
    assert not Organization.objects.filter(is_sample=False).exists()
    assert not Organization.objects.exclude(description__contains=SAMPLE_NOTE).exists()


def test_it_places_listings_in_towns_and_copies_their_tree_number(places: dict[str, Place]) -> None:
    sample_create(organizations=200, seed=2, coalitions=0)
    towns = {p.pk: p for p in places.values() if p.kind == "locality"}
    for org in Organization.objects.all():
        assert org.home_place_id in towns
        assert org.place_lft == towns[org.home_place_id].lft
        town = towns[org.home_place_id]
        assert org.latitude is not None and town.latitude is not None
        assert abs(org.latitude - town.latitude) < 1.5
    # New York City, the biggest town by far, holds the most listings.
    busiest = max(towns.values(), key=lambda t: Organization.objects.filter(home_place=t).count())
    assert busiest == places["nyc"]


def test_it_keeps_the_issue_mask_equal_to_the_issue_areas(places: dict[str, Place]) -> None:
    sample_create(organizations=200, seed=3, coalitions=5)
    for org in Organization.objects.prefetch_related("issue_areas"):
        areas = list(org.issue_areas.all())
        assert areas, org.name
        assert org.issue_mask == sum(1 << a.bit for a in areas)


def test_it_names_issues_that_fit_the_name(places: dict[str, Place]) -> None:
    sample_create(organizations=400, seed=4, coalitions=0)
    for org in Organization.objects.filter(name__endswith="Tenants Union").prefetch_related(
        "issue_areas"
    ):
        assert "housing" in {a.slug for a in org.issue_areas.all()}


def test_it_makes_coalitions_with_accepted_members(places: dict[str, Place]) -> None:
    result = sample_create(organizations=600, seed=5, coalitions=8)
    assert result.coalitions > 0
    coalitions = Organization.objects.filter(kind=OrganizationKind.COALITION)
    assert coalitions.count() == result.coalitions
    assert Membership.objects.count() == result.memberships
    assert not Membership.objects.exclude(status=MembershipStatus.ACTIVE).exists()
    assert all(c.member_links.exists() for c in coalitions)
    # Some coalitions are themselves members of a wider one.
    assert Membership.objects.filter(member__kind=OrganizationKind.COALITION).exists()


def test_it_is_repeatable_with_the_same_seed(places: dict[str, Place]) -> None:
    sample_create(organizations=50, seed=9, coalitions=0)
    first = list(
        Organization.objects.order_by("id").values_list("name", "home_place_id", "issue_mask")
    )
    sample_create(organizations=50, seed=9, coalitions=0, replace=True)
    second = list(
        Organization.objects.order_by("id").values_list("name", "home_place_id", "issue_mask")
    )
    assert first == second


def test_it_replaces_earlier_samples_and_keeps_real_listings(places: dict[str, Place]) -> None:
    real = Organization.objects.create(name="A real group", slug="a-real-group")
    sample_create(organizations=100, seed=1)
    result = sample_create(organizations=40, seed=2, coalitions=0, replace=True)
    assert result.deleted >= 100
    assert Organization.objects.filter(is_sample=True).count() == 40
    assert Organization.objects.filter(pk=real.pk).exists()


def test_it_adds_beside_earlier_samples_without_replace(places: dict[str, Place]) -> None:
    sample_create(organizations=30, seed=1, coalitions=0)
    sample_create(organizations=30, seed=1, coalitions=0)
    assert Organization.objects.count() == 60
    assert Organization.objects.values("slug").distinct().count() == 60


def test_it_keeps_the_text_index_and_directory_version_current(places: dict[str, Place]) -> None:
    before = DirectoryState.objects.get(pk=1).version
    sample_create(organizations=200, seed=6, coalitions=0)
    assert DirectoryState.objects.get(pk=1).version > before
    found = search.filter_text(Organization.objects.all(), "tenants")
    expected = Organization.objects.filter(
        description__icontains="tenants"
    ) | Organization.objects.filter(name__icontains="tenants")
    assert set(found.values_list("id", flat=True)) == set(expected.values_list("id", flat=True))
    assert found.exists()
    assert search.sqlite_index_is_complete()


def test_the_command_reports_what_it_made(
    places: dict[str, Place], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("sample", organizations=25, seed=1, coalitions=0)
    assert "Added 25 sample organizations" in capsys.readouterr().out


def test_the_command_explains_when_there_are_no_places(db: None) -> None:
    with pytest.raises(CommandError, match="places load"):
        call_command("sample", organizations=5)


def test_it_indexes_place_and_issue_for_faceted_search(places: dict[str, Place]) -> None:
    from django.contrib.auth.models import AnonymousUser

    from directory.models import IssueArea
    from directory.selectors import organization_search

    sample_create(organizations=300, seed=7, coalitions=0)
    housing = IssueArea.objects.get(slug="housing")
    found = organization_search(user=AnonymousUser(), place=places["california"], issue="housing")
    ca = places["california"]
    expected = {
        o.pk
        for o in Organization.objects.filter(place_lft__gte=ca.lft, place_lft__lte=ca.rgt)
        if o.issue_mask >> housing.bit & 1
    }
    assert expected
    assert {o.pk for o in found} == expected
