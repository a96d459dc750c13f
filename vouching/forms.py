"""Input schemas for the vouching pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Organization
from vouching.models import REASON_MAX_LENGTH, AdmissionHow, Bar

AS_COORDINATOR = "coordinator"


def _reason_field(label: Any, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX_LENGTH,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VouchForm(forms.Form):
    voucher = forms.ChoiceField(label=_("Vouch as"))
    reason = _reason_field(_("How do you know this group?"))

    def __init__(
        self, *args: Any, groups: list[Organization], coordinator: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(g.pk), g.name) for g in groups]
        if coordinator:
            choices.append((AS_COORDINATOR, str(_("Myself, as a coordinator of its place"))))
        self.fields["voucher"].choices = choices  # type: ignore[attr-defined]
        self.groups = {str(g.pk): g for g in groups}
        self.coordinator = coordinator

    def offers_any(self) -> bool:
        """Whether this person may vouch at all (a group to vouch with, or their role)."""
        return bool(self.groups) or self.coordinator

    def voucher_group(self) -> Organization | None:
        return self.groups.get(self.cleaned_data["voucher"])


class ReasonForm(forms.Form):
    reason = _reason_field(_("Reason"))


class ReviewForm(forms.Form):
    keep = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "keep",
        choices=[("keep", _("Keep the vouch")), ("suspend", _("Suspend this group too"))],
    )
    reason = _reason_field(_("Reason"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("keep") is False and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why this group is suspended."))
        return cleaned


class BarForm(forms.Form):
    bar = forms.ChoiceField(
        label=_("Who may take part in our assembly"),
        choices=Bar.choices,
        widget=forms.RadioSelect,
    )


class AdmitForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Member group"))
    how = forms.ChoiceField(
        label=_("How"),
        choices=[
            (AdmissionHow.MEETING, AdmissionHow.MEETING.label),
            (AdmissionHow.APPROVAL, AdmissionHow.APPROVAL.label),
        ],
    )
    note = forms.CharField(label=_("Note"), max_length=REASON_MAX_LENGTH, required=False)

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]


class RoleGrantForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person's account"))
    place = forms.CharField(
        label=_("Place they will coordinate"),
        help_text=_("Its address on the hub, e.g. us-oregon. Leave empty for a site coordinator."),
        required=False,
        max_length=200,
    )
    reason = _reason_field(_("Why this person should have the role"))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("confirm", _("Confirm")), ("decline", _("Decline")), ("withdraw", _("Withdraw"))]
    )
    answer = forms.CharField(label=_("Note"), max_length=REASON_MAX_LENGTH, required=False)


class MergePairForm(forms.Form):
    keep = forms.IntegerField(widget=forms.HiddenInput)
    other = forms.IntegerField(widget=forms.HiddenInput)


class MergeRequestForm(MergePairForm):
    reason = _reason_field(_("Why these are the same group"))
