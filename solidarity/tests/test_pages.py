"""Every page: the normal case, the wrong method, and the person who must be refused; private
requests invisible to outsiders in pages and feeds."""

from decimal import Decimal

import pytest
from django.test import Client

from solidarity import services
from solidarity.models import Pledge, PledgeState, SupportOffer, SupportRequest
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_it_lists_public_requests_to_anyone_and_hides_private_ones(cast, organizer, outsider):
    ask(cast, organizer, title="Public ask")
    private = ask(cast, organizer, title="Members only", visibility="coalitions")
    secret = ask(cast, organizer, title="Family housing", sensitive=True, visibility="coalitions")
    for client in (client_for(), client_for(outsider)):
        page = client.get("/solidarity/").content.decode()
        assert "Public ask" in page and "Members only" not in page and "Family housing" not in page
        assert client.get(private.get_absolute_url()).status_code == 404
        assert client.get(secret.get_absolute_url()).status_code == 404
        assert b"Members only" not in client.get("/solidarity/murmurations.json").content
        assert b"Family" not in client.get("/solidarity/calendar.ics").content
    page = client_for(cast.admins["nyc"]).get("/solidarity/").content.decode()
    assert "Members only" in page and "Family housing" in page


def test_it_refuses_the_wrong_method_on_every_page(cast, organizer):
    req = ask(cast, organizer)
    client = client_for(organizer)
    for url in [
        "/solidarity/",
        "/solidarity/offers/",
        req.get_absolute_url(),
        "/solidarity/campaigns/",
        "/solidarity/murmurations.json",
        "/solidarity/calendar.ics",
    ]:
        assert client.post(url).status_code == 405, url
    for url in [f"/solidarity/requests/{req.pk}/pledge/", f"/solidarity/requests/{req.pk}/close/"]:
        assert client.get(url).status_code == 405, url
    assert client.delete("/solidarity/requests/new/").status_code == 405


def test_it_posts_a_request_from_the_page(cast, organizer):
    client = client_for(organizer)
    assert client.get("/solidarity/requests/new/").status_code == 200
    response = client.post(
        "/solidarity/requests/new/",
        {
            "organization": cast.jackson.pk,
            "title": "Legal defence fund",
            "kind": "money",
            "quantity": "3000",
            "currency": "USD",
            "visibility": "public",
            "urgency": "3",
            "money_link": "https://give.example.org/jackson",
        },
    )
    req = SupportRequest.objects.get(title="Legal defence fund")
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    assert req.quantity == 3000 and req.place == cast.places["jackson"]


def test_it_says_what_is_wrong_with_a_request_on_the_page(cast, organizer):
    response = client_for(organizer).post(
        "/solidarity/requests/new/",
        {
            "organization": cast.jackson.pk,
            "title": "x",
            "kind": "housing",
            "visibility": "public",
            "urgency": "2",
            "sensitive": "on",
        },
    )
    assert response.status_code == 400 and b"cannot be public" in response.content


def test_it_sends_people_without_a_group_to_add_one(outsider, db):
    assert client_for(outsider).get("/solidarity/requests/new/").status_code == 403


