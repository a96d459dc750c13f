"""The outreach pipeline: only a place's coordinators see and change it; notes stay private."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import RegionalCoordinator, User
from directory.models import Organization
from directory.tagging import organization_issue_areas_correct
from outreach import selectors, services
from outreach.models import OutreachEntry, Stage
from places.models import Place

PRIVATE_NOTE = "Met Dana at the rent strike; prefers Signal."


@pytest.fixture
def entry(found: Organization, places: dict[str, Place], regional_coordinator: User):
    entry = services.outreach_entry_create(
        user=regional_coordinator, organization=found, place=places["oregon"]
    )
    return services.outreach_entry_update(
        user=regional_coordinator,
        entry=entry,
        notes=PRIVATE_NOTE,
        next_step="Call back",
        next_step_on=timezone.localdate() - timedelta(days=2),
        assigned_to=regional_coordinator,
    )


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


class TestPermissions:
    def test_it_refuses_outsiders_everywhere(
        self, client: Client, entry: OutreachEntry, outsider: User, found: Organization
    ) -> None:
        _login(client, outsider)
        assert client.get(reverse("outreach:list")).status_code == 403
        assert client.get(reverse("outreach:export")).status_code == 403
        assert client.get(reverse("outreach:entry", args=[entry.pk])).status_code == 403
        response = client.post(
            reverse("outreach:entry_stage", args=[entry.pk]), {"stage": "active"}
        )
        assert response.status_code == 403
        assert (
            client.post(reverse("outreach:entry_add"), {"organization": found.pk}).status_code
            == 403
        )
        with pytest.raises(PermissionDenied):
            services.outreach_stage_set(user=outsider, entry=entry, stage=Stage.ACTIVE)

    def test_it_sends_anonymous_people_to_sign_in(self, client: Client) -> None:
        response = client.get(reverse("outreach:list"))
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_it_keeps_other_places_teams_out(
        self,
        entry: OutreachEntry,
        places: dict[str, Place],
        faraway: Organization,
        regional_coordinator: User,
    ) -> None:
        washington = User.objects.create_user("wa@example.org", "a-long-passphrase")
        RegionalCoordinator.objects.create(user=washington, place=places["washington"])
        cascadia = User.objects.create_user("c@example.org", "a-long-passphrase")
        RegionalCoordinator.objects.create(user=cascadia, place=places["cascadia"])
        assert not selectors.entries_for_user(washington).exists()
        with pytest.raises(PermissionDenied):
            selectors.get_entry_for_user(washington, entry.pk)
        # A region's team covers its member places, as everywhere in the hub...
        assert list(selectors.entries_for_user(cascadia)) == [entry]
        regional = services.outreach_entry_create(
            user=cascadia, organization=entry.organization, place=places["cascadia"]
        )
        # ...but a region's own entries are not the Oregon team's.
        assert list(selectors.entries_for_user(regional_coordinator)) == [entry]
        with pytest.raises(PermissionDenied):
            selectors.get_entry_for_user(regional_coordinator, regional.pk)
        # And no team takes on a group outside its place.
        with pytest.raises(ValidationError):
            services.outreach_entry_create(
                user=cascadia, organization=faraway, place=places["cascadia"]
            )

    def test_it_lets_site_coordinators_see_every_team(
        self, entry: OutreachEntry, site_coordinator: User
    ) -> None:
        assert list(selectors.entries_for_user(site_coordinator)) == [entry]


class TestPipeline:
    def test_it_adds_a_group_from_its_page_for_the_coordinators_place(
        self, client: Client, found: Organization, regional_coordinator: User
    ) -> None:
        _login(client, regional_coordinator)
        page = client.get(reverse("organization", args=[found.slug]))
        assert b"Add to outreach" in page.content
        response = client.post(reverse("outreach:entry_add"), {"organization": found.pk})
        assert response.status_code == 302
        entry = OutreachEntry.objects.get(organization=found)
        assert entry.place.slug == "us-oregon" or entry.place.name == "Oregon"
        assert entry.stage == Stage.FOUND

    def test_it_changes_stage_over_htmx_and_keeps_history(
        self, client: Client, entry: OutreachEntry, regional_coordinator: User
    ) -> None:
        _login(client, regional_coordinator)
        response = client.post(
            reverse("outreach:entry_stage", args=[entry.pk]),
            {"stage": "contacted"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert b'<tr id="entry-' in response.content
        entry.refresh_from_db()
        assert entry.stage == Stage.CONTACTED
        assert [(c.from_stage, c.to_stage) for c in entry.history.all()] == [
            ("found", "contacted"),
            ("", "found"),
        ]
        bad = client.post(reverse("outreach:entry_stage", args=[entry.pk]), {"stage": "won"})
        assert bad.status_code == 400
        assert client.get(reverse("outreach:entry_stage", args=[entry.pk])).status_code == 405

    def test_it_filters_by_stage_place_issue_assignee_and_overdue(
        self,
        entry: OutreachEntry,
        regional_coordinator: User,
        places: dict[str, Place],
        site_coordinator: User,
    ) -> None:
        today = timezone.localdate()
        f = selectors.EntryFilters

        def ids(filters: selectors.EntryFilters) -> list[int]:
            return [e.pk for e in selectors.entries_filtered(regional_coordinator, filters, today)]

        organization_issue_areas_correct(
            user=site_coordinator, organization=entry.organization, issue_areas=["housing"]
        )
        from directory.models import IssueArea

        housing, food = IssueArea.objects.get(slug="housing"), IssueArea.objects.get(slug="food")
        assert ids(f(stage="found")) == [entry.pk]
        assert ids(f(stage="active")) == []
        assert ids(f(place=places["cascadia"])) == [entry.pk]  # a region of several places
        assert ids(f(place=places["washington"])) == []
        assert ids(f(issue=housing)) == [entry.pk]
        assert ids(f(issue=food)) == []
        assert ids(f(assigned="me")) == [entry.pk]
        assert ids(f(assigned="none")) == []
        assert ids(f(overdue=True)) == [entry.pk]
        services.outreach_entry_update(
            user=regional_coordinator,
            entry=entry,
            notes="",
            next_step="",
            next_step_on=today + timedelta(days=1),
            assigned_to=None,
        )
        assert ids(f(overdue=True)) == []

    def test_it_lists_with_filters_and_refuses_an_unknown_place(
        self, client: Client, entry: OutreachEntry, regional_coordinator: User
    ) -> None:
        _login(client, regional_coordinator)
        page = client.get(reverse("outreach:list"), {"stage": "found", "overdue": "on"})
        assert page.status_code == 200
        assert b"Rose City Tenants" in page.content
        assert b"overdue" in page.content
        bad = client.get(reverse("outreach:list"), {"place": "Atlantis-on-Nowhere-xyz"})
        assert bad.status_code == 400
        assert b"No place" in bad.content

    def test_it_exports_csv_with_the_teams_notes(
        self, client: Client, entry: OutreachEntry, regional_coordinator: User
    ) -> None:
        _login(client, regional_coordinator)
        response = client.get(reverse("outreach:export"), {"stage": "found"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
        assert [(r["organization"], r["stage"], r["notes"]) for r in rows] == [
            ("Rose City Tenants", "found", PRIVATE_NOTE)
        ]
        assert rows[0]["next_step_on"] == (timezone.localdate() - timedelta(days=2)).isoformat()

    def test_it_saves_the_entry_form_and_refuses_assigning_outsiders(
        self, client: Client, entry: OutreachEntry, regional_coordinator: User, outsider: User
    ) -> None:
        _login(client, regional_coordinator)
        url = reverse("outreach:entry", args=[entry.pk])
        assert PRIVATE_NOTE.encode() in client.get(url).content
        response = client.post(
            url, {"notes": "New note", "next_step": "Visit", "next_step_on": "2030-01-05"}
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.notes, entry.next_step_on) == ("New note", date(2030, 1, 5))
        assert client.post(url, {"assigned_to": str(outsider.pk)}).status_code == 400
        assert client.post(url, {"next_step_on": "not a date"}).status_code == 400


class TestPrivacy:
    def test_it_keeps_notes_off_public_pages_and_the_api(
        self, client: Client, entry: OutreachEntry, member: User
    ) -> None:
        slug = entry.organization.slug
        for who in (None, member):
            if who is not None:
                _login(client, who)
            for url in (
                reverse("organization", args=[slug]),
                reverse("directory:search") + "?q=Rose",
                f"/api/organizations/{entry.organization_id}",
                "/api/organizations?q=Rose",
            ):
                response = client.get(url)
                assert response.status_code == 200, url
                assert PRIVATE_NOTE.encode() not in response.content, url
                assert b"Call back" not in response.content, url


def test_it_exports_formula_like_names_and_notes_as_text(
    client: Client, entry: OutreachEntry, regional_coordinator: User
) -> None:
    Organization.objects.filter(pk=entry.organization_id).update(name='=HYPERLINK("x")')
    OutreachEntry.objects.filter(pk=entry.pk).update(notes="@SUM(1)", next_step="-2+3")
    _login(client, regional_coordinator)
    response = client.get(reverse("outreach:export"))
    [row] = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert (row["organization"], row["notes"], row["next_step"]) == (
        '\'=HYPERLINK("x")',
        "'@SUM(1)",
        "'-2+3",
    )
