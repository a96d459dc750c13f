"""Input schemas for the coalition pages: starting one, membership steps, admins and roles."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from coalitions.models import CoalitionLevel
from coalitions.services import MAX_MESSAGE
from directory.models import IssueArea, Organization
from places.forms import PlaceFieldsMixin

MAX_INVITEES = 50


def _place_input(label: Any, help_text: Any = "", required: bool = True) -> forms.CharField:
    """A place typed as people write it; the form's `resolve_places` reads it (see
    places.forms.PlaceFieldsMixin) and asks with a list of choices when it may mean several."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )


class _PlaceForm(PlaceFieldsMixin, forms.Form):
    # A coalition may span a region made of several places (Cascadia), and a regional
    # coordinator may coordinate one, so every place field here accepts regions.
    place_fields = {"place": True}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_place_picks()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.resolve_places(cleaned)
        # The pick only settles the place; the views take the place itself.
        cleaned.pop("place_pick", None)
        return cleaned


def resolve_organization(text: str) -> Organization:
    """A public listing from its name, or from its page's address when names are shared."""
    text = text.strip()
    key = text.rstrip("/").rsplit("/", 1)[-1] if "/" in text else text
    found = Organization.objects.public().filter(slug=key[:140]).first()
    if found is not None:
        return found
    named = list(Organization.objects.public().filter(name__iexact=text)[:2])
    if not named:
        raise ValidationError(
            _("No group called “%(name)s” is listed here."), params={"name": text}
        )
    if len(named) > 1:
        raise ValidationError(
            _(
                "Several groups are called “%(name)s”; paste the address of the one you mean "
                "from its page."
            ),
            params={"name": text},
        )
    return named[0]


def _message_field(label: Any, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CoalitionStartForm(_PlaceForm):
    name = forms.CharField(label=_("Name of the coalition"), max_length=300)
    level = forms.ChoiceField(
        label=_("Level"),
        choices=CoalitionLevel.choices,
        help_text=_("The scale it works at, from a neighbourhood to the world."),
    )
    # Named `place` so the place suggestions (places:suggest) answer it as they type.
    place = _place_input(
        _("Area it spans"), _("A town, county, state, country or region such as Cascadia.")
    )
    issue_areas = forms.MultipleChoiceField(
        label=_("Issue areas"), required=False, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=_("What it is for"), required=False, max_length=10_000, widget=forms.Textarea
    )
    founding_members = forms.ModelMultipleChoiceField(
        label=_("Founding members"),
        required=False,
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Groups you administer join at once."),
    )
    invite = forms.CharField(
        label=_("Invite other groups"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One group per line, by its name or the address of its page. Their admins decide."
        ),
    )
    message = _message_field(_("Message to the groups you invite"))

    def __init__(
        self, *args: Any, user: Any, own: Any, issue_areas: list[IssueArea], **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["founding_members"].queryset = own  # type: ignore[attr-defined]
        self.fields["issue_areas"].choices = [(a.slug, a.name) for a in issue_areas]  # type: ignore[attr-defined]

    def clean_invite(self) -> list[Organization]:
        lines = [line for line in self.cleaned_data["invite"].splitlines() if line.strip()]
        if len(lines) > MAX_INVITEES:
            raise ValidationError(
                _("Invite at most %(n)d groups at once."), params={"n": MAX_INVITEES}
            )
        found: list[Organization] = []
        errors: list[ValidationError] = []
        for line in lines:
            try:
                found.append(resolve_organization(line))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return found


class JoinForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Which of your groups asks to join"), queryset=Organization.objects.none()
    )
    message = _message_field(_("Message to the coalition's admins"))

    def __init__(self, *args: Any, own: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = own  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    group = forms.CharField(
        label=_("Group to invite"),
        max_length=500,
        help_text=_("Its name, or the address of its page if several share the name."),
    )
    message = _message_field(_("Message to the group's admins"))

    def clean_group(self) -> Organization:
        return resolve_organization(self.cleaned_data["group"])


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline"))], widget=forms.HiddenInput
    )
    message = _message_field(_("Message (optional)"))


class LeaveForm(forms.Form):
    message = _message_field(_("Message (optional)"))


class RemoveForm(forms.Form):
    reason = _message_field(_("Reason, shown to the group"), required=True)


class AdminInviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person to invite"), max_length=254)


class AppointForm(_PlaceForm):
    email = forms.EmailField(label=_("Their email address"), max_length=254)
    place = _place_input(
        _("Place or region they coordinate"),
        _("Type its name: a town, county, state, country or region such as Cascadia."),
    )


class PlaceLookupForm(_PlaceForm):
    place = _place_input(_("Place"), required=False)


class _OwnGroupForm(forms.Form):
    """A step one of the person's own groups takes; `own` limits the choice to those groups."""

    group = forms.ModelChoiceField(
        label=_("Which of your groups"), queryset=Organization.objects.none()
    )

    def __init__(self, *args: Any, own: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = own  # type: ignore[attr-defined]


class ClusterChoiceForm(_OwnGroupForm):
    decision = forms.ChoiceField(
        choices=[("join", _("Join the cluster")), ("leave", _("Leave the cluster"))],
        widget=forms.HiddenInput,
    )


class VolunteerForm(_OwnGroupForm):
    message = _message_field(_("What your group already does on this issue (optional)"))


class LeadAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("confirm", _("Confirm")), ("decline", _("Decline"))], widget=forms.HiddenInput
    )
    message = _message_field(_("Message to the group (optional)"))
