"""A coalition, groups across the test place tree, issue areas, and a real SMTP sink."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from actions import services
from actions.models import CallToAction
from commonweal.tests.smtpsink import running_sink
from directory import services as directory_services
from directory.models import IssueArea, Organization
from places.models import Place


@dataclass
class Cast:
    coalition: Organization  # administered by `member`, who issues calls
    groups: dict[str, Organization]  # one per locality, all administered by `organizer`
    stranger: Organization  # administered by the outsider
    issues: dict[str, IssueArea]


@pytest.fixture
def cast(places: dict[str, Place], organizer: User, member: User, outsider: User) -> Cast:
    issues = {
        a.slug: a
        for a in IssueArea.objects.filter(slug__in=["housing", "transportation", "climate"])
    }
    make = directory_services.organization_create
    coalition = make(
        user=member, name="Pacific Housing Alliance", kind="coalition", home_place=places["us"]
    )
    groups = {
        key: make(
            user=organizer,
            name=f"{places[key].name} Tenants",
            home_place=places[key],
            issue_areas=[issues["housing"]],
        )
        for key in ["oakland", "berkeley", "eureka", "portland", "seattle", "nyc", "vancouver"]
    }
    stranger = make(user=outsider, name="Outsider Group", home_place=places["portland"])
    return Cast(coalition=coalition, groups=groups, stranger=stranger, issues=issues)


def call_for(cast: Cast, member: User, scope: Place, **extra: Any) -> CallToAction:
    """A call that starts in two weeks, with a deadline in one, issued by the coalition."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "title": "National day of action for tenants",
        "description": "Hold a rally at your city hall.",
        "scope": scope,
        "starts_at": now + timedelta(days=14),
        "deadline": now + timedelta(days=7),
        "issue_areas": [cast.issues["housing"]],
        "min_organizations": 3,
    }
    fields.update(extra)
    return services.call_create(user=member, coalition=cast.coalition, **fields)


@pytest.fixture
def smtp_sink() -> Any:
    """A real SMTP server on 127.0.0.1 at a free port, with MAILERS pointed at it."""
    with running_sink() as sink:
        mailers = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
            }
        }
        with override_settings(MAILERS=mailers, SITE_URL="http://hub.test"):
            yield sink


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """The named people get real passwords; a deliberately slow hash would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_caches() -> Any:
    """Per-process caches are keyed by version numbers, which a rolled-back test reuses."""
    from actions import rollup, selectors

    rollup.place_index_reset()
    selectors._live.clear()
    yield
    rollup.place_index_reset()
    selectors._live.clear()
