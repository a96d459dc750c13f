"""The places index, and place suggestions (an HTML <datalist>) for the place fields of forms."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from places.geocoder import get_geocoder
from places.selectors import place_children_for_user

SUGGESTIONS = 8


class SuggestForm(forms.Form):
    """Whichever place field asked: HTMX sends the input under its own name."""

    q = forms.CharField(required=False, max_length=200)
    place = forms.CharField(required=False, max_length=200)
    near = forms.CharField(required=False, max_length=200)
    home_place = forms.CharField(required=False, max_length=200)

    def text(self) -> str:
        for name in ("q", "place", "near", "home_place"):
            value = self.cleaned_data.get(name, "").strip()
            if value:
                return value
        return ""


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The top of the place tree; with one root (the world) that is the world's own page."""
    roots = list(place_children_for_user(request.user, None))
    if len(roots) == 1:
        return redirect("place", slug=roots[0].slug)
    return render(request, "places/index.html", {"places": roots})


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    form = SuggestForm(request.GET)
    text = form.text() if form.is_valid() else ""
    labels: list[str] = []
    if len(text) >= 2:
        # Each option is the place's label, which the place fields read back as that place.
        # Biggest first, as the place fields read a bare name ("Portland": Oregon's).
        labels = [label for _, label in get_geocoder().suggest_labels(text, SUGGESTIONS)]
    return render(request, "places/_suggestions.html", {"labels": labels})
