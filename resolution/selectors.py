"""Reads for the review queue and the organization page, limited to what the user may see."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from directory.models import Organization
from resolution.models import RecordLink, ResolutionRun, ReviewPair, ReviewStatus
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
    "name": _lazy("Name"),
    "websites": _lazy("Website and form links"),
    "facebook": _lazy("Facebook links"),
    "email": _lazy("Email"),
    "links": _lazy("Links and email"),
    "place": _lazy("City, state and location"),
    "postcode": _lazy("Postcode"),
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
        pair.percent = round(pair.probability * 100)  # type: ignore[attr-defined]
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
    ("Exact match on name_clean", _lazy("identical names")),
    ("names name different places", _lazy("each name names a place the other does not")),
    ("names differ in distinctive words", _lazy("each name has a word of its own")),
    ("name_clean >= 0.95", _lazy("nearly identical names")),
    ("Exact match on name_core", _lazy("the same distinctive words in the name")),
    ("Levenshtein distance of name_core", _lazy("distinctive words spelled nearly alike")),
    ("name_clean >= 0.85", _lazy("similar names")),
    ("two of their own shared", _lazy("two in common that no differently named listing has")),
    ("shared by 2 names or fewer", _lazy("one in common that no differently named listing has")),
    ("shared by 3 to 5 names", _lazy("one in common that a few differently named listings share")),
    ("shared by 6 to 20 names", _lazy("only one that many differently named listings share")),
    ("shared by over 20 names", _lazy("only an umbrella one that over 20 listings share")),
    ("Array intersection", _lazy("a link in common")),
    (
        "other pages, 6 to 20 names",
        _lazy("pages on one website or e-mail domain that many differently named listings use"),
    ),
    (
        "same website, other pages",
        _lazy("pages on one website or e-mail domain that few differently named listings use"),
    ),
    ("initials or trade name", _lazy("one name is the other's initials or trade name")),
    ("Exact match on city_state", _lazy("the same city and state")),
    ("Jaro-Winkler distance of city_state", _lazy("nearly the same city name")),
    ("less than 5km", _lazy("within 5 km of each other")),
    ("less than 30km", _lazy("within 30 km of each other")),
    ("less than 100km", _lazy("within 100 km of each other")),
    ("counted with the place", _lazy("the same postcode, already counted as the same place")),
    ("Exact match on state", _lazy("the same state, different cities")),
    ("Exact match on email", _lazy("the same email address")),
    ("Exact match on postcode", _lazy("the same postcode")),
    ("All other comparisons", _lazy("different")),
)


# "All other comparisons", in words for each comparison.
OTHER_WORDS = {
    "name": _lazy("different names"),
    "links": _lazy("links on both sides, none in common"),
    "websites": _lazy("different links"),
    "facebook": _lazy("different Facebook pages"),
    "email": _lazy("different email addresses"),
    "place": _lazy("far apart (over 100 km, or in different states)"),
    "postcode": _lazy("different postcodes"),
}


def level_words(label: str, comparison: str = "") -> str:
    if "All other comparisons" in label and comparison in OTHER_WORDS:
        return str(OTHER_WORDS[comparison])
    return str(next((words for key, words in LEVEL_WORDS if key in label), label))


def _detail(value: list[Any]) -> str:
    """ "slowfood.de|67" → "slowfood.de, carried by 67 differently named listings"."""
    if len(value) < 3 or not isinstance(value[2], str) or "|" not in value[2]:
        return ""
    link, _sep, count = value[2].rpartition("|")
    try:
        names = int(count)
    except ValueError:
        return link
    if link.startswith("tel:"):
        # Phones are compared by their last eight digits, whatever the country prefix.
        link = _("the phone number ending %(digits)s") % {"digits": link.removeprefix("tel:")}
    return ngettext(
        "%(link)s, given by %(count)s listing name in the directory",
        "%(link)s, given by %(count)s differently named listings in the directory",
        names,
    ) % {"link": link, "count": number_format(names, force_grouping=True)}


def explanation_rows(explanation: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's reasons, strongest first: positive weights say "alike", negative "unlike"."""
    rows = [
        {
            "name": str(COMPARISON_NAMES.get(key, key)),
            "weight": float(value[0]),
            "level": level_words(str(value[1]), key),
            "detail": _detail(list(value)),
        }
        for key, value in explanation.items()
    ]
    return sorted(rows, key=lambda r: -abs(r["weight"]))


@dataclass
class Score:
    """How a pair's likelihood adds up: where every pair starts, the evidence, the total."""

    start: float
    one_in: int
    total: float
    percent: int


def pair_score(pair: ReviewPair, prior: float) -> Score:
    """Splink's sum: the log-odds that two random listings are one group, plus each
    comparison's weight, gives the pair's match weight (its likelihood in log-odds)."""
    start = math.log2(prior / (1 - prior)) if 0 < prior < 1 else 0.0
    # The total is the pair's own likelihood in the same units (it is what was decided on).
    p = min(max(pair.probability, 1e-9), 1 - 1e-9)
    total = math.log2(p / (1 - p))
    return Score(
        start=start,
        one_in=round(1 / prior) if prior > 0 else 0,
        total=total,
        percent=round(pair.probability * 100),
    )


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


def last_run() -> ResolutionRun | None:
    """What the last duplicate finding compared and what it left out, with `blocks`: the
    largest groups compared only among neighbours, in words."""
    run = ResolutionRun.objects.first()
    if run is not None:
        run.blocks = [  # type: ignore[attr-defined]
            {**block, "what": _block_words(block)} for block in run.capped_blocks
        ]
    return run


def _block_words(block: dict[str, Any]) -> str:
    kind, value = block.get("kind"), str(block.get("value", ""))
    head, _sep, state = value.partition("|")
    where = f"{head}, {state.upper()}" if state else head
    if kind == "name":
        return _("the name “%(value)s”") % {"value": value}
    if kind == "words":
        return _("the distinctive words “%(value)s”") % {"value": where}
    if kind == "opening":
        return _("names opening “%(value)s”") % {"value": where}
    if kind == "city":
        return _("the city %(value)s") % {"value": where}
    if kind == "spot":
        return _("one map position (%(value)s)") % {"value": value}
    if kind == "link":
        return _("the link %(value)s") % {"value": value}
    # E-mail addresses are contact details: the page says only that one was shared.
    return _("one email address")
