"""Input schemas for the directory pages: search, map clusters and the listing editor."""

import math
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext, gettext_lazy

from commonweal.paging import MAX_OFFSET_PAGE, Seek
from commonweal.widgets import QuickSelect
from directory.languages import language_codes
from directory.models import (
    CONTACT_NOTES_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    IssueArea,
    OrganizationKind,
    OrganizationStatus,
)
from directory.selectors import MAX_RADIUS_KM
from places.forms import PlaceFieldsMixin, place_text
from places.models import Place
from places.resolver import PlaceUnsure, place_resolve

# Past this page a link must say where the page starts (after=/before=, see commonweal/paging.py):
# a deep OFFSET page reads every row before it.
MAX_PAGE = MAX_OFFSET_PAGE


def _issue_choices(issue_areas: list[IssueArea], empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(area.slug, area.name) for area in issue_areas]


def resolve_place(user: Any, text: str) -> Place | None:
    """A place from what was typed, for forms that show no choice list (the outreach and
    calls filters): the sure answer, else an error that names the choices."""
    try:
        return place_resolve(user=user, text=text)
    except PlaceUnsure as unsure:
        labels = "; ".join(c.label for c in unsure.choices)
        raise ValidationError(
            gettext("“%(text)s” may mean several places: %(labels)s. Type one of them."),
            code="unsure_place",
            params={"text": text.strip(), "labels": labels},
        ) from None


class DirectorySearchForm(PlaceFieldsMixin, forms.Form):
    place_fields = {"place": True, "near": True}

    q = forms.CharField(
        label="Words",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "tenant union, food bank…"}),
    )
    place = forms.CharField(
        label="Place",
        required=False,
        max_length=200,
        help_text="A town, county, state, country or region such as Cascadia.",
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )
    issue = forms.ChoiceField(label="Issue area", required=False, widget=QuickSelect)
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Any kind"), *OrganizationKind.choices],
        widget=QuickSelect,
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *OrganizationStatus.choices],
        widget=QuickSelect,
    )
    near = forms.CharField(
        label="Near",
        required=False,
        max_length=200,
        help_text="Groups within a distance of a place's centre.",
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )
    radius = forms.FloatField(
        label="Within (km)",
        required=False,
        min_value=1,
        max_value=MAX_RADIUS_KM,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "50"}),
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # The id of the last listing of the page before (or the first of the page after): pages
    # past the first go by key, so every page of a long list can be reached.
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, issue_areas: list[IssueArea], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Groups that have stopped stay listed but out of the way: a search that does not
        # name a status shows active groups; "Any status" (status=) shows them all.
        if self.is_bound and "status" not in self.data:
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data["status"] = OrganizationStatus.ACTIVE
            self.data = data
        self.user = user
        self.fields["issue"].choices = _issue_choices(issue_areas, "Any issue")  # type: ignore[attr-defined]
        self.add_place_picks()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.resolve_places(data)
        page = data.get("page") or 1
        if page > MAX_PAGE and not (data.get("after") or data.get("before")):
            self.add_error(
                "page",
                f"Pages past {MAX_PAGE} are reached with the Next link, page by page; "
                "or narrow the search by place, issue or words.",
            )
        return data

    def seek(self) -> Seek | None:
        """Where the asked page starts, from its link's after= or before=."""
        data = self.cleaned_data
        if data.get("after"):
            return Seek(pk=data["after"])
        if data.get("before"):
            return Seek(pk=data["before"], backwards=True)
        return None

    def clean_radius(self) -> float:
        radius = self.cleaned_data["radius"]
        if radius is None:
            return 50.0
        if math.isnan(radius):
            raise ValidationError("Enter a number of kilometres.")
        return float(radius)


class ClustersQueryForm(forms.Form):
    """Query of /map/clusters.json: the viewport, the zoom and optional filters."""

    bbox = forms.CharField(max_length=200)
    zoom = forms.IntegerField(min_value=0, max_value=20)
    issue = forms.CharField(required=False, max_length=60)
    kind = forms.ChoiceField(required=False, choices=[("", ""), *OrganizationKind.choices])
    status = forms.ChoiceField(required=False, choices=[("", ""), *OrganizationStatus.choices])
    place = forms.CharField(required=False, max_length=120)
    # Also answer where groups serve away from home (the map's toggle).
    served = forms.BooleanField(required=False)

    def clean_bbox(self) -> tuple[float, float, float, float]:
        parts = self.cleaned_data["bbox"].split(",")
        if len(parts) != 4:
            raise ValidationError("Give four numbers: west,south,east,north.")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise ValidationError("Give four numbers: west,south,east,north.") from None
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise ValidationError("The bbox must be made of finite numbers.")
        if not (-90 <= south < north <= 90):
            raise ValidationError("South and north must be latitudes with south below north.")
        # A map showing the world more than once reports longitudes past ±180.
        if not (-540 <= west < east <= 540):
            raise ValidationError("West and east must be longitudes with west less than east.")
        return (max(west, -180.0), south, min(east, 180.0), north)


