"""One way for every form to read a place people type: what the geocoder reads ("Seattle,
WA", "Portland, OR", the suggestion list's own labels), the big well-known place first, and
a short list to choose from when the text may mean several places. It never guesses."""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from places.geocoder import get_geocoder, normalize
from places.models import Place, PlaceKind

# The places a form offers to choose from when it is unsure.
CHOICES = 6
# A form asks when another place holds this share of what a name may mean ("Portland": Maine's
# 8%) or when the answer is less sure than this (a term it could not read).
ASK_SHARE = 0.03
SURE_CONFIDENCE = 0.8
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LABEL_KINDS = (PlaceKind.STATE, PlaceKind.COUNTRY)


@dataclass(frozen=True)
class PlaceChoice:
    pk: int
    label: str


class PlaceUnsure(ValidationError):
    """The text may mean several places: the form shows `choices` and asks."""

    def __init__(self, message: str, choices: list[PlaceChoice]) -> None:
        super().__init__(message, code="unsure_place")
        self.choices = choices


def place_label(place: Place, *, with_county: bool = False) -> str:
    """ "Portland, Oregon, United States": the place, its state and its country (and its county
    when two places would otherwise read the same)."""
    if place.is_overlay or place.kind in (PlaceKind.WORLD, PlaceKind.COUNTRY):
        return place.name
    kinds = [*_LABEL_KINDS, PlaceKind.COUNTY] if with_county else list(_LABEL_KINDS)
    above = Place.objects.filter(lft__lt=place.lft, rgt__gt=place.rgt, kind__in=kinds)
    names = [p.name for p in above.order_by("-lft")]
    return ", ".join([place.name, *names])


def place_labels(places: list[Place]) -> list[str]:
    """Labels for places shown together, each telling its place from the others."""
    labels = [place_label(p) for p in places]
    for i, place in enumerate(places):
        if labels.count(labels[i]) > 1:
            labels[i] = place_label(place, with_county=True)
    return labels


def _is_label(text: str, place: Place, label: str) -> bool:
    """Whether `text` is the place's own label, as the suggestion list shows it: a person who
    picked "Washington, United States" meant the state, whatever else bears the name."""
    typed = normalize(text)
    if typed == normalize(label):
        return True
    return typed == normalize(place_label(place, with_county=True))


def place_resolve(
    *, user: Any, text: str, pick: int | None = None, overlays: bool = True
) -> Place | None:
    """The place `text` names; None for no text. Raises `PlaceUnsure` with the places to choose
    from when the text may mean several (`pick`, one of those, settles it), and
    ValidationError when it names none."""
    text = (text or "").strip()
    if not text:
        return None
    if _SLUG.match(text):
        # Links made before places were shown by name carry slugs.
        exact = Place.objects.filter(slug=text).first()
        if exact is not None and (overlays or not exact.is_overlay):
            return exact
    result = get_geocoder().geocode(text)
    if result is None:
        raise ValidationError(
            _("No place called “%(text)s” was found."), code="unknown_place", params={"text": text}
        )
    ids = [result.place.id, *(a.place.id for a in result.alternatives)]
    found = {p.pk: p for p in Place.objects.filter(pk__in=ids)}
    ids = [i for i in ids if i in found and (overlays or not found[i].is_overlay)]
    if pick is not None and pick in ids:
        return found[pick]
    # Unsure only of small namesakes ("Oregon" beside Oregon, Ohio) is sure enough for a form.
    minor = (
        result.match == "name"
        and result.confidence >= SURE_CONFIDENCE
        and all(a.share < ASK_SHARE for a in result.alternatives)
    )
    sure = not result.uncertain or minor
    if ids and ids[0] == result.place.id and (sure or _is_label(text, found[ids[0]], result.label)):
        return found[ids[0]]
    if not ids:
        raise ValidationError(
            _("Choose a country, state, county or town, not a region made of several."),
            code="overlay_place",
        )
    places = [found[i] for i in ids[:CHOICES]]
    choices = [
        PlaceChoice(p.pk, label) for p, label in zip(places, place_labels(places), strict=True)
    ]
    if result.match in ("area", "spelling"):
        message = _("“%(text)s” is not a place we know exactly. Is it one of these?")
    else:
        message = _("“%(text)s” may mean several places. Which one?")
    raise PlaceUnsure(message % {"text": text}, choices)
