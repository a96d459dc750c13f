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


# A coalition's people can number in the tens of thousands: the pick list shows the first of
# them by name, and anyone else is named by email address.
PICK_LIMIT = 200


def _pick(people: Any) -> Any:
    return people.filter(pk__in=people.order_by("display_name", "pk").values("pk")[:PICK_LIMIT])


def _emails(raw: str) -> list[str]:
    return [line.strip().lower() for line in (raw or "").splitlines() if line.strip()]


class _People(forms.Form):
    """Turns the chosen people and the email lines into the group's people, or an error."""

    def __init__(self, *args: Any, coalitions: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["coalition"].queryset = coalitions  # type: ignore[attr-defined]

    def by_email(self, raw: str, field: str) -> list[Any]:
        found = []
        for email in _emails(raw):
            person = self.people.filter(email__iexact=email).first()
            if person is None:
                self.add_error(
                    field, _("%(email)s is not one of the group's people.") % {"email": email}
                )
            else:
                found.append(person)
        return found


class AppointForm(_People):
    coalition = forms.ModelChoiceField(
        label=_("To"), queryset=Organization.objects.none(), empty_label=None
    )
    person = forms.ModelChoiceField(
        label=_("Delegate"), queryset=Organization.objects.none(), required=False
    )
    email = forms.EmailField(
        label=_("Or their email address"),
        required=False,
        help_text=_("For someone not in the list."),
    )

    def __init__(self, *args: Any, coalitions: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, coalitions=coalitions, people=people, **kwargs)
        self.fields["person"].queryset = _pick(people)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("person"):
            found = self.by_email(data.get("email") or "", "email")
            if found:
                data["person"] = found[0]
            elif not self.errors:
                self.add_error("person", _("Choose the delegate."))
        return data


class ElectionForm(_People):
    coalition = forms.ModelChoiceField(
        label=_("To"), queryset=Organization.objects.none(), empty_label=None
    )
    seats = forms.IntegerField(label=_("Delegates to elect"), min_value=1, max_value=50, initial=2)
    candidates = forms.ModelMultipleChoiceField(
        label=_("Candidates"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The group's people; its assembly ranks them (single transferable vote)."),
    )
    candidate_emails = forms.CharField(
        label=_("More candidates, by email address, one a line"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, coalitions: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, coalitions=coalitions, people=people, **kwargs)
        self.fields["candidates"].queryset = _pick(people)  # type: ignore[attr-defined]
        self.fields["candidates"].label_from_instance = str  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = list(data.get("candidates") or [])
        chosen += self.by_email(data.get("candidate_emails") or "", "candidate_emails")
        data["candidates"] = list({p.pk: p for p in chosen}.values())
        return data


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
