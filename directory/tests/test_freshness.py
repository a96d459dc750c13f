"""Freshness of listings: labels and fading, the check-in link, confirming and stopping."""

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, User
from directory import freshness, services
from directory.models import Organization, OrganizationStatus
from places.models import Place

DAY = timedelta(days=1)


def _aged(org: Organization, *, confirmed_days: int | None, listed_days: int = 1000) -> None:
    now = timezone.now()
    Organization.objects.filter(pk=org.pk).update(
        created_at=now - listed_days * DAY,
        last_confirmed_at=None if confirmed_days is None else now - confirmed_days * DAY,
    )
    org.refresh_from_db()


def _old_token(org: Organization, user: User, days: int, mp: pytest.MonkeyPatch) -> str:
    """A token signed `days` ago."""
    then = int(time.time()) - days * 86400
    mp.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
    token = freshness.checkin_token(org, user)
    mp.undo()
    return token


class TestFading:
    @pytest.mark.parametrize(
        ("days", "level"),
        [(0, "fresh"), (179, "fresh"), (181, "fading"), (359, "fading"), (361, "stale")],
    )
    def test_it_fades_past_the_interval_and_more_past_twice(
        self, tenants: Organization, days: int, level: str
    ) -> None:
        _aged(tenants, confirmed_days=days)
        assert freshness.freshness_of(tenants).level == level

    def test_it_follows_the_configured_interval(self, tenants: Organization, settings) -> None:
        settings.FRESHNESS_INTERVAL_DAYS = 30
        _aged(tenants, confirmed_days=45)
        assert freshness.freshness_of(tenants).level == "fading"

    def test_it_says_in_words_when_a_listing_was_confirmed(self, tenants: Organization) -> None:
        _aged(tenants, confirmed_days=0)
        assert freshness.freshness_of(tenants).label == "Confirmed today"
        _aged(tenants, confirmed_days=92)
        label = freshness.freshness_of(tenants).label.replace("\xa0", " ")
        assert label == "Confirmed 3 months ago"
        _aged(tenants, confirmed_days=1500)
        fresh = freshness.freshness_of(tenants)
        year = (timezone.now() - 1500 * DAY).year
        assert fresh.label == f"Not confirmed since {year}"
        assert fresh.warning == "Probably out of date"

    def test_it_counts_a_never_confirmed_listing_from_when_it_was_listed(
        self, tenants: Organization
    ) -> None:
        _aged(tenants, confirmed_days=None, listed_days=10)
        assert freshness.freshness_of(tenants).level == "fresh"
        _aged(tenants, confirmed_days=None, listed_days=400)
        fresh = freshness.freshness_of(tenants)
        assert fresh.level == "stale"
        assert fresh.label.startswith("Never confirmed")

    def test_it_shows_the_label_and_the_warning_on_the_group_page_and_cards(
        self, client: Client, tenants: Organization
    ) -> None:
        _aged(tenants, confirmed_days=200)
        page = client.get(reverse("organization", args=[tenants.slug])).content.decode()
        assert "Not confirmed since" in page and "May be out of date" in page
        cards = client.get(reverse("directory:search")).content.decode()
        assert "freshness-fading" in cards and "May be out of date" in cards

    def test_it_gives_freshness_in_the_api(self, client: Client, tenants: Organization) -> None:
        _aged(tenants, confirmed_days=400)
        body = client.get(f"/api/organizations/{tenants.slug}").json()
        assert body["freshness"] == "stale"
        assert body["freshness_label"].startswith("Not confirmed since")