def _links_text(links: dict[str, str]) -> str:
    return "\n".join(links.values())


class OrganizationEditForm(PlaceFieldsMixin, forms.Form):
    place_fields = {"home_place": False}

    name = forms.CharField(label="Name", max_length=300)
    kind = forms.ChoiceField(label="Kind", choices=OrganizationKind.choices)
    description = forms.CharField(
        label="What the group does",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea,
    )
    issue_areas = forms.MultipleChoiceField(
        label="Issue areas", required=False, widget=forms.CheckboxSelectMultiple
    )
    home_place = forms.CharField(
        label="Home place",
        required=False,
        max_length=200,
        help_text="The town, county, state or country the group is based in.",
        widget=forms.TextInput(attrs={"list": "place-suggestions", "autocomplete": "off"}),
    )
    website = forms.URLField(label="Website", required=False, max_length=500, assume_scheme="https")
    social_links = forms.CharField(
        label="Social media pages",
        required=False,
        help_text="One address per line.",
        # Twenty addresses of the longest kind a website may be.
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    public_email = forms.EmailField(label="Public email", required=False)
    public_phone = forms.CharField(label="Public phone", required=False, max_length=40)
    languages = forms.CharField(
        label="Languages",
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "Languages separated by commas, as names or ISO 639 codes: en, es, ase."
        ),
    )
    status = forms.ChoiceField(label="Status", choices=OrganizationStatus.choices)
    # The place the person confirmed moving the group to (asked for a move to another country
    # or out of their region); rendered as a checkbox whose value is that place.
    confirm_move = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    contact_name = forms.CharField(label="Contact person", required=False, max_length=200)
    contact_email = forms.EmailField(label="Contact email", required=False)
    contact_phone = forms.CharField(label="Contact phone", required=False, max_length=40)
    contact_notes = forms.CharField(
        label="Notes for coordinators",
        required=False,
        max_length=CONTACT_NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    LISTING = (
        "name",
        "kind",
        "description",
        "issue_areas",
        "home_place",
        "website",
        "social_links",
        "public_email",
        "public_phone",
        "languages",
        "status",
    )
    CONTACT = ("contact_name", "contact_email", "contact_phone", "contact_notes")

    def __init__(
        self,
        *args: Any,
        user: Any,
        issue_areas: list[IssueArea],
        home_place: Place | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["issue_areas"].choices = [(a.slug, a.name) for a in issue_areas]  # type: ignore[attr-defined]
        self.add_place_picks({"home_place": home_place})
        # Set by the editor when saving would move the group to another country or region.
        self.move_to: int | None = None

    @classmethod
    def initial_for(cls, org: Any, contact: Any) -> dict[str, Any]:
        return {
            "name": org.name,
            "kind": org.kind,
            "description": org.description,
            "issue_areas": [a.slug for a in org.issue_areas.all()],
            "home_place": place_text(org.home_place),
            "website": org.website,
            "social_links": _links_text(org.social_links or {}),
            "public_email": org.public_email,
            "public_phone": org.public_phone,
            "languages": ", ".join(org.languages or []),
            "status": org.status,
            "contact_name": contact.name if contact else "",
            "contact_email": contact.email if contact else "",
            "contact_phone": contact.phone if contact else "",
            "contact_notes": contact.notes if contact else "",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.resolve_places(cleaned)
        return cleaned

    def clean_social_links(self) -> dict[str, str]:
        links: dict[str, str] = {}
        url_field = forms.URLField(assume_scheme="https")
        for line in self.cleaned_data["social_links"].splitlines():
            if not line.strip():
                continue
            url = url_field.clean(line.strip())
            host = urlsplit(url).hostname or "link"
            name = host.removeprefix("www.").split(".")[0]
            key, n = name, 1
            while key in links:
                n += 1
                key = f"{name}-{n}"
            links[key] = url
        return links

    def clean_languages(self) -> list[str]:
        # ISO 639 codes or names ("es", "Spanish", "ASL"), kept as codes like the import keeps them.
        codes, unknown = language_codes(self.cleaned_data["languages"])
        if unknown:
            raise ValidationError(
                gettext(
                    "Not a language we know: %(names)s. Use names or ISO 639 codes such as en or es."
                )
                % {"names": ", ".join(f"“{name}”" for name in unknown)}
            )
        return codes

    def listing_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.LISTING}

    def contact_fields(self) -> dict[str, str]:
        return {name.removeprefix("contact_"): self.cleaned_data[name] for name in self.CONTACT}


class CheckinForm(forms.Form):
    """The answer to a check-in: still active, or stopped."""

    CONFIRMED, STOPPED = "confirm", "stop"
    answer = forms.ChoiceField(
        choices=[
            (CONFIRMED, gettext_lazy("Still active")),
            (STOPPED, gettext_lazy("We've stopped")),
        ]
    )
