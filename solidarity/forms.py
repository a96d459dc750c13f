"""Input schemas for the solidarity pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import IssueArea, Organization
from places.forms import PlaceFieldsMixin
from solidarity.models import Kind, NeedState, Urgency, Visibility

DATE = forms.DateInput(attrs={"type": "date"})
PLACE = forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"})


def _choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """Fill a choice field's options once the form knows the person's groups."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _org_choices(orgs: list[Organization]) -> list[tuple[str, str]]:
    return [(str(o.pk), o.name) for o in orgs]


class _PostingForm(PlaceFieldsMixin, forms.Form):
    place_fields = {"place": False}

    organization = forms.ChoiceField(label=_("In the name of"))
    title = forms.CharField(label=_("What is it, in a few words"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of help"), choices=Kind.choices)
    quantity = forms.DecimalField(
        label=_("How much or how many"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Leave empty for as much as comes."),
    )
    currency = forms.CharField(
        label=_("Currency"), required=False, max_length=3, help_text=_("For money: USD, EUR…")
    )
    unit = forms.CharField(
        label=_("Counted in"), required=False, max_length=40, help_text=_("people, boxes, nights…")
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    place = forms.CharField(
        label=_("Where"),
        required=False,
        max_length=200,
        widget=PLACE,
        help_text=_("Leave empty for your group's own place."),
    )
    remote = forms.BooleanField(label=_("Can be done from anywhere"), required=False)
    issue_area = forms.ChoiceField(label=_("Issue"), required=False)
    visibility = forms.ChoiceField(label=_("Who may see it"), choices=Visibility.choices)
    visible_to = forms.MultipleChoiceField(
        label=_("Groups who may see it"),
        required=False,
        help_text=_("Only when you chose named groups."),
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        organizations: list[Organization],
        issue_areas: list[IssueArea],
        others: list[Organization] | None = None,
        known_place: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # An edited posting's place, shown by its name and kept unless changed.
        self.add_place_picks({"place": known_place})
        self.organizations = {str(o.pk): o for o in organizations}
        _choices(self, "organization", _org_choices(organizations))
        self.areas = {a.slug: a for a in issue_areas}
        _choices(
            self,
            "issue_area",
            [
                ("", _("Any")),
                *[(a.slug, a.name) for a in issue_areas],
            ],
        )
        self.others = {str(o.pk): o for o in others or []}
        _choices(self, "visible_to", _org_choices(others or []))

    def clean_organization(self) -> Organization:
        return self.organizations[self.cleaned_data["organization"]]

    def clean_issue_area(self) -> IssueArea | None:
        return self.areas.get(self.cleaned_data["issue_area"])

    def clean_visible_to(self) -> list[Organization]:
        return [self.others[k] for k in self.cleaned_data["visible_to"] if k in self.others]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.resolve_places(data)
        data.pop("place_pick", None)
        if not data.get("place"):
            data["place"] = None
        return data


class RequestForm(_PostingForm):
    needed_by = forms.DateField(label=_("Needed by"), required=False, widget=DATE)
    urgency = forms.TypedChoiceField(
        label=_("How urgent"), choices=Urgency.choices, coerce=int, initial=Urgency.SOON
    )
    sensitive = forms.BooleanField(
        label=_("Sensitive"),
        required=False,
        help_text=_("Housing a family, legal support: never shown publicly, in feeds or the API."),
    )
    allow_over = forms.BooleanField(label=_("Take pledges beyond what we ask"), required=False)
    money_link = forms.URLField(
        label=_("Your own page for receiving money"),
        required=False,
        max_length=1000,
        help_text=_("The hub never handles money; givers use your page."),
    )
    campaign = forms.ChoiceField(label=_("Part of the campaign"), required=False)
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=40)

    def __init__(self, *args: Any, campaigns: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaigns = {str(c.pk): c for c in campaigns or []}
        _choices(
            self,
            "campaign",
            [
                ("", _("None")),
                *[(str(c.pk), c.title) for c in campaigns or []],
            ],
        )

    def clean_campaign(self) -> Any:
        return self.campaigns.get(self.cleaned_data["campaign"])


class RequestEditForm(RequestForm):
    below_pledged_ok = forms.BooleanField(
        label=_("We know we now ask for less than groups have pledged"),
        required=False,
        help_text=_("Their pledges stand, and they are told of the change."),
    )


class OfferForm(_PostingForm):
    one_off = forms.BooleanField(label=_("One-off (otherwise standing)"), required=False)
    available_from = forms.DateField(label=_("Available from"), required=False, widget=DATE)
    available_until = forms.DateField(label=_("Available until"), required=False, widget=DATE)
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)


class PledgeForm(forms.Form):
    organization = forms.ChoiceField(label=_("Pledge in the name of"))
    amount = forms.DecimalField(
        label=_("How much or how many"), min_value=0, max_digits=14, decimal_places=2
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    show_tie = forms.BooleanField(
        label=_("Show this on our group's page once received"), required=False, initial=True
    )

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        _choices(self, "organization", _org_choices(organizations))

    def clean_organization(self) -> Organization:
        return self.organizations[self.cleaned_data["organization"]]


class StepForm(forms.Form):
    """One pledge transition: an amount where it takes one, a note, a group to refer to."""

    step = forms.ChoiceField(
        choices=[
            ("accept", "accept"),
            ("deliver", "deliver"),
            ("confirm", "confirm"),
            ("could_not", "could_not"),
            ("refer", "refer"),
            ("not_needed", "not_needed"),
        ]
    )
    amount = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(required=False, max_length=2000)
    referred_to = forms.CharField(required=False, max_length=140)
    show_tie = forms.BooleanField(required=False)


class CampaignForm(PlaceFieldsMixin, forms.Form):
    place_fields = {"scope": True}

    coalition = forms.ChoiceField(label=_("Run by"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What it is for"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    kind = forms.ChoiceField(label=_("Kind of help"), choices=Kind.choices)
    target = forms.DecimalField(label=_("Target"), min_value=0, max_digits=14, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    unit = forms.CharField(label=_("Counted in"), required=False, max_length=40)
    scope = forms.CharField(label=_("Where"), max_length=200, widget=PLACE)
    call = forms.ChoiceField(label=_("Beside the call to action"), required=False)

    def __init__(
        self, *args: Any, user: Any, coalitions: list[Organization], calls: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_place_picks()
        self.coalitions = {str(o.pk): o for o in coalitions}
        _choices(self, "coalition", _org_choices(coalitions))
        self.calls = {str(c.pk): c for c in calls}
        _choices(self, "call", [("", _("None")), *[(str(c.pk), c.title) for c in calls]])

    def clean_coalition(self) -> Organization:
        return self.coalitions[self.cleaned_data["coalition"]]

    def clean_call(self) -> Any:
        return self.calls.get(self.cleaned_data["call"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.resolve_places(data)
        data.pop("scope_pick", None)
        return data


class CloseForm(forms.Form):
    state = forms.ChoiceField(
        choices=[
            (s.value, s.label) for s in (NeedState.NOT_NEEDED, NeedState.MET, NeedState.CLOSED)
        ],
        required=False,
    )
    note = forms.CharField(required=False, max_length=2000)


class SupportSettingsForm(forms.Form):
    show_ties = forms.BooleanField(required=False)
