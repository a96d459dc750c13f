"""Place fields for any form: typed text read by `places.resolver.place_resolve`, with a
companion `<name>_pick` that carries the choice a person made from the list shown when the
text may mean several places."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from places.models import Place
from places.resolver import PlaceUnsure, place_label, place_resolve


class PlaceFieldsMixin:
    """Mix into a `forms.Form` with a `user`; list its place fields in `place_fields` (name →
    whether regions such as Cascadia are accepted), call `add_place_picks()` in `__init__`
    and `resolve_places(cleaned)` in `clean()`."""

    place_fields: dict[str, bool] = {}
    # The places the fields held before (an edited listing's home place), by field name.
    known_places: dict[str, Place]
    fields: dict[str, forms.Field]
    errors: Any
    user: Any

    if TYPE_CHECKING:  # provided by forms.Form, which comes after this mixin

        def add_error(self, field: str | None, error: Any) -> None: ...

    def add_place_picks(self, known: dict[str, Place | None] | None = None) -> None:
        self.known_places = {k: v for k, v in (known or {}).items() if v is not None}
        for name in self.place_fields:
            self.fields[f"{name}_pick"] = forms.IntegerField(
                required=False, min_value=1, widget=forms.HiddenInput
            )
            self.fields[name].place_choices = []  # type: ignore[attr-defined]
            self.fields[name].picked = None  # type: ignore[attr-defined]

    def resolve_places(self, cleaned: dict[str, Any]) -> None:
        for name, overlays in self.place_fields.items():
            if name in self.errors or name not in cleaned or isinstance(cleaned[name], Place):
                continue
            pick = cleaned.get(f"{name}_pick")
            known = self.known_places.get(name)
            if known is not None and (cleaned[name] or "").strip() == place_text(known):
                # The stored place, shown by its label and left as it was.
                cleaned[name] = known
                continue
            try:
                cleaned[name] = place = place_resolve(
                    user=self.user, text=cleaned[name] or "", pick=pick, overlays=overlays
                )
            except PlaceUnsure as unsure:
                self.fields[name].place_choices = unsure.choices  # type: ignore[attr-defined]
                self.add_error(name, unsure)
            except ValidationError as error:
                self.add_error(name, error)
            else:
                if place is not None and place.pk == pick:
                    # Kept in the form, so changing another filter keeps the choice made.
                    self.fields[name].picked = pick  # type: ignore[attr-defined]


def place_text(place: Place | None) -> str:
    """What a place field shows for a stored place: its name as people read it, never a slug."""
    return place_label(place) if place is not None else ""
