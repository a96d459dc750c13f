"""The check-in chore and coordinators' stale list with its freshness chart."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from coalitions.models import Notice
from commonweal.management.commands import worker
from commonweal.tests.smtpsink import relay_to, running_sink
from directory import freshness, services
from directory.models import Organization
from outbox.models import OutboxMessage
from outreach.checkins import checkins_send
from outreach.models import OutreachEntry
from places.models import Place

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _no_remembered_charts() -> None:
    freshness._charts.clear()


@pytest.fixture(autouse=True)
def _mail_in_memory(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.SITE_URL = "http://hub.test"


def _listed_days_ago(org: Organization, days: int) -> Organization:
    Organization.objects.filter(pk=org.pk).update(created_at=timezone.now() - days * DAY)
    org.refresh_from_db()
    return org


class TestCheckinChore:
    def test_it_asks_each_admin_once_per_period(
        self, administered: Organization, organizer: User, member: User
    ) -> None:
        services.organization_admin_add(user=organizer, organization=administered, new_admin=member)
        _listed_days_ago(administered, 200)
        assert checkins_send() == {"asked": 1, "unattended": 0}
        assert sorted(m.to[0] for m in mail.outbox) == [member.email, organizer.email]
        assert Notice.objects.filter(user=organizer, text__contains="still active").count() == 1
        # Again at once, and the next day: nothing more this period.
        assert checkins_send() == {"asked": 0, "unattended": 0}
        assert checkins_send(now=timezone.now() + DAY) == {"asked": 0, "unattended": 0}
        assert len(mail.outbox) == 2
        # One interval after the last check-in, unanswered: asked again.
        assert checkins_send(now=timezone.now() + 181 * DAY)["asked"] == 1
        assert len(mail.outbox) == 4

    def test_it_waits_an_interval_after_a_confirmation(
        self, administered: Organization, organizer: User
    ) -> None:
        _listed_days_ago(administered, 400)
        services.organization_confirm(user=organizer, organization=administered)
        assert checkins_send()["asked"] == 0
        assert checkins_send(now=timezone.now() + 179 * DAY)["asked"] == 0
        assert checkins_send(now=timezone.now() + 181 * DAY)["asked"] == 1

    def test_it_never_mails_for_groups_without_admins(
        self, found: Organization, places: dict[str, Place]
    ) -> None:
        _listed_days_ago(found, 200)
        assert checkins_send() == {"asked": 0, "unattended": 1}
        assert mail.outbox == []
        # It waits on the coordinators' stale list instead.
        assert found in freshness.stale_listings(timezone.now())

    def test_it_leaves_inactive_and_hidden_listings_alone(
        self, administered: Organization, organizer: User
    ) -> None:
        _listed_days_ago(administered, 200)
        services.organization_stop(user=organizer, organization=administered)
        _listed_days_ago(administered, 200)
        Organization.objects.filter(pk=administered.pk).update(last_confirmed_at=None)
        assert checkins_send() == {"asked": 0, "unattended": 0}

    def test_it_works_in_batches_and_stops_at_its_limit(
        self, places: dict[str, Place], organizer: User
    ) -> None:
        for i in range(7):
            org = services.organization_create(
                user=organizer, name=f"Group {i}", home_place=places["portland"]
            )
            _listed_days_ago(org, 200 + i)
        assert checkins_send(batch=2, limit=5) == {"asked": 5, "unattended": 0}
        assert checkins_send(batch=2, limit=5) == {"asked": 2, "unattended": 0}
        # Oldest first: the first run took the five listed longest ago.
        asked = [m.subject for m in mail.outbox]
        assert set(asked[:5]) == {f"Is Group {i} still active?" for i in (6, 5, 4, 3, 2)}

    def test_it_reads_only_due_listings_through_the_index(self, administered: Organization) -> None:
        _listed_days_ago(administered, 200)
        due = freshness.due_for_checkin(timezone.now())
        if connection.vendor == "sqlite":
            plan = due.explain()
            assert "org_listed_checkin_due" in plan and "TEMP B-TREE" not in plan
        else:
            # On a handful of rows PostgreSQL may rightly prefer another plan (it chose a sort
            # over a different index once, depending on the statistics earlier tests left), so
            # the cheaper paths are switched off: what is checked is that the index can serve
            # the query in its order, which is what a million listings need.
            with transaction.atomic(), connection.cursor() as cursor:
                for knob in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                    cursor.execute(f"SET LOCAL {knob} = off")
                plan = due.explain()
            assert "org_listed_checkin_due" in plan and "Sort" not in plan

    def test_it_runs_on_the_workers_tick(self, administered: Organization) -> None:
        _listed_days_ago(administered, 200)
        worker.tick()
        assert len(mail.outbox) == 1

    def test_it_hands_the_mail_to_a_real_smtp_server(
        self,
        administered: Organization,
        organizer: User,
        settings: Any,
        tmp_path: Any,
        django_capture_on_commit_callbacks: Any,
        client: Client,
    ) -> None:
        _listed_days_ago(administered, 200)
        with running_sink() as sink:
            settings.MAILERS, settings.OUTBOX_DIR = relay_to(sink.port), tmp_path
            with django_capture_on_commit_callbacks(execute=True):
                checkins_send()
            (message,) = sink.received()
        assert message["To"] == organizer.email
        assert message["Subject"] == "Is Alberta Street Mutual Aid still active?"
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        link = next(w for w in body.split() if "/directory/checkin/" in w)
        assert link.startswith("http://hub.test/directory/checkin/")
        assert OutboxMessage.objects.filter(purpose="checkin").count() == 1
        # The mailed link works, and only by POST.
        path = link.removeprefix("http://hub.test")
        assert client.get(path).status_code == 200
        assert client.post(path, {"answer": "confirm"}).status_code == 302
        administered.refresh_from_db()
        assert freshness.freshness_of(administered).label == "Confirmed today"


@pytest.fixture
def stale_oregon(places: dict[str, Place]) -> list[Organization]:
    made = []
    for i, (home, days) in enumerate([("portland", 900), ("portland", 300), ("oregon", 500)]):
        org = services.organization_create(
            user=None, name=f"Oregon group {i}", home_place=places[home], as_admin=False
        )
        made.append(_listed_days_ago(org, days))
    fresh = services.organization_create(
        user=None, name="Fresh Portland group", home_place=places["portland"], as_admin=False
    )
    services.organization_create(
        user=None, name="Old California group", home_place=places["oakland"], as_admin=False
    )
    _listed_days_ago(Organization.objects.get(name="Old California group"), 900)
    del fresh
    return made


class TestStaleList:
    def test_it_lists_stale_groups_of_the_region_oldest_first(
        self, client: Client, regional_coordinator: User, stale_oregon: list[Organization]
    ) -> None:
        client.force_login(regional_coordinator)
        response = client.get(reverse("outreach:stale"))
        assert response.status_code == 200
        listed = [org.name for org, _ in response.context["listings"]]
        assert listed == ["Oregon group 0", "Oregon group 2", "Oregon group 1"]
        page = response.content.decode()
        assert "Old California group" not in page and "Fresh Portland group" not in page
        assert "<svg" in page and "Never confirmed" in page

    def test_it_shows_a_one_bar_chart_of_each_place_on_the_board(
        self, client: Client, regional_coordinator: User, stale_oregon: list[Organization]
    ) -> None:
        client.force_login(regional_coordinator)
        page = client.get(reverse("outreach:list")).content.decode()
        assert "How fresh your places" in page and 'class="freshness-chart"' in page
        assert "Stale listings in Oregon" in page

    def test_it_finds_the_same_stale_listings_by_either_plan(
        self, places: dict[str, Place], stale_oregon: list[Organization]
    ) -> None:
        now = timezone.now()
        by_range = freshness.stale_listings(now, places["oregon"], listed=10)
        walked = freshness.stale_listings(now, places["oregon"], listed=10**6)
        assert list(by_range) == list(walked) == [stale_oregon[0], stale_oregon[2], stale_oregon[1]]
        cascadia = freshness.stale_listings(now, places["cascadia"], listed=10**6)
        assert list(cascadia) == list(by_range)

    def test_it_adds_a_stale_group_to_outreach_through_the_board(
        self, client: Client, regional_coordinator: User, stale_oregon: list[Organization]
    ) -> None:
        client.force_login(regional_coordinator)
        oldest = stale_oregon[0]
        response = client.post(reverse("outreach:entry_add"), {"organization": oldest.pk})
        assert response.status_code == 302
        assert OutreachEntry.objects.filter(organization=oldest).exists()
        page = client.get(reverse("outreach:stale")).content.decode()
        assert "On your outreach board." in page

    def test_it_refuses_outsiders_and_places_outside_the_region(
        self,
        client: Client,
        outsider: User,
        regional_coordinator: User,
        places: dict[str, Place],
        stale_oregon: list[Organization],
    ) -> None:
        url = reverse("outreach:stale")
        assert client.get(url).status_code == 302  # to sign in
        client.force_login(outsider)
        assert client.get(url).status_code == 403
        client.force_login(regional_coordinator)
        assert client.get(url, {"place": places["california"].slug}).status_code == 403
        assert client.get(url, {"place": places["multnomah"].slug}).status_code == 200
        assert client.get(url, {"place": "no-such-place"}).status_code == 400
        assert client.post(url).status_code == 405

    def test_it_draws_the_chart_from_one_grouped_query(
        self, client: Client, regional_coordinator: User, stale_oregon: list[Organization]
    ) -> None:
        client.force_login(regional_coordinator)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("outreach:stale"))
        grouped = [q["sql"] for q in queries if "GROUP BY" in q["sql"]]
        assert len(grouped) == 1
        total = response.context["total"]
        assert (
            total.total
            == Organization.objects.filter(
                response.context["place"].contains_q(), status="active"
            ).count()
        )

    def test_it_lets_a_site_coordinator_start_from_the_world(
        self, client: Client, site_coordinator: User, stale_oregon: list[Organization]
    ) -> None:
        client.force_login(site_coordinator)
        response = client.get(reverse("outreach:stale"))
        assert response.status_code == 200
        assert "Old California group" in response.content.decode()


@override_settings(FRESHNESS_INTERVAL_DAYS=30)
def test_the_interval_is_a_setting(administered: Organization) -> None:
    _listed_days_ago(administered, 40)
    assert checkins_send()["asked"] == 1
