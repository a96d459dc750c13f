"""Input schemas for whom-to-meet and introductions."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from coalitions.forms import resolve_organization
from connections.models import Outcome
from connections.services import MAX_TEXT
from directory.models import Organization


class DismissForm(forms.Form):
    key = forms.CharField(max_length=80, widget=forms.HiddenInput)
    label = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)


class IntroductionForm(forms.Form):
    first = forms.CharField(
        label=_("First group"),
        max_length=500,
        help_text=_("Its name, or the address of its page if several share the name."),
    )
    second = forms.CharField(
        label=_("Second group"),
        max_length=500,
        help_text=_("Its name, or the address of its page if several share the name."),
    )
    reason = forms.CharField(
        label=_("Why they should meet"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Both groups read this. Their contact details stay hidden until both accept."),
    )

    def _group(self, name: str) -> Organization:
        return resolve_organization(self.cleaned_data[name])

    def clean_first(self) -> Organization:
        return self._group("first")

    def clean_second(self) -> Organization:
        return self._group("second")


class _SideForm(forms.Form):
    group = forms.ModelChoiceField(label=_("For which group"), queryset=Organization.objects.none())

    def __init__(self, *args: Any, groups: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the sides the person may answer for can be chosen.
        self.fields["group"].queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            pk__in=[g.pk for g in groups]
        ).order_by("name")
        if len(groups) == 1:
            self.fields["group"].initial = groups[0].pk
            self.fields["group"].widget = forms.HiddenInput()


class AnswerForm(_SideForm):
    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline"))], widget=forms.HiddenInput
    )
    message = forms.CharField(
        label=_("A word with your answer (optional)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_decision(self) -> bool:
        value = self.cleaned_data["decision"]
        if value not in ("accept", "decline"):
            raise ValidationError(_("Accept or decline."))
        return value == "accept"


class OutcomeForm(_SideForm):
    outcome = forms.ChoiceField(
        label=_("Did you meet, and what came of it?"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anything to add (optional)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
