"""Listings shared by the page tests: a handful of groups over the conftest place tree.

Test modules wrap these in their own fixtures (see `use_listings`), so pytest finds them
without importing fixture functions by name.
"""

import importlib
from collections.abc import Iterator
from typing import Any

from django.apps import apps as django_apps

from coalitions.models import Membership, MembershipStatus
from directory import mapindex, servedmap
from directory.models import (
    IssueArea,
    Organization,
    OrganizationAdmin,
    OrganizationKind,
    OrganizationStatus,
    PrivateContact,
)
from directory.services import organization_create
from places.models import Place

PRIVATE_EMAIL = "secret-portland@example.org"


def fresh_map_index() -> Iterator[None]:
    """Every test sees an index built from its own data, never one left by another test."""
    mapindex.index_reset()
    servedmap.served_index_reset()
    yield
    mapindex.index_reset()
    servedmap.served_index_reset()


def ensure_issue_areas() -> None:
    """Browser tests flush the database between tests, taking the migrations' taxonomy with it."""
    if not IssueArea.objects.exists():
        taxonomy = importlib.import_module("directory.migrations.0003_default_issue_areas")
        taxonomy.forwards(django_apps, None)


def make_listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    def make(key: str, name: str, place: str, issues: list[str], **extra: Any) -> None:
        orgs[key] = organization_create(
            user=None, name=name, home_place=places[place], issue_areas=issues, **extra
        )

    ensure_issue_areas()
    orgs: dict[str, Organization] = {}
    make(
        "tenants",
        "Portland Tenants Union",
        "portland",
        ["housing"],
        description="Renters organizing for stable homes.",
    )
    make(
        "food",
        "Oakland Food Not Bombs",
        "oakland",
        ["food", "mutual-aid"],
        description="Shared meals in the park.",
    )
    make(
        "transit",
        "Seattle Transit Riders",
        "seattle",
        ["transportation", "housing"],
        kind=OrganizationKind.NETWORK,
    )
    make(
        "climate",
        "Eureka Climate Action",
        "eureka",
        ["climate"],
        status=OrganizationStatus.INACTIVE,
    )
    make("nyc", "Bushwick Mutual Aid", "nyc", ["mutual-aid"])
    make(
        "coalition",
        "Oregon Housing Coalition",
        "oregon",
        ["housing"],
        kind=OrganizationKind.COALITION,
    )
    make("hidden", "Quiet Portland Circle", "portland", ["housing"])
    Organization.objects.filter(pk=orgs["hidden"].pk).update(is_hidden=True)
    orgs["hidden"].refresh_from_db()

    OrganizationAdmin.objects.create(organization=orgs["tenants"], user=organizer)
    PrivateContact.objects.create(
        organization=orgs["tenants"], name="Rosa", email=PRIVATE_EMAIL, phone="+1 503 555 0100"
    )
    for member in ("tenants", "transit"):
        Membership.objects.create(
            coalition=orgs["coalition"], member=orgs[member], status=MembershipStatus.ACTIVE
        )
    return orgs
