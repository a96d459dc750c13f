"""Membership steps carry messages, notify the other side's admins and are audited."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from coalitions import notices, services
from coalitions.models import CoalitionLevel, CoalitionProfile, MembershipStatus, Notice
from directory.models import OrganizationKind


def texts(user):
    return [n.text for n in notices.notices_for_user(user)]


def test_it_tells_the_coalition_admins_of_a_request_by_notice_and_mail(cast, organizer, member):
    services.membership_request(
        user=organizer, coalition=cast.coalition, member=cast.group, message="We organize renters."
    )
    assert texts(member) == ["Portland Tenants Union asks to join Oregon Housing Coalition."]
    assert texts(organizer) == []
    assert [m.to for m in mail.outbox] == [["member@example.org"]]
    assert "We organize renters." in mail.outbox[0].body


def test_it_tells_the_asking_side_of_the_answer_with_its_message(cast, organizer, member):
    m = services.membership_request(user=member, coalition=cast.coalition, member=cast.group)
    assert texts(organizer) == [
        "Oregon Housing Coalition invites Portland Tenants Union to join it."
    ]
    services.membership_decline(user=organizer, membership=m, message="Not this year.")
    assert texts(member)[0].startswith("Portland Tenants Union declined")
    m.refresh_from_db()
    assert m.answer == "Not this year."
    event = AuditEvent.objects.filter(action="membership.declined").get()
    assert event.data["note"] == "Not this year."


def test_it_lets_only_the_coalition_remove_a_member_and_asks_why(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=m)
    with pytest.raises(PermissionDenied):
        services.membership_remove(user=organizer, membership=m, reason="x")
    with pytest.raises(ValidationError) as info:
        services.membership_remove(user=member, membership=m, reason="  ")
    assert "reason" in info.value.message_dict
    m = services.membership_remove(user=member, membership=m, reason="Inactive for a year.")
    assert m.status == MembershipStatus.REMOVED
    assert (
        texts(organizer)[0]
        == "Oregon Housing Coalition removed Portland Tenants Union from its members."
    )
    assert AuditEvent.objects.filter(action="membership.removed").exists()


def test_it_tells_the_coalition_when_a_member_leaves(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=m)
    Notice.objects.all().delete()
    services.membership_leave(user=organizer, membership=m, message="Thanks for everything.")
    assert texts(member) == [
        "Portland Tenants Union is no longer a member of Oregon Housing Coalition."
    ]


def test_it_explains_a_refused_cycle_with_the_chain(cast, member, outsider):
    services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    with pytest.raises(ValidationError) as info:
        services.membership_request(user=member, coalition=cast.coalition, member=cast.alliance)
    message = info.value.message_dict["member"][0]
    assert "Cascadia Confederation → Oregon Housing Coalition" in message
    assert "inside itself" in message


def test_it_refuses_overlong_messages(cast, organizer):
    with pytest.raises(ValidationError):
        services.membership_request(
            user=organizer, coalition=cast.coalition, member=cast.group, message="x" * 2001
        )


def test_it_starts_a_coalition_with_founders_and_invitations(cast, places, organizer, outsider):
    coalition = services.coalition_start(
        user=organizer,
        name="Portland Renters Alliance",
        level=CoalitionLevel.CITY,
        span=places["portland"],
        issue_areas=["housing"],
        founding_members=[cast.group],
        invitees=[cast.other_group],
        message="Join us",
    )
    assert coalition.kind == OrganizationKind.COALITION
    assert coalition.home_place == places["portland"]
    assert CoalitionProfile.objects.get(organization=coalition).level == "city"
    statuses = dict(coalition.member_links.values_list("member__name", "status"))
    assert statuses == {"Portland Tenants Union": "active", "Salem Food Share": "invited"}
    assert texts(outsider) == ["Portland Renters Alliance invites Salem Food Share to join it."]
    assert AuditEvent.objects.filter(action="coalition.start").exists()


def test_it_keeps_a_region_as_the_span_without_a_home(places, organizer):
    coalition = services.coalition_start(
        user=organizer, name="Cascadia Commons", level="bioregion", span=places["cascadia"]
    )
    assert coalition.home_place is None
    assert CoalitionProfile.objects.get(organization=coalition).span == places["cascadia"]


def test_it_refuses_someone_elses_group_as_founder(cast, places, organizer):
    with pytest.raises(PermissionDenied):
        services.coalition_start(
            user=organizer,
            name="Grab",
            level="city",
            span=places["portland"],
            founding_members=[cast.other_group],
        )


def test_it_marks_only_ones_own_notices_read(cast, organizer, member):
    services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_request(user=member, coalition=cast.alliance, member=cast.group)
    assert notices.notices_mark_read(user=organizer) == 1
    assert notices.notices_for_user(member).filter(read_at=None).count() == 1


def test_it_says_a_pending_ask_was_withdrawn(cast, organizer, member):
    m = services.membership_request(user=member, coalition=cast.coalition, member=cast.group)
    services.membership_leave(user=member, membership=m)
    assert texts(organizer)[0] == (
        "Oregon Housing Coalition withdrew the ask for Portland Tenants Union to join "
        "Oregon Housing Coalition."
    )


def test_it_keeps_the_step_and_the_mail_when_the_mail_server_is_down(
    cast, organizer, member, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    from commonweal.tests.smtpsink import free_port, relay_to
    from outbox.models import OutboxMessage

    settings.MAILERS, settings.OUTBOX_DIR = relay_to(free_port()), tmp_path
    client = Client()
    client.force_login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("coalitions:join", args=[cast.coalition.slug]), {"group": cast.group.pk}
        )
    assert response.status_code == 302
    assert texts(member) == ["Portland Tenants Union asks to join Oregon Housing Coalition."]
    kept = OutboxMessage.objects.get(recipient="member@example.org")
    assert kept.subject == "Portland Tenants Union asks to join Oregon Housing Coalition."
    assert kept.sent_at is None
