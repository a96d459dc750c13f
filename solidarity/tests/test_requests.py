"""Requests and offers: who may post them, and who may see them."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from solidarity import permissions, selectors, services
from solidarity.models import SupportRequest
from solidarity.tests.conftest import ask

pytestmark = pytest.mark.django_db


def test_it_lets_a_groups_admin_ask_for_help_in_its_name(cast, organizer):
    req = ask(cast, organizer, needed_by=None)
    assert req.organization == cast.jackson
    assert req.place == cast.places["jackson"]  # the group's own place when none is given
    assert req.place_lft == cast.places["jackson"].lft
    assert AuditEvent.objects.filter(action="solidarity.request_create", target_id=str(req.pk))


def test_it_refuses_a_request_from_someone_who_does_not_administer_the_group(cast, outsider):
    with pytest.raises(PermissionDenied):
        ask(cast, outsider)
    assert not SupportRequest.objects.exists()


def test_it_asks_money_requests_for_a_currency(cast, organizer):
    with pytest.raises(ValidationError) as err:
        ask(cast, organizer, kind="money", quantity=Decimal(3000), currency="")
    assert "currency" in err.value.message_dict
    req = ask(cast, organizer, kind="money", quantity=Decimal(3000), currency="usd")
    assert req.currency == "USD"


def test_it_refuses_a_sensitive_request_that_would_be_public(cast, organizer):
    with pytest.raises(ValidationError) as err:
        ask(cast, organizer, sensitive=True, visibility="public")
    assert "visibility" in err.value.message_dict


def test_it_wants_named_groups_for_a_request_shown_only_to_named_groups(cast, organizer):
    with pytest.raises(ValidationError):
        ask(cast, organizer, visibility="named")


def test_it_shows_a_public_request_to_anyone(cast, organizer, outsider):
    req = ask(cast, organizer)
    assert permissions.can_see(AnonymousUser(), req)
    assert permissions.can_see(outsider, req)
    assert req in selectors.public_requests()


def test_it_shows_a_coalition_request_only_to_groups_in_its_coalitions(cast, organizer, outsider):
    req = ask(cast, organizer, visibility="coalitions")
    assert permissions.can_see(cast.admins["oakland"], req)
    assert permissions.can_see(organizer, req)
    assert not permissions.can_see(outsider, req)
    assert not permissions.can_see(AnonymousUser(), req)
    assert req not in selectors.public_requests()


def test_it_shows_a_named_request_only_to_the_named_groups(cast, organizer):
    req = ask(cast, organizer, visibility="named", visible_to=[cast.helpers["nyc"]])
    assert permissions.can_see(cast.admins["nyc"], req)
    assert not permissions.can_see(cast.admins["oakland"], req)


def test_it_never_publishes_a_sensitive_request(cast, organizer):
    req = ask(cast, organizer, sensitive=True, visibility="coalitions", title="House a family")
    assert req not in selectors.public_requests()
    assert not permissions.can_see(AnonymousUser(), req)
    assert permissions.can_see(cast.admins["portland"], req)


def test_it_lets_a_group_offer_help_and_withdraw_it(cast):
    admin = cast.admins["oakland"]
    offer = services.offer_create(
        user=admin, organization=cast.helpers["oakland"], title="Movers", kind="volunteers"
    )
    assert offer.place == cast.places["oakland"]
    with pytest.raises(PermissionDenied):
        services.offer_withdraw(user=cast.admins["nyc"], offer=offer)
    services.offer_withdraw(user=admin, offer=offer)
    offer.refresh_from_db()
    assert not offer.active


def test_it_refuses_an_offer_that_ends_before_it_starts(cast):
    from datetime import date

    with pytest.raises(ValidationError):
        services.offer_create(
            user=cast.admins["oakland"],
            organization=cast.helpers["oakland"],
            title="Van",
            kind="transport",
            available_from=date(2030, 5, 2),
            available_until=date(2030, 5, 1),
        )
