from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.models import Stage
from places.models import Place


class ClaimRequestForm(forms.Form):
    message = forms.CharField(
        label="How are you part of this group?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A coordinator of the group's area reads this before approving.",
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Decline")])
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        help_text=_("Needed to add someone to a listing that has admins; kept in the audit log."),
    )


class DissolveForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, this group no longer exists.",
        required=True,
        error_messages={"required": "Tick the box to confirm the group no longer exists."},
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(label="Stage", choices=Stage.choices)


class EntryAddForm(forms.Form):
    organization = forms.IntegerField(widget=forms.HiddenInput)
    place = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EntryForm(forms.Form):
    notes = forms.CharField(
        label="Private notes",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Seen only by the coordinators of this place.",
    )
    next_step = forms.CharField(label="Next step", required=False, max_length=300)
    next_step_on = forms.DateField(
        label="By", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned_to = forms.TypedChoiceField(
        label="Assigned to", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["assigned_to"].choices = [("", "Nobody yet")] + [  # type: ignore[attr-defined]
            (p.pk, str(p)) for p in people
        ]


class EntryFilterForm(forms.Form):
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage")])
    place = forms.CharField(label="Place", required=False, max_length=200)
    issue = forms.ChoiceField(label="Issue", required=False)
    assigned = forms.ChoiceField(
        label="Assigned",
        required=False,
        choices=[("", "Anyone"), ("me", "Me"), ("none", "Nobody")],
    )
    overdue = forms.BooleanField(label="Next step overdue", required=False)

    def __init__(self, *args: Any, issue_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "Any stage"), *Stage.choices]  # type: ignore[attr-defined]
        self.fields["issue"].choices = [("", "Any issue"), *issue_choices]  # type: ignore[attr-defined]


class IssueAreasForm(forms.Form):
    issue_areas = forms.MultipleChoiceField(
        label="Issue areas", required=False, widget=forms.CheckboxSelectMultiple
    )
    automatic = forms.BooleanField(
        label="Let the hub suggest them again from the name and description",
        required=False,
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issue_areas"].choices = choices  # type: ignore[attr-defined]


class StaleFilterForm(forms.Form):
    """Which place the stale list and chart are for (one the person coordinates, or inside
    one), and which page."""

    place = forms.SlugField(label=_("Place"), required=False, max_length=120)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def clean_place(self) -> Place | None:
        slug = self.cleaned_data.get("place") or ""
        if not slug:
            return None
        place = Place.objects.filter(slug=slug).first()
        if place is None:
            raise forms.ValidationError(_("There is no such place."))
        return place