class TestTokens:
    def test_it_reads_back_its_own_token(self, tenants: Organization, organizer: User) -> None:
        token = freshness.checkin_token(tenants, organizer)
        assert freshness.checkin_token_read(token) == (tenants.pk, organizer.pk)

    def test_it_refuses_a_forged_token(self, tenants: Organization, organizer: User) -> None:
        token = freshness.checkin_token(tenants, organizer)
        forged = signing.TimestampSigner(salt="something else").sign_object(
            {"o": tenants.pk, "u": organizer.pk}
        )
        with pytest.raises(ValidationError):
            freshness.checkin_token_read(forged)
        with pytest.raises(ValidationError):
            freshness.checkin_token_read(token[:-2] + "xx")

    def test_it_refuses_an_expired_token(
        self, tenants: Organization, organizer: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token = _old_token(tenants, organizer, 61, monkeypatch)
        with pytest.raises(ValidationError) as caught:
            freshness.checkin_token_read(token)
        assert caught.value.code == "expired"


class TestCheckinPage:
    def test_it_confirms_only_by_post(
        self, client: Client, tenants: Organization, organizer: User
    ) -> None:
        _aged(tenants, confirmed_days=200)
        url = reverse("directory:checkin", args=[freshness.checkin_token(tenants, organizer)])
        shown = client.get(url)
        assert shown.status_code == 200
        assert "still active" in shown.content.decode()
        tenants.refresh_from_db()
        assert freshness.freshness_of(tenants).level == "fading"  # a mail scanner's GET
        answered = client.post(url, {"answer": "confirm"})
        assert answered.status_code == 302
        assert answered["Location"] == reverse("organization", args=[tenants.slug])
        tenants.refresh_from_db()
        assert freshness.freshness_of(tenants).label == "Confirmed today"
        event = AuditEvent.objects.filter(action="organization.confirm").get()
        assert event.actor == organizer and event.data == {"via": "checkin"}
        page = client.get(answered["Location"]).content.decode()
        assert "Confirmed today" in page

    def test_it_refuses_other_methods(
        self, client: Client, tenants: Organization, organizer: User
    ) -> None:
        url = reverse("directory:checkin", args=[freshness.checkin_token(tenants, organizer)])
        assert client.put(url).status_code == 405
        assert client.delete(url).status_code == 405

    def test_it_refuses_forged_and_expired_links(
        self,
        client: Client,
        tenants: Organization,
        organizer: User,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        _aged(tenants, confirmed_days=200)
        old = _old_token(tenants, organizer, 61, monkeypatch)
        for token in (old, "not-a-token", freshness.checkin_token(tenants, organizer)[:-3] + "abc"):
            response = client.post(
                reverse("directory:checkin", args=[token]), {"answer": "confirm"}
            )
            assert response.status_code == 400
        tenants.refresh_from_db()
        assert tenants.last_confirmed_at is not None
        assert tenants.last_confirmed_at < timezone.now() - 100 * DAY

    def test_it_refuses_a_link_of_someone_no_longer_an_admin(
        self, client: Client, tenants: Organization, organizer: User, member: User
    ) -> None:
        services.organization_admin_add(user=organizer, organization=tenants, new_admin=member)
        token = freshness.checkin_token(tenants, member)
        services.organization_admin_remove(user=organizer, organization=tenants, admin=member)
        response = client.post(reverse("directory:checkin", args=[token]), {"answer": "confirm"})
        assert response.status_code == 403

    def test_it_refuses_a_link_made_for_another_listing(
        self, client: Client, tenants: Organization, riders: Organization, organizer: User
    ) -> None:
        # The organizer does not look after Oakland Transit Riders.
        token = freshness.checkin_token(riders, organizer)
        response = client.post(reverse("directory:checkin", args=[token]), {"answer": "confirm"})
        assert response.status_code == 403

    def test_it_marks_a_stopped_group_inactive_and_keeps_it(
        self, client: Client, tenants: Organization, organizer: User
    ) -> None:
        url = reverse("directory:checkin", args=[freshness.checkin_token(tenants, organizer)])
        assert client.post(url, {"answer": "stop"}).status_code == 302
        tenants.refresh_from_db()
        assert tenants.status == OrganizationStatus.INACTIVE
        assert AuditEvent.objects.filter(action="organization.stop", actor=organizer).exists()
        default = client.get(reverse("directory:search")).content.decode()
        assert tenants.name not in default
        every = client.get(reverse("directory:search"), {"status": ""}).content.decode()
        assert tenants.name in every

    def test_it_makes_a_group_stopped_in_error_active_again(
        self, client: Client, tenants: Organization, organizer: User
    ) -> None:
        url = reverse("directory:checkin", args=[freshness.checkin_token(tenants, organizer)])
        client.post(url, {"answer": "stop"})
        client.post(url, {"answer": "confirm"})
        tenants.refresh_from_db()
        assert tenants.status == OrganizationStatus.ACTIVE
        last = AuditEvent.objects.filter(action="organization.confirm").latest("id")
        assert last.data == {"via": "checkin", "reactivated": True}

    def test_it_refuses_an_answer_it_does_not_know(
        self, client: Client, tenants: Organization, organizer: User
    ) -> None:
        url = reverse("directory:checkin", args=[freshness.checkin_token(tenants, organizer)])
        assert client.post(url, {"answer": "delete"}).status_code == 400


class TestConfirmFromThePage:
    def test_it_lets_a_signed_in_admin_confirm(
        self, client: Client, tenants: Organization, organizer: User
    ) -> None:
        _aged(tenants, confirmed_days=300)
        client.force_login(organizer)
        response = client.post(reverse("directory:confirm", args=[tenants.slug]))
        assert response.status_code == 302
        tenants.refresh_from_db()
        assert freshness.freshness_of(tenants).level == "fresh"

    def test_it_refuses_outsiders_and_get(
        self, client: Client, tenants: Organization, outsider: User, organizer: User
    ) -> None:
        url = reverse("directory:confirm", args=[tenants.slug])
        assert client.post(url).status_code == 302  # to sign in
        client.force_login(outsider)
        assert client.post(url).status_code == 403
        client.force_login(organizer)
        assert client.get(url).status_code == 405
        with pytest.raises(PermissionDenied):
            services.organization_confirm(user=outsider, organization=tenants)

    def test_it_counts_an_edit_by_an_admin_as_confirmation(
        self, tenants: Organization, organizer: User
    ) -> None:
        from outreach.services import claimed_listing_update

        _aged(tenants, confirmed_days=300)
        claimed_listing_update(
            user=organizer, organization=tenants, listing={"description": "Still organizing."}
        )
        tenants.refresh_from_db()
        assert freshness.freshness_of(tenants).label == "Confirmed today"


class TestRegionChart:
    def test_it_counts_like_a_direct_count(self, places: dict[str, Place], organizer: User) -> None:
        now = timezone.now()
        ages = [None, 10, 100, 200, 300, 400, 500, 800, 2000, None]
        homes = ["portland", "portland", "eureka", "seattle", "oakland", "oakland", "nyc"]
        for i, age in enumerate(ages):
            org = services.organization_create(
                user=None,
                name=f"Group {i}",
                home_place=places[homes[i % len(homes)]],
                last_confirmed_at=None if age is None else now - age * DAY,
            )
        services.organization_create(user=None, name="Oregon-wide", home_place=places["oregon"])
        services.organization_create(
            user=None, name="Gone", home_place=places["portland"], status="inactive"
        )
        rows = freshness.region_freshness(places["us"], now)
        total = freshness.region_total(rows)
        listed = Organization.objects.filter(
            places["us"].contains_q(), status="active", is_hidden=False
        )
        assert total.total == listed.count()
        assert total.counts["never"] == listed.filter(last_confirmed_at__isnull=True).count()
        assert (
            total.counts["recent"] == listed.filter(last_confirmed_at__gte=now - 182 * DAY).count()
        )
        assert total.counts["older"] == listed.filter(last_confirmed_at__lt=now - 730 * DAY).count()
        by_place = {row.label: row.total for row in rows}
        for state in ("california", "oregon", "washington", "new_york"):
            place = places[state]
            assert by_place.get(place.name, 0) == listed.filter(place.contains_q()).count()
        # An overlay region's rows are its member places.
        cascadia = freshness.region_freshness(places["cascadia"], now)
        assert {r.label for r in cascadia} <= {"Oregon", "Washington", "Humboldt County"}
        assert freshness.region_total(cascadia).total == (
            listed.filter(places["cascadia"].contains_q()).count()
        )
        del org

    def test_it_counts_groups_based_at_the_place_itself_apart(
        self, places: dict[str, Place]
    ) -> None:
        services.organization_create(user=None, name="Statewide", home_place=places["oregon"])
        services.organization_create(user=None, name="Local", home_place=places["portland"])
        rows = freshness.region_freshness(places["oregon"], timezone.now())
        assert [(r.label, r.total) for r in rows] == [
            ("Oregon itself", 1),
            ("Multnomah County", 1),
        ]

    def test_it_remembers_a_chart_until_listings_change_or_it_grows_old(
        self, places: dict[str, Place], django_assert_num_queries, monkeypatch
    ) -> None:
        freshness._charts.clear()
        services.organization_create(user=None, name="One", home_place=places["portland"])
        first = freshness.region_freshness(places["oregon"])
        with django_assert_num_queries(1):  # the directory version only
            assert freshness.region_freshness(places["oregon"]) is first
        services.organization_create(user=None, name="Two", home_place=places["portland"])
        monkeypatch.setattr(freshness, "CHART_MAX_AGE", 0.0)
        again = freshness.region_freshness(places["oregon"])
        assert freshness.region_total(again).total == 2
        freshness._charts.clear()
