"""Input schemas for the conversation pages."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from actions.models import CallToAction
from commonground.models import Access, Moderation, StatementState
from commonground.services import MAX_STATEMENT
from directory.models import Organization

# A Pol.is export of a very large conversation is tens of megabytes.
MAX_UPLOAD = 200 * 1024 * 1024


class ConversationForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The question you are asking, and what the answers will be used for.",
    )
    attach_to = forms.ChoiceField(
        label="Belongs to",
        required=False,
        help_text="A coalition or group you look after, or a call your coalition issued.",
    )
    access = forms.ChoiceField(
        label="Who may take part",
        choices=Access.choices,
        initial=Access.OPEN,
        widget=forms.RadioSelect,
        help_text="Members are the admins of the group or coalition and of its member groups.",
    )
    is_private = forms.BooleanField(
        label="Only members can see it", required=False, help_text="Otherwise anyone can read it."
    )
    moderation = forms.ChoiceField(
        choices=Moderation.choices, initial=Moderation.BEFORE, widget=forms.RadioSelect
    )
    seed_statements = forms.CharField(
        label="Starting statements",
        required=False,
        # A hundred statements of the longest kind, one per line.
        max_length=100 * 401,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One per line. People vote on these first; they can add their own.",
    )

    def __init__(
        self,
        *args: Any,
        organizations: list[Organization],
        calls: list[CallToAction],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._organizations = {str(o.pk): o for o in organizations}
        self._calls = {str(c.pk): c for c in calls}
        choices: list[Any] = [("", "Nothing: a conversation on its own")]
        if organizations:
            choices.append(("Groups and coalitions", [(f"o{o.pk}", o.name) for o in organizations]))
        if calls:
            choices.append(("Calls to action", [(f"c{c.pk}", c.title) for c in calls]))
        self.fields["attach_to"].choices = choices  # type: ignore[attr-defined]

    def attachment(self) -> tuple[Organization | None, CallToAction | None]:
        value = self.cleaned_data.get("attach_to") or ""
        if value.startswith("o"):
            return self._organizations[value[1:]], None
        if value.startswith("c"):
            return None, self._calls[value[1:]]
        return None, None

    def seeds(self) -> list[str]:
        return [s.strip() for s in self.cleaned_data["seed_statements"].splitlines() if s.strip()]


class StatementForm(forms.Form):
    text = forms.CharField(
        label="Your statement",
        max_length=MAX_STATEMENT,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_STATEMENT}),
        help_text="One idea, said so that others can agree or disagree with it.",
    )


class VoteForm(forms.Form):
    statement = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    value = forms.TypedChoiceField(
        choices=[("1", "Agree"), ("-1", "Disagree"), ("0", "Pass")], coerce=int
    )


class ModerateForm(forms.Form):
    statement = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    state = forms.ChoiceField(
        choices=[(StatementState.ACCEPTED, "Accept"), (StatementState.REJECTED, "Reject")]
    )


class CloseForm(forms.Form):
    closed = forms.TypedChoiceField(choices=[("1", "Close"), ("0", "Reopen")], coerce=int)


class ImportForm(forms.Form):
    votes = forms.FileField(label="votes.csv", help_text="The Pol.is export's vote log.")
    comments = forms.FileField(
        label="comments.csv",
        required=False,
        help_text="The statements' texts and moderation. Without it statements are numbered.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("votes", "comments"):
            upload = data.get(name)
            if upload is not None and upload.size > MAX_UPLOAD:
                self.add_error(name, ValidationError("The file is too large (200 MB at most)."))
        return data


EXPORTS = {
    "votes": "votes.csv",
    "comments": "comments.csv",
    "participants-votes": "participants-votes.csv",
}
