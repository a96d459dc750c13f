from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from directory.models import Organization
from resolution.models import MatchDecision, ReviewPair, ReviewStatus
from sources.models import SourceRecord
from sources.services import import_file


@pytest.fixture
def imported(lists: dict[str, Path], geocoder: None) -> None:
    import_file(user=None, path=lists["first"], source_name="first")
    import_file(user=None, path=lists["second"], source_name="second")


def _record(source: str, key: int) -> SourceRecord:
    return SourceRecord.objects.select_related("organization").get(
        source__name=source, record_key=key
    )


@pytest.fixture
def pair(imported: None) -> ReviewPair:
    # Rose City (Portland, Oregon) and Salem Food Share (Salem, Oregon): two organizations.
    return ReviewPair.objects.create(
        record_a=_record("first", 4),
        record_b=_record("first", 5),
        probability=0.5,
        explanation={
            "name": [-3.6, "All other comparisons"],
            "place": [4.0, "Exact match on state"],
        },
    )


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_it_shows_the_queue_side_by_side_to_a_site_coordinator(pair, site_coordinator) -> None:
    client = _client(site_coordinator)
    queue = client.get(reverse("resolution:queue"))
    assert queue.status_code == 200 and "Rose City Mutual Aid" in queue.content.decode()
    page = client.get(reverse("resolution:pair", args=[pair.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Salem Food Share" in html and "differs" in html and "the same state" in html


def test_it_refuses_the_queue_to_an_outsider(pair, outsider, client) -> None:
    assert client.get(reverse("resolution:queue")).status_code == 302
    outsider_client = _client(outsider)
    assert outsider_client.get(reverse("resolution:queue")).status_code == 403
    page = outsider_client.post(reverse("resolution:pair", args=[pair.pk]), {"decision": "same"})
    assert page.status_code == 403
    assert ReviewPair.objects.get(pk=pair.pk).status == ReviewStatus.OPEN


def test_it_lets_a_regional_coordinator_keep_a_pair_apart(pair, regional_coordinator) -> None:
    page = _client(regional_coordinator).post(
        reverse("resolution:pair", args=[pair.pk]),
        {"decision": "different", "reason": "two groups"},
    )
    assert page.status_code == 302
    assert ReviewPair.objects.get(pk=pair.pk).status == ReviewStatus.KEPT_APART
    decision = MatchDecision.objects.get()
    assert decision.same is False and decision.decided_by == regional_coordinator


def test_it_merges_a_pair_decided_the_same(pair, site_coordinator) -> None:
    page = _client(site_coordinator).post(
        reverse("resolution:pair", args=[pair.pk]), {"decision": "same"}
    )
    assert page.status_code == 302
    assert _record("first", 4).organization_id == _record("first", 5).organization_id


def test_it_answers_a_bad_decision_and_a_wrong_method(pair, site_coordinator) -> None:
    client = _client(site_coordinator)
    url = reverse("resolution:pair", args=[pair.pk])
    bad = client.post(url, {"decision": "maybe"})
    assert bad.status_code == 400 and "decision" in bad.context["form"].errors
    assert client.put(url).status_code == 405
    assert client.post(reverse("resolution:queue")).status_code == 405


def test_it_shows_merged_records_on_the_organization_page(imported, site_coordinator) -> None:
    org = _record("first", 1).organization
    assert org is not None
    page = _client(site_coordinator).get(reverse("organization", args=[org.slug]))
    html = page.content.decode()
    assert "Merged from 2 records" in html and "first #1" in html and "first #3" in html
    assert reverse("resolution:organization", args=[org.pk]) in html


def test_it_splits_records_from_the_organization_page(imported, site_coordinator) -> None:
    org = _record("first", 1).organization
    assert org is not None
    page = _client(site_coordinator).post(
        reverse("resolution:organization", args=[org.pk]),
        {"action": "split", "records": [_record("first", 3).pk], "reason": "a second group"},
    )
    assert page.status_code == 302
    assert _record("first", 3).organization_id != org.pk
    assert Organization.objects.filter(pk=org.pk).exists()


def test_it_refuses_a_regional_coordinator_outside_their_region(
    imported, regional_coordinator
) -> None:
    queens = _record("first", 1).organization
    assert queens is not None
    url = reverse("resolution:organization", args=[queens.pk])
    assert _client(regional_coordinator).get(url).status_code == 403
