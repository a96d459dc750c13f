"""Pledge → delivered → confirmed, with partial delivery and the other first-class endings."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from solidarity import selectors, services
from solidarity.models import NeedState, Pledge, PledgeState, SupportRequest
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def pledge(cast, key, req, amount, **extra):
    return services.pledge_make(
        user=cast.admins[key],
        request=req,
        organization=cast.helpers[key],
        amount=Decimal(amount),
        **extra,
    )


def fresh(req):
    return SupportRequest.objects.get(pk=req.pk)


def test_it_takes_pledges_and_counts_them(cast, organizer):
    req = ask(cast, organizer)
    pledge(cast, "oakland", req, 15)
    pledge(cast, "portland", req, 10)
    req = fresh(req)
    assert req.pledged == 25 and req.pledge_count == 2 and req.remaining == 15


def test_it_refuses_pledges_beyond_what_was_asked(cast, organizer):
    req = ask(cast, organizer)
    pledge(cast, "oakland", req, 30)
    with pytest.raises(ValidationError) as err:
        pledge(cast, "portland", req, 11)
    assert "10" in str(err.value.message_dict["amount"])
    assert fresh(req).pledged == 30


def test_it_takes_pledges_beyond_the_ask_when_the_requester_allows_it(cast, organizer):
    req = ask(cast, organizer, allow_over=True)
    pledge(cast, "oakland", req, 30)
    pledge(cast, "portland", req, 30)
    assert fresh(req).pledged == 60


def test_it_refuses_a_pledge_in_the_name_of_a_group_one_does_not_administer(cast, organizer):
    req = ask(cast, organizer)
    with pytest.raises(PermissionDenied):
        services.pledge_make(
            user=cast.admins["nyc"],
            request=req,
            organization=cast.helpers["oakland"],
            amount=Decimal(1),
        )


def test_it_refuses_a_pledge_from_a_group_the_request_is_not_shared_with(cast, organizer, outsider):
    req = ask(cast, organizer, visibility="coalitions")
    with pytest.raises(PermissionDenied):
        services.pledge_make(
            user=outsider, request=req, organization=cast.stranger, amount=Decimal(1)
        )


def test_it_refuses_a_group_pledging_to_itself(cast, organizer):
    req = ask(cast, organizer)
    with pytest.raises(ValidationError):
        services.pledge_make(
            user=organizer, request=req, organization=cast.jackson, amount=Decimal(1)
        )


def test_it_counts_a_delivery_only_once_the_requester_confirms_it(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 15)
    services.pledge_deliver(user=cast.admins["oakland"], pledge=p)
    assert fresh(req).received == 0
    p = services.pledge_confirm(user=organizer, pledge=p)
    assert p.state == PledgeState.CONFIRMED
    req = fresh(req)
    assert req.received == 15 and req.pledged == 15
    assert AuditEvent.objects.filter(action="solidarity.pledge_confirm").count() == 1


def test_it_records_a_partial_delivery_and_frees_the_rest_for_others(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 40)
    services.pledge_deliver(user=cast.admins["oakland"], pledge=p, amount=Decimal(25))
    p = services.pledge_confirm(user=organizer, pledge=p, amount=Decimal(25))
    assert p.state == PledgeState.PARTIAL
    req = fresh(req)
    assert (req.pledged, req.received) == (25, 25)
    pledge(cast, "portland", req, 15)  # the 15 not delivered can be pledged again
    assert fresh(req).pledged == 40


def test_it_marks_a_request_met_once_everything_is_received(cast, organizer):
    req = ask(cast, organizer, quantity=Decimal(10))
    p = pledge(cast, "oakland", req, 10)
    services.pledge_confirm(user=organizer, pledge=p)
    assert fresh(req).state == NeedState.MET


def test_it_refuses_the_pledger_confirming_its_own_delivery(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    with pytest.raises(PermissionDenied):
        services.pledge_confirm(user=cast.admins["oakland"], pledge=p)


def test_it_refuses_the_requester_marking_a_delivery_for_the_pledger(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    with pytest.raises(PermissionDenied):
        services.pledge_deliver(user=organizer, pledge=p)


def test_it_refuses_delivering_more_than_was_pledged(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    with pytest.raises(ValidationError):
        services.pledge_deliver(user=cast.admins["oakland"], pledge=p, amount=Decimal(11))


def test_it_lets_a_pledger_say_it_could_not_deliver(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    p = services.pledge_could_not(user=cast.admins["oakland"], pledge=p, note="Van broke down")
    assert p.state == PledgeState.COULD_NOT
    assert fresh(req).pledged == 0
    with pytest.raises(ValidationError):
        services.pledge_deliver(user=cast.admins["oakland"], pledge=p)


def test_it_lets_a_pledger_refer_the_request_to_another_group(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    p = services.pledge_refer(
        user=cast.admins["oakland"], pledge=p, to=cast.helpers["portland"], note="Closer to you"
    )
    assert p.state == PledgeState.REFERRED and p.referred_to == cast.helpers["portland"]
    assert fresh(req).pledged == 0
    with pytest.raises(PermissionDenied):
        services.pledge_refer(user=organizer, pledge=p, to=cast.helpers["nyc"])


def test_it_lets_the_requester_say_a_pledge_is_no_longer_needed(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    with pytest.raises(PermissionDenied):
        services.pledge_not_needed(user=cast.admins["oakland"], pledge=p)
    p = services.pledge_not_needed(user=organizer, pledge=p)
    assert p.state == PledgeState.NOT_NEEDED and fresh(req).pledged == 0


def test_it_closes_a_request_and_releases_its_open_pledges(cast, organizer):
    req = ask(cast, organizer)
    p = pledge(cast, "oakland", req, 10)
    with pytest.raises(PermissionDenied):
        services.request_close(user=cast.admins["oakland"], request=req)
    services.request_close(user=organizer, request=req)
    assert fresh(req).state == NeedState.NOT_NEEDED
    assert Pledge.objects.get(pk=p.pk).state == PledgeState.NOT_NEEDED
    with pytest.raises(ValidationError):
        pledge(cast, "portland", req, 1)


def test_it_reveals_contacts_only_after_both_sides_agree(cast, organizer):
    req = ask(cast, organizer, contact_name="Dee", contact_email="dee@jackson.example")
    helper = cast.admins["oakland"]
    assert selectors.request_contact_for_user(helper, req) is None
    p = pledge(cast, "oakland", req, 10, contact_email="van@oakland.example")
    assert selectors.request_contact_for_user(helper, req) is None  # pledged, not yet accepted
    with pytest.raises(PermissionDenied):
        services.pledge_accept(user=helper, pledge=p)
    services.pledge_accept(user=organizer, pledge=p)
    contact = selectors.request_contact_for_user(helper, req)
    assert contact is not None and contact["contact_email"] == "dee@jackson.example"
    assert selectors.request_contact_for_user(cast.admins["nyc"], req) is None


def test_it_records_money_pledged_never_held(cast, organizer):
    req = ask(
        cast,
        organizer,
        kind="money",
        quantity=Decimal(3000),
        currency="USD",
        money_link="https://give.example.org/jackson",
    )
    p = pledge(cast, "nyc", req, "1200.50")
    assert p.amount == Decimal("1200.50") and fresh(req).currency == "USD"
    assert fresh(req).money_link == "https://give.example.org/jackson"
