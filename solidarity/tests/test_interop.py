"""What leaves the hub: Murmurations JSON valid against the stored schema, the iCalendar feed of
dated needs, and a group's CSV export with formulas neutralised. Private and sensitive requests
never appear in the first two."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from solidarity import interop, services
from solidarity.models import SupportRequest
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


@pytest.fixture
def postings(cast, organizer):
    day = timezone.localdate() + timedelta(days=9)
    public = ask(cast, organizer, title="Forty volunteers", needed_by=day)
    ask(cast, organizer, title="Coalition only", visibility="coalitions", needed_by=day)
    ask(
        cast,
        organizer,
        title="House a family",
        sensitive=True,
        visibility="named",
        visible_to=[cast.helpers["nyc"]],
        needed_by=day,
    )
    offer = services.offer_create(
        user=cast.admins["nyc"],
        organization=cast.helpers["nyc"],
        title="Legal observers",
        kind="legal",
        remote=True,
    )
    return public, offer


def test_it_publishes_public_offers_and_wants_that_validate_against_the_schema(postings):
    body = Client().get("/solidarity/murmurations.json").json()
    titles = sorted(item["title"] for item in body["data"])
    assert titles == ["Forty volunteers", "Legal observers"]
    check = interop.validator()
    for item in body["data"]:
        assert list(check.iter_errors(item)) == []
    want = next(i for i in body["data"] if i["exchange_type"] == "want")
    assert want["geographic_scope"] == "local" and want["geolocation"]["lat"] == pytest.approx(
        32.2988
    )
    assert "dee@" not in str(body)


def test_the_schema_refuses_what_it_should():
    bad = {"linked_schemas": ["offers_wants_schema-v0.1.0"], "exchange_type": "gift"}
    assert list(interop.validator().iter_errors(bad))


def test_it_feeds_dated_public_needs_as_icalendar(postings):
    response = Client().get("/solidarity/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Jackson Tenants Union: Forty volunteers"]


def test_it_exports_everything_a_group_owns_with_formulas_neutralised(cast, organizer):
    req = ask(cast, organizer, title='=HYPERLINK("http://evil")')
    services.pledge_make(
        user=cast.admins["oakland"],
        request=req,
        organization=cast.helpers["oakland"],
        amount=Decimal(3),
    )
    client = Client()
    client.force_login(organizer)
    response = client.get(f"/solidarity/organizations/{cast.jackson.slug}/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == "request" and rows[1][2].startswith("'=")
    assert [r[0] for r in rows[1:]] == ["request", "pledge_received"]


def test_it_refuses_the_export_to_anyone_but_the_groups_admins(cast, outsider):
    client = Client()
    client.force_login(outsider)
    assert (
        client.get(f"/solidarity/organizations/{cast.jackson.slug}/export.csv").status_code == 403
    )
    assert (
        Client().get(f"/solidarity/organizations/{cast.jackson.slug}/export.csv").status_code == 302
    )


def test_it_gives_each_public_posting_a_profile_address_and_none_to_private_ones(
    postings, cast, organizer
):
    public, offer = postings
    body = Client().get(f"/solidarity/requests/{public.pk}/murmurations.json").json()
    assert body["exchange_type"] == "want" and list(interop.validator().iter_errors(body)) == []
    assert Client().get(f"/solidarity/offers/{offer.pk}/murmurations.json").status_code == 200
    private = SupportRequest.objects.get(title="Coalition only")
    client = Client()
    client.force_login(cast.admins["nyc"])  # may see it on the pages, but it is not published
    assert client.get(f"/solidarity/requests/{private.pk}/murmurations.json").status_code == 404
