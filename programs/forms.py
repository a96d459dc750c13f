"""Input schemas for the vision and program pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assemblies.models import Assembly
from places.forms import PlaceFieldsMixin
from programs.models import Horizon, PlankKind


class PlankForm(forms.Form):
    title = forms.CharField(
        label=_("The plank, in a line"),
        max_length=200,
        help_text=_("For example: a public bank for the state; housing as a right."),
    )
    kind = forms.ChoiceField(label=_("What kind of plank"), choices=PlankKind.choices)
    text = forms.CharField(
        label=_("What it asks for"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The assembly decides this text; amendments can change it before the vote."),
    )


class SectionForm(forms.Form):
    horizon = forms.TypedChoiceField(label=_("How far ahead"), choices=Horizon.choices, coerce=int)
    title = forms.CharField(label=_("Section title"), max_length=150)
    text = forms.CharField(
        label=_("What our place looks like then"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )


class SectionAmendForm(forms.Form):
    text = forms.CharField(
        label=_("The new text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10})
    )


class EndorseForm(forms.Form):
    assembly = forms.ModelChoiceField(
        label=_("Propose it in the assembly of"),
        queryset=Assembly.objects.none(),
        # The page offers the form only when there is an assembly to choose, so the first
        # one is chosen already rather than an empty line that is refused.
        empty_label=None,
    )

    def __init__(self, *args: Any, assemblies: list[Assembly], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assembly"]
        field.queryset = Assembly.objects.filter(  # type: ignore[attr-defined]
            pk__in=[a.pk for a in assemblies]
        ).select_related("organization")
        field.label_from_instance = lambda a: a.organization.name  # type: ignore[attr-defined]


class PlaceFilterForm(PlaceFieldsMixin, forms.Form):
    # Regions count too: "the planks with the widest endorsement in Cascadia".
    place_fields = {"place": True}
    place = forms.CharField(
        label=_("In"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_place_picks()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("place") or "").strip():
            self.resolve_places(cleaned)
        else:
            cleaned["place"] = None
        cleaned.pop("place_pick", None)
        return cleaned
