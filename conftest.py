"""Shared test fixtures: a small real-shaped place tree and the named people of every story."""

import importlib
from typing import Any

import pytest
from django.utils.text import slugify

from accounts.models import RegionalCoordinator, User
from places.models import Place, PlaceKind
from places.services import place_tree_renumber


@pytest.fixture(scope="session", autouse=True)
def _live_server_one_request_at_a_time() -> None:
    """On SQLite the test database lives in memory and the live server hands its one connection
    to every request thread; a page that sends two requests at once (suggestions while a search
    is submitted) then used it from two threads together ("bad parameter or other API misuse").
    A server that answers one request at a time keeps browser tests honest there; PostgreSQL
    tests keep the threaded server, with a connection per thread."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneAtATime(WSGIServer):
        # Requests are answered in the server's own thread, which already holds the test
        # database's connection; the threaded server's override list is not needed.
        def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    LiveServerThread.server_class = OneAtATime  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def _people_have_confirmed_their_email() -> Any:
    """The named people of every story, and the ones tests make on the side, have confirmed their
    address (a new account confirms it by the sign-up link): acting for a group needs it. A test
    of the unconfirmed case passes email_verified_at=None itself."""
    from django.utils import timezone

    from accounts.models import UserManager

    plain = UserManager.create_user

    def confirmed(self: UserManager, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("email_verified_at", timezone.now())
        return plain(self, email, password, **extra)

    UserManager.create_user = confirmed  # type: ignore[method-assign]
    yield
    UserManager.create_user = plain  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fresh_limit_counters(request: pytest.FixtureRequest) -> Any:
    """Rate-limit counters live in a cache table that a transactional test's flush leaves alone,
    and every browser tab comes from 127.0.0.1: without this, sign-ups or claims made by earlier
    browser tests would count against later ones. Other tests roll their counts back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        yield
        return
    from django.core.cache import caches

    request.getfixturevalue("transactional_db")
    caches["limits"].clear()
    yield
    caches["limits"].clear()


def _place(kind: str, name: str, parent: Place | None, **extra: object) -> Place:
    slug = slugify(f"{parent.slug}-{name}" if parent and parent.kind != PlaceKind.WORLD else name)
    return Place.objects.create(
        kind=kind, name=name, search_name=name.lower(), slug=slug, parent=parent, **extra
    )


def _ensure_default_issue_areas() -> None:
    """Put back the shipped issue areas if a transactional test (browser, concurrency) flushed
    the tables that migrations had filled."""
    from django.apps import apps

    from directory.models import IssueArea

    if not IssueArea.objects.exists():
        importlib.import_module("directory.migrations.0003_default_issue_areas").forwards(
            apps, None
        )


@pytest.fixture
def places(db: None) -> dict[str, Place]:
    """World → US/Canada → states → counties → a few localities, plus Cascadia."""
    _ensure_default_issue_areas()
    p: dict[str, Place] = {}
    p["world"] = _place(PlaceKind.WORLD, "World", None)
    p["us"] = _place(
        PlaceKind.COUNTRY,
        "United States",
        p["world"],
        iso_code="US",
        latitude=39.8,
        longitude=-98.6,
    )
    p["ca_country"] = _place(
        PlaceKind.COUNTRY, "Canada", p["world"], iso_code="CA", latitude=56.1, longitude=-106.3
    )
    p["california"] = _place(
        PlaceKind.STATE, "California", p["us"], iso_code="US-CA", latitude=36.8, longitude=-119.4
    )
    p["oregon"] = _place(
        PlaceKind.STATE, "Oregon", p["us"], iso_code="US-OR", latitude=44.0, longitude=-120.5
    )
    p["washington"] = _place(
        PlaceKind.STATE, "Washington", p["us"], iso_code="US-WA", latitude=47.4, longitude=-120.5
    )
    p["new_york"] = _place(
        PlaceKind.STATE, "New York", p["us"], iso_code="US-NY", latitude=43.0, longitude=-75.0
    )
    p["bc"] = _place(
        PlaceKind.STATE,
        "British Columbia",
        p["ca_country"],
        iso_code="CA-BC",
        latitude=53.7,
        longitude=-127.6,
    )
    p["alameda"] = _place(
        PlaceKind.COUNTY,
        "Alameda County",
        p["california"],
        source_ref="fips:06001",
        latitude=37.6,
        longitude=-121.9,
    )
    p["humboldt"] = _place(
        PlaceKind.COUNTY,
        "Humboldt County",
        p["california"],
        source_ref="fips:06023",
        latitude=40.7,
        longitude=-123.9,
    )
    p["multnomah"] = _place(
        PlaceKind.COUNTY,
        "Multnomah County",
        p["oregon"],
        source_ref="fips:41051",
        latitude=45.5,
        longitude=-122.4,
    )
    p["oakland"] = _place(
        PlaceKind.LOCALITY,
        "Oakland",
        p["alameda"],
        latitude=37.8044,
        longitude=-122.2711,
        population=433031,
    )
    p["berkeley"] = _place(
        PlaceKind.LOCALITY,
        "Berkeley",
        p["alameda"],
        latitude=37.8716,
        longitude=-122.2727,
        population=124321,
    )
    p["eureka"] = _place(
        PlaceKind.LOCALITY,
        "Eureka",
        p["humboldt"],
        latitude=40.8021,
        longitude=-124.1637,
        population=26512,
    )
    p["portland"] = _place(
        PlaceKind.LOCALITY,
        "Portland",
        p["multnomah"],
        latitude=45.5152,
        longitude=-122.6784,
        population=652503,
    )
    p["seattle"] = _place(
        PlaceKind.LOCALITY,
        "Seattle",
        p["washington"],
        latitude=47.6062,
        longitude=-122.3321,
        population=737015,
    )
    p["nyc"] = _place(
        PlaceKind.LOCALITY,
        "New York City",
        p["new_york"],
        latitude=40.7128,
        longitude=-74.006,
        population=8336817,
    )
    p["vancouver"] = _place(
        PlaceKind.LOCALITY,
        "Vancouver",
        p["bc"],
        latitude=49.2827,
        longitude=-123.1207,
        population=662248,
    )
    p["cascadia"] = _place(
        PlaceKind.BIOREGION, "Cascadia", p["world"], latitude=46.0, longitude=-122.0
    )
    p["cascadia"].members.set([p["washington"], p["oregon"], p["bc"], p["humboldt"]])
    place_tree_renumber()
    for place in p.values():
        place.refresh_from_db()
    return p


@pytest.fixture
def site_coordinator(db: None) -> User:
    return User.objects.create_user(
        "coordinator@example.org", "a-long-passphrase", is_site_coordinator=True
    )


@pytest.fixture
def regional_coordinator(places: dict[str, Place]) -> User:
    user = User.objects.create_user(
        "cascadia@example.org", "a-long-passphrase", display_name="Regional Coordinator"
    )
    RegionalCoordinator.objects.create(user=user, place=places["oregon"])
    return user


@pytest.fixture
def organizer(db: None) -> User:
    """Admin of the organization under test (the tests that need it make the link)."""
    return User.objects.create_user(
        "organizer@example.org", "a-long-passphrase", display_name="Organizer"
    )


@pytest.fixture
def member(db: None) -> User:
    return User.objects.create_user(
        "member@example.org", "a-long-passphrase", display_name="Member"
    )


@pytest.fixture
def outsider(db: None) -> User:
    return User.objects.create_user(
        "outsider@example.org", "a-long-passphrase", display_name="Outsider"
    )
