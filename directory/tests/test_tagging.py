"""Automatic issue areas: suggestions, the command, and a person's choice winning for good."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from accounts.models import User
from directory import embedding, services, tagging
from directory.models import IssueArea, IssueAreaOrigin, Organization
from places.models import Place

needs_model = pytest.mark.skipif(not embedding.available(), reason="sentence model not installed")


@pytest.fixture(autouse=True)
def keywords_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's own tests ask for it by name; the rest stay fast with the keyword rules."""
    monkeypatch.setattr(tagging, "default_method", lambda: "keywords")


def _found(name: str, description: str = "", place: Place | None = None) -> Organization:
    """A listing gathered from a public list: no admin, areas not chosen by anyone."""
    return services.organization_create(
        user=None, name=name, description=description, home_place=place, as_admin=False
    )


def _slugs(org: Organization) -> set[str]:
    org.refresh_from_db()
    return {a.slug for a in org.issue_areas.all()}


def _mask_matches(org: Organization) -> bool:
    org.refresh_from_db()
    return org.issue_mask == services.issue_mask_of(org.issue_areas.all())


class TestKeywords:
    def test_it_finds_areas_from_words_in_name_and_description(self, places: dict) -> None:
        areas = list(IssueArea.objects.all())
        [tenants, food, nothing] = tagging.suggest_by_keywords(
            [
                "Eastside Tenants Union. Renters fighting evictions.",
                "Northside Food Bank and community garden",
                "Suffolk County",
            ],
            areas,
        )
        assert tenants[0] == "housing"
        assert "food" in food
        assert nothing == []

    def test_it_tags_untagged_listings_and_keeps_the_mask_in_step(self, places: dict) -> None:
        org = _found("Riverside Tenants Union", "Renters organizing against evictions.")
        report = tagging.organizations_tag(only_untagged=True, method="keywords")
        assert report.changed == 1
        assert "housing" in _slugs(org)
        assert org.issue_areas_origin == IssueAreaOrigin.AUTO
        assert _mask_matches(org)

    def test_it_writes_nothing_on_a_dry_run(self, places: dict) -> None:
        org = _found("Riverside Tenants Union", "Renters organizing against evictions.")
        report = tagging.organizations_tag(dry_run=True, method="keywords")
        assert report.changed == 1
        org.refresh_from_db()
        assert org.issue_areas_origin == IssueAreaOrigin.NONE
        assert _slugs(org) == set()

    def test_it_leaves_already_tagged_listings_alone_with_untagged(self, places: dict) -> None:
        org = _found("Riverside Tenants Union", "Renters.")
        tagging.organizations_tag(method="keywords")
        Organization.objects.filter(pk=org.pk).update(description="Food bank.")
        report = tagging.organizations_tag(only_untagged=True, method="keywords")
        assert report.considered == 0


class TestCorrections:
    def test_it_keeps_a_coordinators_correction_through_every_retag(
        self, places: dict, site_coordinator: User
    ) -> None:
        org = _found("Riverside Tenants Union", "Renters organizing against evictions.")
        tagging.organizations_tag(method="keywords")
        tagging.organization_issue_areas_correct(
            user=site_coordinator, organization=org, issue_areas=["labor"]
        )
        tagging.organizations_tag(method="keywords")
        tagging.organizations_tag(only_untagged=True, method="keywords")
        assert _slugs(org) == {"labor"}
        assert org.issue_areas_origin == IssueAreaOrigin.COORDINATOR
        assert _mask_matches(org)

    def test_it_keeps_an_admins_choice_from_the_edit_page(
        self, places: dict, organizer: User
    ) -> None:
        org = services.organization_create(
            user=organizer, name="Riverside Tenants Union", description="Renters."
        )
        services.organization_update(user=organizer, organization=org, issue_areas=["peace"])
        tagging.organizations_tag(method="keywords")
        assert _slugs(org) == {"peace"}

    def test_it_lets_the_regional_coordinator_correct_but_not_an_outsider(
        self, places: dict, regional_coordinator: User, outsider: User
    ) -> None:
        org = _found("Portland Bike Riders", "Cyclists.", places["portland"])
        with pytest.raises(PermissionDenied):
            tagging.organization_issue_areas_correct(
                user=outsider, organization=org, issue_areas=["food"]
            )
        tagging.organization_issue_areas_correct(
            user=regional_coordinator, organization=org, issue_areas=["transportation"]
        )
        assert _slugs(org) == {"transportation"}

    def test_it_hands_areas_back_to_the_tagger_on_unlock(
        self, places: dict, site_coordinator: User
    ) -> None:
        org = _found("Riverside Tenants Union", "Renters organizing against evictions.")
        tagging.organization_issue_areas_correct(
            user=site_coordinator, organization=org, issue_areas=["peace"]
        )
        tagging.organization_issue_areas_unlock(user=site_coordinator, organization=org)
        assert org.issue_areas_origin == IssueAreaOrigin.AUTO
        assert "peace" not in _slugs(org)


class TestCommand:
    def test_it_reports_what_it_would_change(self, places: dict) -> None:
        _found("Northside Food Bank", "Free groceries for neighbours.")
        out = StringIO()
        call_command("tag", "--all", "--dry-run", "--method", "keywords", stdout=out)
        assert "would change 1" in out.getvalue()
        assert "Northside Food Bank: food" in out.getvalue()


@needs_model
class TestModel:
    def test_it_matches_the_reference_embedding_length_and_unit_norm(self) -> None:
        vectors = embedding.get_model().embed(["Tenants union", "Food bank", "Tenants union"])
        assert vectors.shape == (3, embedding.DIMENSIONS)
        assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
        assert (vectors[0] == vectors[2]).all()

    def test_it_tokenizes_like_the_reference_tokenizer(self) -> None:
        # Ids from the model's own tokenizer (transformers), accents and CJK included.
        ids = embedding.get_model().tokenizer.encode("Hello, world!! Ünïcödé café 東京")
        assert ids == [101, 7592, 1010, 2088, 999, 999, 27260, 7668, 1879, 1755, 102]

    def test_it_tags_by_meaning(self, places: dict) -> None:
        org = _found(
            "Eastside Renters Alliance", "We stop evictions and win repairs from landlords."
        )
        tagging.organizations_tag(method="model")
        assert "housing" in _slugs(org)
        assert _mask_matches(org)