def test_it_asks_to_sign_in_before_posting(cast):
    response = client_for().get("/solidarity/offers/new/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_takes_a_pledge_and_follows_it_to_receipt_from_the_pages(cast, organizer):
    req = ask(cast, organizer, contact_email="dee@jackson.example")
    helper = client_for(cast.admins["oakland"])
    page = helper.get(req.get_absolute_url()).content.decode()
    assert 'id="pledge-form"' in page and "dee@jackson.example" not in page
    response = helper.post(
        f"/solidarity/requests/{req.pk}/pledge/",
        {"organization": cast.helpers["oakland"].pk, "amount": "12", "show_tie": "on"},
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get(request=req)
    requester = client_for(organizer)
    requester.post(f"/solidarity/pledges/{pledge.pk}/", {"step": "accept"})
    assert "dee@jackson.example" in helper.get(req.get_absolute_url()).content.decode()
    helper.post(f"/solidarity/pledges/{pledge.pk}/", {"step": "deliver", "amount": "12"})
    requester.post(
        f"/solidarity/pledges/{pledge.pk}/", {"step": "confirm", "amount": "10", "show_tie": "on"}
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PARTIAL and pledge.received_amount == 10


def test_it_refuses_a_pledge_page_step_to_an_outsider(cast, organizer, outsider):
    req = ask(cast, organizer)
    pledge = services.pledge_make(
        user=cast.admins["oakland"],
        request=req,
        organization=cast.helpers["oakland"],
        amount=Decimal(3),
    )
    assert (
        client_for(outsider)
        .post(f"/solidarity/pledges/{pledge.pk}/", {"step": "confirm"})
        .status_code
        == 404
    )
    client_for(cast.admins["oakland"]).post(
        f"/solidarity/pledges/{pledge.pk}/", {"step": "confirm"}
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PLEDGED  # the pledger cannot confirm its own delivery


def test_it_refuses_a_pledge_to_a_request_hidden_from_the_group(cast, organizer, outsider):
    req = ask(cast, organizer, visibility="coalitions")
    response = client_for(outsider).post(
        f"/solidarity/requests/{req.pk}/pledge/", {"organization": cast.stranger.pk, "amount": "1"}
    )
    assert response.status_code == 404 and not Pledge.objects.exists()


def test_it_refuses_closing_anothers_request(cast, organizer, outsider):
    req = ask(cast, organizer)
    assert client_for(outsider).post(f"/solidarity/requests/{req.pk}/close/").status_code == 403
    assert client_for(organizer).post(f"/solidarity/requests/{req.pk}/close/").status_code == 302
    req.refresh_from_db()
    assert req.state == "not_needed"


def test_it_shows_an_offer_and_lets_only_its_group_withdraw_it(cast, outsider):
    offer = services.offer_create(
        user=cast.admins["nyc"], organization=cast.helpers["nyc"], title="Van", kind="transport"
    )
    assert client_for().get(offer.get_absolute_url()).status_code == 200
    assert client_for(outsider).post(f"/solidarity/offers/{offer.pk}/withdraw/").status_code == 403
    client_for(cast.admins["nyc"]).post(f"/solidarity/offers/{offer.pk}/withdraw/")
    assert not SupportOffer.objects.get(pk=offer.pk).active


def test_it_shows_matches_to_a_groups_admins_only(cast, organizer, outsider):
    ask(cast, organizer)
    services.offer_create(
        user=cast.admins["nyc"],
        organization=cast.helpers["nyc"],
        title="Crew",
        kind="volunteers",
        remote=True,
    )
    page = client_for(cast.admins["nyc"]).get("/solidarity/matches/").content.decode()
    assert "Volunteers for the eviction defence" in page and "Why:" in page
    page = client_for(outsider).get("/solidarity/matches/").content.decode()
    assert "Volunteers for the eviction defence" not in page


def test_it_shows_unmatched_requests_to_coordinators_only(
    cast, organizer, site_coordinator, outsider
):
    ask(cast, organizer)
    assert (
        b"Volunteers for the eviction"
        in client_for(site_coordinator).get("/solidarity/unmatched/").content
    )
    assert client_for(outsider).get("/solidarity/unmatched/").status_code == 403


def test_it_starts_a_campaign_from_the_page_and_refuses_non_coalitions(cast, member, organizer):
    client = client_for(member)
    assert client.get("/solidarity/campaigns/new/").status_code == 200
    response = client.post(
        "/solidarity/campaigns/new/",
        {
            "coalition": cast.coalition.pk,
            "title": "Defence fund",
            "kind": "money",
            "target": "3000",
            "currency": "USD",
            "scope": "United States",
        },
    )
    assert response.status_code == 302
    assert client_for().get(response["Location"]).status_code == 200
    assert client_for(organizer).get("/solidarity/campaigns/new/").status_code == 403


def test_the_api_lists_public_requests_and_never_private_or_sensitive_ones(cast, organizer):
    ask(cast, organizer, title="Public ask")
    ask(cast, organizer, title="Members only", visibility="coalitions")
    ask(
        cast,
        organizer,
        title="Family housing",
        sensitive=True,
        visibility="named",
        visible_to=[cast.helpers["nyc"]],
    )
    for client in (client_for(), client_for(cast.admins["nyc"])):
        body = client.get("/api/solidarity/requests").json()
        assert [i["title"] for i in body["items"]] == ["Public ask"] and body["count"] == 1
    assert client_for().get("/api/solidarity/offers").json() == {"items": [], "count": 0}
