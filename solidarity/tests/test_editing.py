"""Changing a request or an offer after posting: every field by the owning group's admins,
audited; the pledging groups told of a change to what or how much is asked; no quiet cut below
what is already pledged; closing with a reason. Outsiders refused at every step."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.models import AuditEvent
from coalitions.models import Notice
from solidarity import services
from solidarity.models import NeedState, Pledge, PledgeState, SupportRequest
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def form_of(req, **changes):
    """What the edit page posts: the request as it stands, with `changes`."""
    data = {
        "organization": str(req.organization_id),
        "title": req.title,
        "kind": req.kind,
        "quantity": str(req.quantity or ""),
        "currency": req.currency,
        "unit": req.unit,
        "description": req.description,
        "place": "",
        "issue_area": req.issue_area.slug if req.issue_area else "",
        "visibility": req.visibility,
        "urgency": str(req.urgency),
        "needed_by": req.needed_by.isoformat() if req.needed_by else "",
        "campaign": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def pledged(cast, req, key="oakland", amount=10):
    return services.pledge_make(
        user=cast.admins[key], request=req, organization=cast.helpers[key], amount=Decimal(amount)
    )


def test_the_requesting_groups_admin_changes_every_field_and_it_is_audited(cast, organizer):
    req = ask(cast, organizer)
    client = client_for(organizer)
    page = client.get(f"/solidarity/requests/{req.pk}/edit/")
    assert page.status_code == 200 and b"Volunteers for the eviction defence" in page.content
    due = date.today() + timedelta(days=10)
    response = client.post(
        f"/solidarity/requests/{req.pk}/edit/",
        form_of(
            req,
            title="Money for the legal defence",
            kind="money",
            quantity="3000",
            currency="usd",
            unit="",
            description="Court fees",
            needed_by=due.isoformat(),
            urgency="3",
            visibility="coalitions",
            sensitive="on",
            money_link="https://example.org/give",
            contact_name="Ada",
            contact_email="ada@example.org",
        ),
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.title, req.kind, req.quantity, req.currency) == (
        "Money for the legal defence",
        "money",
        Decimal(3000),
        "USD",
    )
    assert req.needed_by == due and req.due_on == due and req.urgency == 3
    assert req.sensitive and req.visibility == "coalitions" and req.contact_name == "Ada"
    event = AuditEvent.objects.get(action="solidarity.request_update")
    assert event.data["kind"] == ["volunteers", "money"]
    assert event.data["quantity"] == ["40.00", "3000"]
    # Private contact details are logged as changed, never by value.
    assert event.data["contact_email"] == ["…", "…"]


def test_a_change_to_what_is_asked_tells_the_pledging_groups(cast, organizer):
    req = ask(cast, organizer)
    pledged(cast, req)
    services.request_update(
        user=organizer, **{**_fields(req), "quantity": Decimal(30), "request": req}
    )
    told = Notice.objects.filter(user=cast.admins["oakland"], text__contains="changed")
    assert told.count() == 1
    assert not Notice.objects.filter(user=cast.admins["nyc"], text__contains="changed").exists()
    # A change of wording only (not what or how much) does not.
    services.request_update(
        user=organizer, **{**_fields(req), "description": "Bring boots", "request": req}
    )
    assert told.count() == 1


def _fields(req):
    req.refresh_from_db()
    return {
        "title": req.title,
        "kind": req.kind,
        "quantity": req.quantity,
        "unit": req.unit,
        "issue_area": req.issue_area,
        "urgency": req.urgency,
        "visibility": req.visibility,
    }


def test_it_will_not_cut_below_what_is_pledged_without_being_told(cast, organizer):
    req = ask(cast, organizer)
    pledged(cast, req, "oakland", 10)
    pledged(cast, req, "nyc", 15)
    with pytest.raises(ValidationError) as refused:
        services.request_update(
            user=organizer, **{**_fields(req), "quantity": Decimal(20), "request": req}
        )
    assert "already pledged 25" in str(refused.value)
    response = client_for(organizer).post(
        f"/solidarity/requests/{req.pk}/edit/", form_of(req, quantity="20")
    )
    assert response.status_code == 400 and b"already pledged" in response.content
    req.refresh_from_db()
    assert req.quantity == Decimal(40)
    response = client_for(organizer).post(
        f"/solidarity/requests/{req.pk}/edit/",
        form_of(req, quantity="20", below_pledged_ok="on"),
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.quantity == Decimal(20) and req.pledged == Decimal(25) and req.cut_below_pledged
    # The pledges stand, their groups were told, and nothing more is taken.
    assert Pledge.objects.filter(request=req, state=PledgeState.PLEDGED).count() == 2
    assert Notice.objects.filter(user=cast.admins["nyc"], text__contains="changed").exists()
    with pytest.raises(ValidationError):
        pledged(cast, req, "portland", 1)


def test_a_cut_to_what_was_received_is_refused_too(cast, organizer):
    req = ask(cast, organizer)
    p = pledged(cast, req, "oakland", 10)
    services.pledge_deliver(user=cast.admins["oakland"], pledge=p)
    services.pledge_confirm(user=organizer, pledge=p)
    with pytest.raises(ValidationError):
        services.request_update(
            user=organizer, **{**_fields(req), "quantity": Decimal(5), "request": req}
        )


def test_outsiders_and_other_groups_cannot_change_it(cast, organizer, outsider):
    req = ask(cast, organizer)
    private = ask(cast, organizer, title="Members only", visibility="coalitions")
    for user in (outsider, cast.admins["nyc"]):
        with pytest.raises(PermissionDenied):
            services.request_update(user=user, request=req, **_fields(req))
        assert client_for(user).get(f"/solidarity/requests/{req.pk}/edit/").status_code == 403
        assert (
            client_for(user).post(f"/solidarity/requests/{req.pk}/edit/", form_of(req)).status_code
            == 403
        )
    # A private request is not even there for an outsider.
    assert client_for(outsider).get(f"/solidarity/requests/{private.pk}/edit/").status_code == 404
    assert client_for().get(f"/solidarity/requests/{req.pk}/edit/").status_code == 302
    assert client_for(organizer).put(f"/solidarity/requests/{req.pk}/edit/").status_code == 405
    req.refresh_from_db()
    assert req.title == "Volunteers for the eviction defence"
    # The page offers the change only to the requesting group.
    assert b"Change this request" not in client_for(outsider).get(req.get_absolute_url()).content
    assert b"Change this request" in client_for(organizer).get(req.get_absolute_url()).content


def test_a_request_never_moves_to_another_group(cast, organizer):
    req = ask(cast, organizer)
    with pytest.raises(PermissionDenied):
        services.request_update(
            user=organizer, request=req, organization=cast.stranger, **_fields(req)
        )


def test_closing_says_why_and_ends_live_pledges(cast, organizer):
    req = ask(cast, organizer)
    pledged(cast, req)
    client = client_for(cast.admins["nyc"])
    assert client.post(f"/solidarity/requests/{req.pk}/close/", {"state": "met"}).status_code == 403
    response = client_for(organizer).post(
        f"/solidarity/requests/{req.pk}/close/", {"state": "met", "note": "We are covered"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == NeedState.MET
    assert Pledge.objects.get(request=req).state == PledgeState.NOT_NEEDED
    # Closed, it can no longer be changed.
    assert client_for(organizer).get(f"/solidarity/requests/{req.pk}/edit/").status_code == 302
    with pytest.raises(ValidationError):
        services.request_update(user=organizer, request=req, **_fields(req))


def test_an_offers_group_changes_it_and_outsiders_cannot(cast, outsider):
    oakland = cast.admins["oakland"]
    offer = services.offer_create(
        user=oakland,
        organization=cast.helpers["oakland"],
        title="Van on weekends",
        kind="transport",
    )
    client = client_for(oakland)
    assert client.get(f"/solidarity/offers/{offer.pk}/edit/").status_code == 200
    response = client.post(
        f"/solidarity/offers/{offer.pk}/edit/",
        {
            "organization": str(offer.organization_id),
            "title": "Van and driver on weekends",
            "kind": "transport",
            "visibility": "public",
            "remote": "",
            "one_off": "on",
            "available_from": date.today().isoformat(),
            "available_until": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.title == "Van and driver on weekends" and offer.one_off
    assert AuditEvent.objects.filter(action="solidarity.offer_update").exists()
    assert client_for(outsider).get(f"/solidarity/offers/{offer.pk}/edit/").status_code == 403
    assert (
        client_for(outsider)
        .post(f"/solidarity/offers/{offer.pk}/edit/", {"title": "Mine now"})
        .status_code
        == 403
    )
    offer.refresh_from_db()
    assert offer.title == "Van and driver on weekends"
    assert SupportRequest.objects.count() == 0
