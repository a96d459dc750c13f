"""Groups as the directory holds them after an import: no admins, found in a known place."""

from collections.abc import Iterator

import pytest

from directory import services
from directory.models import Organization, PrivateContact
from places.geocoder import reset_geocoder
from places.models import Place
from sources.signals import records_imported


@pytest.fixture
def found(places: dict[str, Place]) -> Organization:
    """A Portland group gathered from a public list, with a private contact address only."""
    org = services.organization_create(
        user=None,
        name="Rose City Tenants",
        home_place=places["portland"],
        description="Renters organizing against evictions.",
        as_admin=False,
    )
    PrivateContact.objects.create(organization=org, email="hello@rosecity.example.org")
    return org


@pytest.fixture
def faraway(places: dict[str, Place]) -> Organization:
    """A New York group, outside the regional coordinator's Oregon."""
    return services.organization_create(
        user=None,
        name="Bronx Food Share",
        home_place=places["nyc"],
        public_email="info@bronxfood.example.org",
        as_admin=False,
    )


@pytest.fixture
def only_tagging_after_import(
    places: dict[str, Place], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Imports give each record its own organization (no resolver) and then tag them."""
    from directory import tagging
    from outreach import receivers

    # The keyword rules keep these tests fast; the model has its own tests in directory.
    monkeypatch.setattr(tagging, "default_method", lambda: "keywords")

    saved = records_imported.receivers[:]
    records_imported.receivers = []
    records_imported.sender_receivers_cache.clear()
    records_imported.connect(receivers.tag_imported_organizations, dispatch_uid="outreach-tag")
    reset_geocoder()
    yield
    reset_geocoder()
    records_imported.receivers = saved
    records_imported.sender_receivers_cache.clear()


@pytest.fixture
def administered(places: dict[str, Place], organizer: object) -> Organization:
    """A Portland group whose listing the organizer already looks after."""
    org = services.organization_create(
        user=organizer,
        name="Alberta Street Mutual Aid",
        home_place=places["portland"],
        public_email="hello@alberta.example.org",
    )
    return org
