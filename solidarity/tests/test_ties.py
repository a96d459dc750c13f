"""Confirmed deliveries as ties between groups: the plain selector, group pages, a coalition's
plot of its members' mutual support, and the Mutual Aid Hub's standing pages."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from places.geocoder import reset_geocoder
from solidarity import selectors_ties, services
from solidarity.models import SupportOffer, SupportRequest
from solidarity.standing import link_role
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def helped(cast, organizer, key, amount=5, show=True, confirm=True):
    req = ask(cast, organizer, title=f"Help from {key}", allow_over=True)
    p = services.pledge_make(
        user=cast.admins[key],
        request=req,
        organization=cast.helpers[key],
        amount=Decimal(amount),
        show_tie=show,
    )
    if confirm:
        services.pledge_confirm(user=organizer, pledge=p)
    return p


def test_it_counts_only_confirmed_deliveries_as_ties(cast, organizer):
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "nyc", confirm=False)
    oak, jackson = cast.helpers["oakland"].pk, cast.jackson.pk
    assert selectors_ties.confirmed_ties() == [(oak, jackson, 2)]
    assert selectors_ties.confirmed_ties(org_ids=[cast.helpers["nyc"].pk]) == []
    assert selectors_ties.confirmed_ties(org_ids=[jackson]) == [(oak, jackson, 2)]


def test_it_shows_ties_on_both_groups_pages_as_they_chose(cast, organizer):
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "portland", show=False)
    page = Client().get(f"/organizations/{cast.jackson.slug}/").content.decode()
    assert "Helped by:" in page and "Oakland Solidarity Network" in page
    assert "Portland Solidarity Network" not in page
    page = Client().get(f"/organizations/{cast.helpers['oakland'].slug}/").content.decode()
    assert "Helped:" in page and "Jackson Tenants Union" in page


def test_it_plots_a_coalitions_mutual_support_over_time(cast, organizer):
    helped(cast, organizer, "oakland")
    helped(cast, organizer, "nyc")
    bars = selectors_ties.coalition_support_series(cast.coalition)
    assert [b.count for b in bars] == [2]
    page = Client().get(f"/solidarity/coalitions/{cast.coalition.slug}/")
    assert page.status_code == 200
    assert b'<svg id="support-plot"' in page.content and b"2 confirmed deliveries" in page.content


def test_it_reads_what_a_link_is_for_from_its_label():
    assert link_role("Support Request") == "request"
    assert link_role("Support Offer") == "offer"
    assert link_role("Request Support") == "request"
    assert link_role("Facebook") is None


HUB = next(
    (
        folder / "shared" / "data" / "groups" / "mutual-aid-hub_2020-04-02_raw.csv"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "data" / "groups").is_dir()
    ),
    Path("shared/data/groups/mutual-aid-hub_2020-04-02_raw.csv"),
)


@pytest.fixture
def geocoder(places):  # type: ignore[no-untyped-def]
    reset_geocoder()
    yield
    reset_geocoder()


@pytest.mark.skipif(not HUB.exists(), reason="the shared Mutual Aid Hub list is not here")
@pytest.mark.django_db(transaction=True)
def test_it_makes_standing_pages_from_the_mutual_aid_hub_links(geocoder) -> None:
    from directory.models import Organization
    from sources.services import import_file

    import_file(user=None, path=HUB, source_name="Mutual Aid Hub")
    laramie = Organization.objects.get(name="Laramie Mutual Aid")
    request = SupportRequest.objects.get(organization=laramie, standing=True)
    offer = SupportOffer.objects.get(organization=laramie, standing=True)
    assert request.link_url.startswith("https://docs.google.com/forms/d/1nCLqIOFlkmT4uXV")
    assert offer.link_url.startswith("https://docs.google.com/forms/d/1I1vc4pP8nUOz02oA1Ec")
    assert request.quantity is None and request.visibility == "public"
    made = SupportRequest.objects.filter(standing=True).count()
    assert made > 50
    # Importing the same sheet again makes no second page.
    import_file(user=None, path=HUB, source_name="Mutual Aid Hub")
    assert SupportRequest.objects.filter(standing=True).count() == made
    page = Client().get(request.get_absolute_url()).content.decode()
    assert request.link_url in page
