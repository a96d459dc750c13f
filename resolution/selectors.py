"""Reads for the review queue and the organization page, limited to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from directory.models import Organization
from resolution.models import RecordLink, ReviewPair, ReviewStatus
from resolution.permissions import can_resolve, pair_refusal, review_visible_q
from sources.models import SourceRecord

# Fields shown side by side, in this order: (label, record attribute).
COMPARED = (
    ("Name", "name"),
    ("City", "city"),
    ("Region", "region"),
    ("Postcode", "postcode"),
    ("Country", "country"),
    ("Website", "website"),
    ("Facebook", "facebook"),
    ("Phone", "phone"),
    ("Latitude", "latitude"),
    ("Longitude", "longitude"),
    ("Description", "description"),
)
# What each comparison of the model looks at, in words for coordinators.
COMPARISON_NAMES = {
    "name": "Name",
    "websites": "Website and form links",
    "facebook": "Facebook links",
    "email": "Email",
    "place": "City, state and location",
    "postcode": "Postcode",
}


def review_pairs_for_user(user: Any, *, status: str = ReviewStatus.OPEN) -> QuerySet[ReviewPair]:
    """Pairs with either side in the user's places; deciding one needs both (`pair_refusal`)."""
    scope = review_visible_q(user)
    if scope is None:
        raise PermissionDenied
    return (
        ReviewPair.objects.filter(scope, status=status)
        .select_related(
            "record_a__source",
            "record_b__source",
            "record_a__organization__home_place",
            "record_b__organization__home_place",
        )
        .order_by("-probability", "id")
    )


def with_refusals(user: Any, pairs: list[ReviewPair]) -> list[ReviewPair]:
    """Each pair with `refusal`: why the user may not decide it, or "" when they may."""
    for pair in pairs:
        pair.refusal = pair_refusal(user, pair)  # type: ignore[attr-defined]
    return pairs


def get_review_pair_for_user(user: Any, pk: int, *, write: bool = False) -> ReviewPair:
    """A pair the user may see; with `write`, one they may also decide (else 403)."""
    pair = review_pairs_for_user(user, status=ReviewStatus.OPEN).filter(pk=pk).first()
    if pair is None:
        pair = (
            ReviewPair.objects.filter(review_visible_q(user) or Q(pk__in=[]), pk=pk)
            .select_related(
                "record_a__source",
                "record_b__source",
                "record_a__organization__home_place",
                "record_b__organization__home_place",
            )
            .first()
        )
    if pair is None:
        raise Http404("No such pair")
    with_refusals(user, [pair])
    if write and pair.refusal:  # type: ignore[attr-defined]
        raise PermissionDenied(pair.refusal)  # type: ignore[attr-defined]
    return pair


def get_organization_to_resolve(user: Any, pk: int) -> Organization:
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise Http404("No such organization")
    if not can_resolve(user, org):
        raise PermissionDenied
    return org


@dataclass
class Row:
    label: str
    a: Any
    b: Any

    @property
    def differs(self) -> bool:
        return (self.a or "") != (self.b or "")


def pair_rows(pair: ReviewPair) -> list[Row]:
    a, b = pair.record_a, pair.record_b
    return [
        Row(label, getattr(a, attr), getattr(b, attr))
        for label, attr in COMPARED
        if getattr(a, attr) not in (None, "") or getattr(b, attr) not in (None, "")
    ]


# The model's level names, in words for coordinators (first match wins).
LEVEL_WORDS = (
    ("Exact match on name_clean", "identical names"),
    ("name_clean >= 0.95", "nearly identical names"),
    ("Exact match on name_core", "the same distinctive words in the name"),
    ("Levenshtein distance of name_core", "distinctive words spelled nearly alike"),
    ("name_clean >= 0.85", "similar names"),
    ("Array intersection", "a link in common"),
    ("Exact match on city_state", "the same city and state"),
    ("Jaro-Winkler distance of city_state", "nearly the same city name"),
    ("less than 5km", "within 5 km of each other"),
    ("less than 30km", "within 30 km of each other"),
    ("Exact match on state", "the same state, different cities"),
    ("Exact match on email", "the same email address"),
    ("Exact match on postcode", "the same postcode"),
    ("All other comparisons", "different"),
)


def level_words(label: str) -> str:
    return next((words for key, words in LEVEL_WORDS if key in label), label)


def explanation_rows(explanation: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's reasons, strongest first: positive weights say "alike", negative "unlike"."""
    rows = [
        {
            "name": COMPARISON_NAMES.get(key, key),
            "weight": float(value[0]),
            "level": level_words(str(value[1])),
        }
        for key, value in explanation.items()
    ]
    return sorted(rows, key=lambda r: -abs(r["weight"]))


@dataclass
class MergedRecord:
    record: SourceRecord
    why: str


def merged_from(org: Organization) -> list[MergedRecord]:
    """The records an organization was built from, each with why it is there."""
    records = list(
        SourceRecord.objects.filter(organization=org)
        .select_related("source")
        .order_by("source__name", "record_key")
    )
    if len(records) < 2:
        return [MergedRecord(r, "") for r in records]
    links = {
        link.record_id: link
        for link in RecordLink.objects.filter(record__in=records).select_related(
            "matched_with__source"
        )
    }
    out: list[MergedRecord] = []
    for record in records:
        link = links.get(record.pk)
        if link is None or link.matched_with is None:
            why = "first record of this group"
        elif link.decided:
            why = f"a coordinator matched it with {_label(link.matched_with)}"
        else:
            reasons = [
                r["name"].lower() for r in explanation_rows(link.explanation) if r["weight"] > 0
            ]
            why = (
                f"{(link.probability or 0) * 100:.0f}% likely the same as "
                f"{_label(link.matched_with)}"
                + (f" (alike: {', '.join(reasons)})" if reasons else "")
            )
        out.append(MergedRecord(record, why))
    return out


def _label(record: SourceRecord) -> str:
    return f"{record.source.name} #{record.record_key}"
