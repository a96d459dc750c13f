"""Input schemas for the delegates' pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Organization

SUBJECT_HELP = _("The question or proposal of the coalition's assembly it is about, if any.")


class DelegationForm(forms.Form):
    coalition = forms.ModelChoiceField(
        label=_("Coalition"), queryset=Organization.objects.none(), empty_label=None
    )
    votes_by_delegates = forms.BooleanField(
        label=_("Our delegates cast our vote there (our admins no longer do)"), required=False
    )

    def __init__(self, *args: Any, coalitions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coalition"].queryset = coalitions  # type: ignore[attr-defined]


class AppointForm(forms.Form):
    coalition = forms.ModelChoiceField(
        label=_("To"), queryset=Organization.objects.none(), empty_label=None
    )
    person = forms.ModelChoiceField(
        label=_("Delegate"), queryset=Organization.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, coalitions: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coalition"].queryset = coalitions  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


class ElectionForm(forms.Form):
    coalition = forms.ModelChoiceField(
        label=_("To"), queryset=Organization.objects.none(), empty_label=None
    )
    seats = forms.IntegerField(label=_("Delegates to elect"), min_value=1, max_value=50, initial=2)
    candidates = forms.ModelMultipleChoiceField(
        label=_("Candidates"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The group's people; its assembly ranks them (single transferable vote)."),
    )

    def __init__(self, *args: Any, coalitions: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coalition"].queryset = coalitions  # type: ignore[attr-defined]
        self.fields["candidates"].queryset = people  # type: ignore[attr-defined]
        self.fields["candidates"].label_from_instance = str  # type: ignore[attr-defined]


def _subject_field(choices: list[tuple[str, str]], label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[("", _("Nothing in particular")), *choices],
        required=False,
        help_text=SUBJECT_HELP,
    )


class MandateForm(forms.Form):
    instruction = forms.CharField(
        label=_("The mandate"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the group instructs its delegate to say or vote."),
    )
    by_vote = forms.BooleanField(
        label=_("Put it to our assembly's vote first (otherwise: the group already decided it)"),
        required=False,
    )

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"] = _subject_field(subjects, _("About"))


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("Your report"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"] = _subject_field(subjects, _("On"))


class RecallForm(forms.Form):
    how = forms.ChoiceField(
        label=_("How"),
        widget=forms.RadioSelect,
        initial="vote",
        choices=[
            ("vote", _("Put the recall to our assembly's vote (a majority recalls)")),
            ("record", _("Record a recall the group decided in a meeting")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
