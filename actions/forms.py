"""Input schemas for the action pages: calls, commitments, reports, subscriptions and alerts."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actions import timezones
from actions.models import THRESHOLD_LEVELS
from actions.services import MAX_TURNOUT
from directory.models import IssueArea, Organization
from places.forms import PlaceFieldsMixin
from places.models import Place

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _zone_field(label: Any, empty: Any, help_text: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", empty), *timezones.zone_choices()],
        help_text=help_text,
    )


def on_clock(value: datetime, zone: str) -> datetime:
    """The wall-clock time a person typed, read on `zone`'s clock. Django's field has already
    read it on the server's clock (make_naive undoes exactly that)."""
    return timezone.make_naive(value).replace(tzinfo=ZoneInfo(zone))


def _issue_field(areas: list[IssueArea], label: str = "Issue areas") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=[(a.slug, a.name) for a in areas],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )


def _org_field(orgs: list[Organization], label: str, empty: str | None = None) -> forms.ChoiceField:
    choices = [(str(o.pk), o.name) for o in orgs]
    if empty is not None:
        choices = [("", empty), *choices]
    return forms.ChoiceField(label=label, choices=choices, required=empty is None)


class _PlaceForm(PlaceFieldsMixin, forms.Form):
    """A form whose place fields (`place_fields`) are read by the hub's place resolver: when the
    text may mean several places the field lists them as choices to click, and the pick comes
    back in `<name>_pick`."""

    def _resolve(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        self.resolve_places(cleaned)
        for name in self.place_fields:
            # The pick only settles the place; the services take the place itself.
            cleaned.pop(f"{name}_pick", None)
        return cleaned


class CallForm(_PlaceForm):
    place_fields = {"scope": True}

    coalition = forms.ChoiceField(label="Issued by")
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What groups commit to do, and why.",
    )
    scope = forms.CharField(
        label="Where",
        max_length=200,
        help_text="A city, county, state, country, a region such as Cascadia, or World.",
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )
    starts_at = forms.DateTimeField(label="Day of action (start)", widget=DATETIME)
    ends_at = forms.DateTimeField(label="Window ends", required=False, widget=DATETIME)
    deadline = forms.DateTimeField(
        label="Commit by",
        widget=DATETIME,
        help_text="If the thresholds are not met by then, the call does not go.",
    )
    min_organizations = forms.IntegerField(
        label="At least this many organizations", min_value=0, max_value=1_000_000, initial=0
    )
    place_level = forms.ChoiceField(
        label="Count places of this kind",
        required=False,
        choices=[("", "— no place rule —"), *THRESHOLD_LEVELS],
    )
    min_places = forms.IntegerField(
        label="In at least this many places", min_value=0, max_value=100_000, initial=0
    )
    min_per_place = forms.IntegerField(
        label="Commitments each place needs", min_value=1, max_value=100_000, initial=1
    )
    TIMES = ("starts_at", "ends_at", "deadline")

    def __init__(
        self,
        *args: Any,
        user: Any,
        coalitions: list[Organization],
        issue_areas: list[IssueArea],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_place_picks()
        self.coalitions = {str(c.pk): c for c in coalitions}
        self.fields["coalition"] = _org_field(coalitions, "Issued by")
        self.fields["issue_areas"] = _issue_field(issue_areas)
        self.fields["time_zone"] = _zone_field(
            _("Time zone"),
            _("The place's own time zone"),
            _(
                "The clock the times above are read on. A place that spans several time zones "
                "(a country, a region, the world) needs one chosen here."
            ),
        )
        self.order_fields(
            ["coalition", "title", "description", "issue_areas", "scope", "time_zone"]
        )

    def clean_coalition(self) -> Organization:
        return self.coalitions[self.cleaned_data["coalition"]]

    def clean(self) -> dict[str, Any]:
        data = self._resolve(super().clean() or {})
        scope = data.get("scope")
        zone = data.get("time_zone") or ""
        if not zone and isinstance(scope, Place):
            zone = timezones.default_zone(scope) or ""
            if not zone:
                spans = ", ".join(timezones.place_zones(scope)[:4])
                self.add_error(
                    "time_zone",
                    _(
                        "%(place)s spans several time zones (%(zones)s…): choose the one "
                        "the times above are in."
                    )
                    % {"place": scope.name, "zones": spans or _("unknown")},
                )
                return data
        if zone:
            data["time_zone"] = zone
            for name in self.TIMES:
                if data.get(name) is not None:
                    data[name] = on_clock(data[name], zone)
        return data


class CommitForm(forms.Form):
    organization = forms.ChoiceField(label="Organization")
    expected_turnout = forms.IntegerField(
        label="How many people you expect", min_value=0, max_value=MAX_TURNOUT, initial=0
    )
    event_date = forms.DateField(
        label="Date of your event", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    event_time = forms.TimeField(
        label="Time", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    venue = forms.CharField(label="Venue", required=False, max_length=200)
    address = forms.CharField(label="Address", required=False, max_length=300)
    address_public = forms.BooleanField(
        label="Show the address publicly",
        required=False,
        help_text="Leave unticked to share it only with people you invite.",
    )
    accessibility = forms.CharField(
        label="Accessibility",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Step-free access, interpretation, quiet space, childcare…",
    )

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.fields["organization"] = _org_field(organizations, "Organization")
        self.fields["time_zone"] = _zone_field(
            _("Time zone of your event"),
            _("Your group's own time zone"),
            _("The clock the date and time above are read on."),
        )
        self.order_fields(
            ["organization", "expected_turnout", "event_date", "event_time", "time_zone"]
        )

    def clean_organization(self) -> Organization:
        return self.organizations[self.cleaned_data["organization"]]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the groups that committed, with the notice."),
    )
    confirm = forms.BooleanField(
        required=True,
        widget=forms.HiddenInput,
        error_messages={"required": _("Confirm on this page to cancel the call.")},
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput, initial=True)


class ReportForm(forms.Form):
    held = forms.TypedChoiceField(
        label="Did your event happen?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    turnout = forms.IntegerField(
        label="How many people came", required=False, min_value=0, max_value=MAX_TURNOUT
    )
    outcome = forms.CharField(
        label="What came of it",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class SubscribeForm(_PlaceForm):
    place_fields = {"place": True}

    organization = forms.ChoiceField(label="Who receives the alerts", required=False)
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="For a group: the address of its list or contact person.",
    )
    webhook_url = forms.URLField(
        label="Webhook address",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="For a group's own tools: each alert is POSTed there, signed.",
    )
    place = forms.CharField(
        label="Place",
        required=False,
        max_length=200,
        help_text="Leave empty for alerts from everywhere.",
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        organizations: list[Organization],
        issue_areas: list[IssueArea],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_place_picks()
        self.organizations = {str(o.pk): o for o in organizations}
        self.fields["organization"] = _org_field(organizations, "Who receives the alerts", "Me")
        self.fields["issue_areas"] = _issue_field(
            issue_areas, "Issue areas (none ticked: all of them)"
        )

    def clean_organization(self) -> Organization | None:
        value = self.cleaned_data["organization"]
        return self.organizations.get(value) if value else None

    def clean(self) -> dict[str, Any]:
        return self._resolve(super().clean() or {})


class AlertForm(_PlaceForm):
    place_fields = {"place": True}

    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        help_text="What is happening, by when, and what people can do.",
    )
    place = forms.CharField(
        label="Place",
        required=False,
        max_length=200,
        help_text="Subscribers to this place, the places inside it and the places around it receive it.",
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )
    sender = forms.ChoiceField(label="Send in the name of", required=False)

    def __init__(
        self,
        *args: Any,
        user: Any,
        coalitions: list[Organization],
        issue_areas: list[IssueArea],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_place_picks()
        self.coalitions = {str(c.pk): c for c in coalitions}
        self.fields["sender"] = _org_field(coalitions, "Send in the name of", "Myself")
        self.fields["issue_areas"] = _issue_field(issue_areas)

    def clean(self) -> dict[str, Any]:
        return self._resolve(super().clean() or {})

    def clean_sender(self) -> Organization | None:
        value = self.cleaned_data["sender"]
        return self.coalitions.get(value) if value else None


class CallFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Open calls"),
            ("gathering", "Gathering"),
            ("go", "Going ahead"),
            ("closed", "Closed"),
            ("all", "All"),
        ],
    )
