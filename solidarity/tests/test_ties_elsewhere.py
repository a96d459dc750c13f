"""Confirmed deliveries as ties beyond the groups' own pages: the bird's-eye view counts them
(and names only the ones both groups show), its chore recounts after one, and each group
chooses whether its page shows them."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from overview.models import PlaceFigures
from overview.selectors import overview_for_place
from overview.services import overview_rebuild, overview_tick
from solidarity import selectors_ties
from solidarity.models import SupportSettings
from solidarity.tests.test_ties import helped

pytestmark = pytest.mark.django_db


def test_the_birds_eye_view_counts_a_tie_where_both_groups_are(cast, organizer):
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "nyc", confirm=False)
    overview_rebuild()
    us = overview_for_place(cast.places["us"])
    assert us.ties_total == 1
    assert [(t.helper_name, t.helped_name, t.deliveries) for t in us.ties] == [
        ("Oakland Solidarity Network", "Jackson Tenants Union", 2)
    ]
    # Mississippi holds only one of the two groups: no tie inside it.
    assert overview_for_place(cast.places["mississippi"]).ties_total == 0
    page = Client().get(f"/overview/{cast.places['us'].slug}/").content.decode()
    assert 'id="support-ties"' in page
    assert "1 pair of groups is tied" in page
    assert "Oakland Solidarity Network</a> helped <a" in page


def test_it_counts_a_tie_a_group_keeps_off_its_page_without_naming_it(cast, organizer):
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "portland", show=False)
    overview_rebuild()
    us = overview_for_place(cast.places["us"])
    assert us.ties_total == 2
    assert [t.helper_name for t in us.ties] == ["Oakland Solidarity Network"]
    page = Client().get(f"/overview/{cast.places['us'].slug}/").content.decode()
    assert "Portland Solidarity Network" not in page
    assert "Only the ties both groups show" in page


def test_a_hidden_group_is_neither_counted_nor_named(cast, organizer):
    helped(cast, organizer, "oakland")
    cast.helpers["oakland"].is_hidden = True
    cast.helpers["oakland"].save(update_fields=["is_hidden"])
    overview_rebuild()
    assert overview_for_place(cast.places["us"]).ties_total == 0


@pytest.mark.django_db(transaction=True)
def test_the_chore_recounts_after_a_confirmed_delivery(cast, organizer, monkeypatch: Any):
    from overview import tasks

    queued: list[int] = []

    class Queue:
        def enqueue(self, pk: int) -> None:
            queued.append(pk)

    monkeypatch.setattr(tasks, "overview_rebuild_task", Queue())
    overview_rebuild()
    later = timezone.now() + timedelta(minutes=6)
    assert overview_tick(now=later) is None  # nothing changed
    helped(cast, organizer, "nyc", confirm=False)
    assert overview_tick(now=later) is None  # a pledge is not yet a tie
    helped(cast, organizer, "oakland")
    assert overview_tick(now=later) is not None and len(queued) == 1
    assert PlaceFigures.objects.filter(ties__gt=0).count() == 0  # until the worker runs it


def test_a_group_keeps_its_ties_off_its_page_and_back(cast, organizer):
    helped(cast, organizer, "oakland")
    client = Client()
    client.force_login(organizer)
    page = client.get(f"/organizations/{cast.jackson.slug}/").content.decode()
    assert "Oakland Solidarity Network" in page and "Keep these off our page" in page
    url = f"/solidarity/organizations/{cast.jackson.slug}/support-settings/"
    assert client.post(url, {"show_ties": "false"}).status_code == 302
    assert SupportSettings.objects.get(organization=cast.jackson).show_ties is False
    assert AuditEvent.objects.filter(action="solidarity.support_settings_set").exists()
    # Neither page names the tie now: the helped group chose so.
    jackson_page = Client().get(f"/organizations/{cast.jackson.slug}/").content.decode()
    assert "Oakland Solidarity Network</a>" not in jackson_page
    oakland_page = Client().get(f"/organizations/{cast.helpers['oakland'].slug}/").content.decode()
    assert "Jackson Tenants Union</a>" not in oakland_page
    for org in (cast.jackson, cast.helpers["oakland"]):
        assert selectors_ties.organization_ties(org) == ([], [])
    page = client.get(f"/organizations/{cast.jackson.slug}/").content.decode()
    assert "Show whom we helped and who helped us" in page
    client.post(url, {"show_ties": "true"})
    assert (
        selectors_ties.organization_ties(cast.jackson)[1][0].organization == cast.helpers["oakland"]
    )


def test_only_a_groups_admins_choose_what_it_shows(cast, outsider):
    url = f"/solidarity/organizations/{cast.jackson.slug}/support-settings/"
    client = Client()
    assert client.post(url, {"show_ties": "false"}).status_code == 302  # to sign in
    client.force_login(outsider)
    assert client.get(url).status_code == 405
    assert client.post(url, {"show_ties": "false"}).status_code == 403
    assert not SupportSettings.objects.exists()
    page = client.get(f"/organizations/{cast.jackson.slug}/").content.decode()
    assert "Keep these off our page" not in page
