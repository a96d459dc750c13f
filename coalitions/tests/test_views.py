"""Every coalition page: the normal case, the wrong method, and an outsider refused."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import RegionalCoordinator
from coalitions import services
from coalitions.models import CoalitionProfile, Membership, MembershipStatus
from coalitions.selectors import has_service_areas
from directory.models import Organization, OrganizationAdmin

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def joined(cast, organizer, member) -> Membership:
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    return services.membership_accept(user=member, membership=m)


# Starting a coalition ----------------------------------------------------------------------


def test_it_starts_a_coalition_from_the_page(cast, places, organizer, outsider):
    client = signed_in(organizer)
    assert client.get(reverse("coalitions:start")).status_code == 200
    response = client.post(
        reverse("coalitions:start"),
        {
            "name": "Portland Renters Alliance",
            "level": "city",
            "place": "Portland",
            "issue_areas": ["housing"],
            "founding_members": [cast.group.pk],
            "invite": "salem food share",
            "message": "Join us",
        },
    )
    coalition = Organization.objects.get(name="Portland Renters Alliance")
    assert response.status_code == 302
    assert response["Location"] == reverse("coalitions:detail", args=[coalition.slug])
    assert CoalitionProfile.objects.get(organization=coalition).span == places["portland"]
    assert Membership.objects.get(coalition=coalition, member=cast.other_group).status == "invited"


def test_it_names_an_unknown_place_and_group_when_starting(cast, organizer):
    response = signed_in(organizer).post(
        reverse("coalitions:start"),
        {"name": "X", "level": "city", "place": "Atlantis", "invite": "Nobody Here"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "place" in errors and "invite" in errors


def test_it_refuses_someone_elses_group_as_a_founder_on_the_page(cast, organizer):
    response = signed_in(organizer).post(
        reverse("coalitions:start"),
        {
            "name": "X",
            "level": "city",
            "place": "Portland",
            "founding_members": [cast.other_group.pk],
        },
    )
    # Only the starter's own groups are offered, so another's is not a valid choice.
    errors = response.context["form"].errors
    assert response.status_code == 400 and list(errors) == ["founding_members"]


def test_it_sends_visitors_to_sign_in_before_starting(client):
    response = client.get(reverse("coalitions:start"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_refuses_other_methods_to_start(organizer):
    assert signed_in(organizer).put(reverse("coalitions:start")).status_code == 405


# The coalition's page ----------------------------------------------------------------------


def test_it_shows_a_coalitions_page_with_members_graph_and_gaps(
    client, cast, joined, member, places
):
    services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    response = client.get(reverse("coalitions:detail", args=[cast.coalition.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert [o.name for o in response.context["members"].items] == ["Portland Tenants Union"]
    assert [o.name for o in response.context["above"]] == ["Cascadia Confederation"]
    coverage = response.context["coverage"]
    assert [(row.place.name, row.count) for row in coverage.covered] == [("Multnomah County", 1)]
    assert coverage.gaps == []
    assert "<svg" in body and "Cascadia Confederation" in body
    assert reverse("coalitions:coordinators") + f"?place={places['oregon'].slug}" in body


def test_it_lists_the_places_where_a_coalition_has_no_member(client, cast, joined, places):
    response = client.get(reverse("coalitions:detail", args=[cast.alliance.slug]))
    # The alliance spans the world and has no member: every country is a gap.
    assert {p.name for p in response.context["coverage"].gaps} == {"United States", "Canada"}


def test_it_counts_members_based_in_the_area_itself(client, cast, organizer, places):
    city = services.coalition_start(
        user=organizer,
        name="Portland Alliance",
        level="city",
        span=places["portland"],
        founding_members=[cast.group],
    )
    coverage = client.get(reverse("coalitions:detail", args=[city.slug])).context["coverage"]
    assert (coverage.at_span, coverage.outside, coverage.has_sub_places) == (1, 0, False)


def test_it_counts_the_issue_mix_of_the_members(client, cast, joined, organizer):
    from directory.services import organization_set_issue_areas

    organization_set_issue_areas(user=organizer, organization=cast.group, issue_areas=["housing"])
    response = client.get(reverse("coalitions:detail", args=[cast.coalition.slug]))
    assert [(r.area.slug, r.count, r.percent) for r in response.context["issue_mix"]] == [
        ("housing", 1, 100)
    ]


def test_it_serves_the_members_map_points(client, cast, joined):
    response = client.get(reverse("coalitions:members_map", args=[cast.coalition.slug]))
    assert [p["name"] for p in response.json()["points"]] == ["Portland Tenants Union"]
    assert response.json()["served"] == []


def test_it_hides_a_hidden_coalition_from_outsiders(client, cast, outsider, member):
    Organization.objects.filter(pk=cast.coalition.pk).update(is_hidden=True)
    url = reverse("coalitions:detail", args=[cast.coalition.slug])
    assert signed_in(outsider).get(url).status_code == 404
    assert signed_in(member).get(url).status_code == 200


def test_it_has_no_coalition_page_for_a_plain_group(client, cast):
    assert client.get(reverse("coalitions:detail", args=[cast.group.slug])).status_code == 404


def test_it_refuses_other_methods_on_the_page(client, cast):
    assert client.post(reverse("coalitions:detail", args=[cast.coalition.slug])).status_code == 405
    assert (
        client.post(reverse("coalitions:members_map", args=[cast.coalition.slug])).status_code
        == 405
    )


# Joining and inviting ----------------------------------------------------------------------


def test_it_lets_a_groups_admin_ask_to_join(cast, organizer, member):
    client = signed_in(organizer)
    url = reverse("coalitions:join", args=[cast.coalition.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"group": cast.group.pk, "message": "Hello"})
    assert response.status_code == 302
    m = Membership.objects.get(coalition=cast.coalition, member=cast.group)
    assert (m.status, m.message) == ("requested", "Hello")


def test_it_refuses_a_join_from_someone_with_no_group(cast, site_coordinator):
    url = reverse("coalitions:join", args=[cast.coalition.slug])
    assert signed_in(site_coordinator).get(url).status_code == 403


def test_it_refuses_asking_for_a_group_one_does_not_run(cast, organizer):
    url = reverse("coalitions:join", args=[cast.coalition.slug])
    response = signed_in(organizer).post(url, {"group": cast.other_group.pk})
    assert response.status_code == 400
    assert not Membership.objects.filter(member=cast.other_group).exists()


def test_it_explains_a_cycle_on_the_join_page(cast, member):
    services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    url = reverse("coalitions:join", args=[cast.coalition.slug])
    response = signed_in(member).post(url, {"group": cast.alliance.pk})
    assert response.status_code == 400
    assert "inside itself" in response.content.decode()


def test_it_lets_the_coalition_invite_a_group_by_name(cast, member, organizer):
    url = reverse("coalitions:invite", args=[cast.coalition.slug])
    client = signed_in(member)
    assert client.get(url).status_code == 200
    assert client.post(url, {"group": "Portland Tenants Union"}).status_code == 302
    assert Membership.objects.get(member=cast.group).status == "invited"


def test_it_refuses_invitations_from_outsiders(cast, outsider):
    url = reverse("coalitions:invite", args=[cast.coalition.slug])
    assert signed_in(outsider).get(url).status_code == 403
    assert signed_in(outsider).post(url, {"group": cast.group.slug}).status_code == 403
    assert not Membership.objects.exists()


def test_it_refuses_other_methods_to_join_and_invite(cast, member):
    client = signed_in(member)
    assert client.delete(reverse("coalitions:join", args=[cast.alliance.slug])).status_code == 405
    assert (
        client.delete(reverse("coalitions:invite", args=[cast.coalition.slug])).status_code == 405
    )


# Answering, leaving, removing --------------------------------------------------------------


def test_it_lets_the_asked_side_accept_with_a_message(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    client = signed_in(member)
    page = client.get(reverse("coalitions:membership", args=[m.pk]))
    assert page.status_code == 200 and page.context["answering"]
    response = client.post(
        reverse("coalitions:answer", args=[m.pk]), {"decision": "accept", "message": "Welcome"}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.status, m.answer) == ("active", "Welcome")


def test_it_refuses_the_answer_of_the_side_that_asked(cast, organizer):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    response = signed_in(organizer).post(
        reverse("coalitions:answer", args=[m.pk]), {"decision": "accept"}
    )
    assert response.status_code == 403


def test_it_hides_a_pending_membership_from_outsiders(cast, organizer, outsider):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    client = signed_in(outsider)
    assert client.get(reverse("coalitions:membership", args=[m.pk])).status_code == 404
    assert (
        client.post(reverse("coalitions:answer", args=[m.pk]), {"decision": "accept"}).status_code
        == 404
    )
    assert client.post(reverse("coalitions:leave", args=[m.pk])).status_code == 404


def test_it_lets_a_member_leave_from_the_page(cast, joined, organizer):
    response = signed_in(organizer).post(
        reverse("coalitions:leave", args=[joined.pk]), {"message": "Bye"}
    )
    assert response.status_code == 302
    joined.refresh_from_db()
    assert joined.status == MembershipStatus.LEFT


def test_it_lets_the_coalition_remove_a_member_with_a_reason(cast, joined, member, outsider):
    url = reverse("coalitions:remove", args=[joined.pk])
    assert signed_in(outsider).post(url, {"reason": "x"}).status_code == 403
    assert signed_in(member).post(url, {"reason": ""}).status_code == 400
    assert signed_in(member).post(url, {"reason": "Inactive"}).status_code == 302
    joined.refresh_from_db()
    assert (joined.status, joined.answer) == ("removed", "Inactive")


def test_it_refuses_other_methods_for_membership_steps(cast, joined, organizer):
    client = signed_in(organizer)
    assert client.post(reverse("coalitions:membership", args=[joined.pk])).status_code == 405
    for name in ("answer", "leave", "remove"):
        assert client.get(reverse(f"coalitions:{name}", args=[joined.pk])).status_code == 405


# Notices -----------------------------------------------------------------------------------


def test_it_lists_notices_and_what_awaits_an_answer(cast, organizer, member):
    services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    response = signed_in(member).get(reverse("coalitions:notices"))
    assert response.status_code == 200
    assert len(response.context["notices"]) == 1 and len(response.context["awaiting"]) == 1
    assert signed_in(member).post(reverse("coalitions:notices_read")).status_code == 302
    assert signed_in(member).get(reverse("coalitions:notices")).context["notices"][0].read_at


def test_it_shows_an_outsider_no_one_elses_notices(cast, organizer, outsider, client):
    services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    assert signed_in(outsider).get(reverse("coalitions:notices")).context["notices"] == []
    assert client.get(reverse("coalitions:notices")).status_code == 302


def test_it_refuses_other_methods_for_notices(member):
    assert signed_in(member).post(reverse("coalitions:notices")).status_code == 405
    assert signed_in(member).get(reverse("coalitions:notices_read")).status_code == 405


# Co-admins ---------------------------------------------------------------------------------


def test_it_invites_a_co_admin_by_email_who_accepts(cast, organizer, member, outsider):
    client = signed_in(organizer)
    url = reverse("coalitions:admins", args=[cast.group.slug])
    assert client.get(url).status_code == 200
    assert client.post(url, {"email": "outsider@example.org"}).status_code == 302
    found = re.search(r"(/coalitions/admins/join/\S+/)", str(mail.outbox[-1].body))
    assert found is not None
    link = found.group(1)
    # Someone else signed in cannot use the link.
    assert signed_in(member).get(link).context["is_for_you"] is False
    assert signed_in(member).post(link).status_code == 403
    invited = signed_in(outsider)
    assert invited.get(link).context["is_for_you"] is True
    assert invited.post(link).status_code == 302
    assert OrganizationAdmin.objects.filter(organization=cast.group, user=outsider).exists()


def test_it_refuses_a_forged_invitation(cast, outsider):
    url = reverse("coalitions:admin_join", args=["not-a-token"])
    response = signed_in(outsider).get(url)
    assert response.status_code == 400
    assert signed_in(outsider).post(url).status_code == 400


def test_it_keeps_the_admin_page_to_admins(cast, outsider):
    url = reverse("coalitions:admins", args=[cast.group.slug])
    assert signed_in(outsider).get(url).status_code == 403
    assert signed_in(outsider).post(url, {"email": "x@example.org"}).status_code == 403


def test_it_refuses_other_methods_for_admins(cast, organizer):
    assert (
        signed_in(organizer)
        .delete(reverse("coalitions:admins", args=[cast.group.slug]))
        .status_code
        == 405
    )


# Regional coordinators ---------------------------------------------------------------------


def test_it_appoints_a_regional_coordinator_by_place_name(places, site_coordinator, member):
    client = signed_in(site_coordinator)
    assert client.get(reverse("coalitions:coordinators")).context["appoint_form"] is not None
    response = client.post(
        reverse("coalitions:appoint"), {"email": "member@example.org", "place": "Cascadia"}
    )
    assert response.status_code == 302
    role = RegionalCoordinator.objects.get(user=member)
    assert role.place == places["cascadia"]
    # Anyone sees who coordinates a place inside the region.
    answer = Client().get(reverse("coalitions:coordinators"), {"place": "Portland"})
    assert [(p.name, [r.user for r in people]) for p, people in answer.context["answers"]] == [
        ("Portland", [member])
    ]


def test_it_names_an_unknown_place_or_person_when_appointing(places, site_coordinator):
    client = signed_in(site_coordinator)
    response = client.post(
        reverse("coalitions:appoint"), {"email": "nobody@example.org", "place": "Atlantis"}
    )
    assert response.status_code == 400
    assert "place" in response.context["appoint_form"].errors
    response = client.post(
        reverse("coalitions:appoint"), {"email": "nobody@example.org", "place": "Oregon"}
    )
    assert "email" in response.context["appoint_form"].errors


def test_it_refuses_appointments_from_anyone_but_a_site_coordinator(
    places, regional_coordinator, member
):
    client = signed_in(regional_coordinator)
    assert client.get(reverse("coalitions:coordinators")).context["appoint_form"] is None
    response = client.post(
        reverse("coalitions:appoint"), {"email": "member@example.org", "place": "Oregon"}
    )
    assert response.status_code == 403
    role = RegionalCoordinator.objects.get()
    assert client.post(reverse("coalitions:coordinator_remove", args=[role.pk])).status_code == 403


def test_it_lets_a_site_coordinator_remove_an_appointment(regional_coordinator, site_coordinator):
    role = RegionalCoordinator.objects.get()
    response = signed_in(site_coordinator).post(
        reverse("coalitions:coordinator_remove", args=[role.pk])
    )
    assert response.status_code == 302 and not RegionalCoordinator.objects.exists()


def test_it_shows_a_signed_in_admin_who_coordinates_their_groups_place(
    cast, regional_coordinator, organizer
):
    response = signed_in(organizer).get(reverse("coalitions:coordinators"))
    answers = {p.name: [r.user for r in people] for p, people in response.context["answers"]}
    assert answers["Portland"] == [regional_coordinator]


def test_it_refuses_other_methods_for_coordinators(site_coordinator):
    client = signed_in(site_coordinator)
    assert client.post(reverse("coalitions:coordinators")).status_code == 405
    assert client.get(reverse("coalitions:appoint")).status_code == 405
    assert client.get(reverse("coalitions:coordinator_remove", args=[1])).status_code == 405


def test_it_links_a_listing_to_its_coalition_page_and_admins(cast, member):
    from django.urls import reverse as url_of

    body = (
        signed_in(member).get(url_of("organization", args=[cast.coalition.slug])).content.decode()
    )
    assert url_of("coalitions:detail", args=[cast.coalition.slug]) in body
    assert url_of("coalitions:admins", args=[cast.coalition.slug]) in body


def test_it_counts_unread_notices_in_the_nav(cast, organizer, member):
    services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    page = signed_in(member).get(reverse("coalitions:index")).content.decode()
    assert 'id="unread-count">1<' in page


def test_it_caps_co_admin_invitations_per_day(cast, organizer, monkeypatch):
    monkeypatch.setattr("coalitions.roles.INVITES_PER_DAY", 2)
    client = signed_in(organizer)
    url = reverse("coalitions:admins", args=[cast.group.slug])
    for n in range(2):
        assert client.post(url, {"email": f"p{n}@example.org"}).status_code == 302
    response = client.post(url, {"email": "p3@example.org"})
    assert response.status_code == 400 and "email" in response.context["form"].errors
    assert len(mail.outbox) == 2


def test_it_never_shows_a_coordinators_address_to_the_public(places, regional_coordinator, client):
    from accounts.models import User

    User.objects.filter(pk=regional_coordinator.pk).update(display_name="")
    page = client.get(reverse("coalitions:coordinators"), {"place": "Oregon"}).content.decode()
    assert regional_coordinator.email not in page
    assert "has not given a name" in page


@pytest.mark.skipif(
    not has_service_areas(), reason="listings have no service areas until the directory keeps them"
)
def test_it_shows_service_areas_and_counts_their_reach(client, cast, organizer, places):
    cast.group.service_areas.set([places["washington"]])  # type: ignore[attr-defined]
    national = services.coalition_start(
        user=organizer,
        name="US Renters",
        level="nation",
        span=places["us"],
        founding_members=[cast.group],
    )
    response = client.get(reverse("coalitions:detail", args=[national.slug]))
    assert "serves Washington" in " ".join(response.content.decode().split())
    coverage = response.context["coverage"]
    assert [(row.place.name, row.count) for row in coverage.covered] == [("Oregon", 1)]
    assert [p.name for p in coverage.served] == ["Washington"]
    assert sorted(p.name for p in coverage.gaps) == ["California", "New York"]
    served = client.get(reverse("coalitions:members_map", args=[national.slug])).json()["served"]
    assert [(p["name"], p["by"]) for p in served] == [("Washington", "Portland Tenants Union")]


def test_it_never_takes_a_raw_place_id_for_an_appointment(places, site_coordinator, member):
    client = signed_in(site_coordinator)
    raw = str(places["oregon"].pk)
    response = client.post(
        reverse("coalitions:appoint"), {"email": "member@example.org", "place": raw}
    )
    assert response.status_code == 400 and "place" in response.context["appoint_form"].errors
    assert not RegionalCoordinator.objects.exists()


def test_it_lists_the_coalitions_calls_and_only_its_public_conversations(
    client, cast, places, member
):
    from datetime import timedelta

    from django.utils import timezone

    from actions.models import CallToAction
    from commonground.models import Conversation

    soon = timezone.now() + timedelta(days=30)
    CallToAction.objects.create(
        title="Rent strike day",
        slug="rent-strike-day",
        description="…",
        starts_at=soon,
        scope=places["oregon"],
        coalition=cast.coalition,
        min_organizations=10,
        deadline=soon,
    )
    Conversation.objects.create(title="Open talk", organization=cast.coalition)
    Conversation.objects.create(title="Admins only", organization=cast.coalition, is_private=True)
    body = client.get(reverse("coalitions:detail", args=[cast.coalition.slug])).content.decode()
    assert "Rent strike day" in body and "Open talk" in body
    assert "Admins only" not in body


def test_it_keeps_the_sides_messages_between_them(cast, organizer, member, outsider):
    m = services.membership_request(
        user=organizer, coalition=cast.coalition, member=cast.group, message="Our budget is tight"
    )
    services.membership_accept(user=member, membership=m, message="Dues are waived")
    url = reverse("coalitions:membership", args=[m.pk])
    public = signed_in(outsider).get(url).content.decode()
    assert "Member" in public
    assert "budget" not in public and "waived" not in public
    own = signed_in(organizer).get(url).content.decode()
    assert "budget" in own and "waived" in own


def test_it_explains_a_cycle_on_the_invite_page(cast, member):
    # The alliance already includes the coalition; inviting the alliance into it would loop.
    services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    url = reverse("coalitions:invite", args=[cast.coalition.slug])
    response = signed_in(member).post(url, {"group": "Cascadia Confederation"})
    assert response.status_code == 400
    assert "Cascadia Confederation → Oregon Housing Coalition" in response.content.decode()


def test_it_measures_coverage_over_a_region(client, cast, organizer, places):
    bioregional = services.coalition_start(
        user=organizer,
        name="Cascadia Tenants",
        level="bioregion",
        span=places["cascadia"],
        founding_members=[cast.group],
    )
    coverage = client.get(reverse("coalitions:detail", args=[bioregional.slug])).context["coverage"]
    assert [(row.place.name, row.count) for row in coverage.covered] == [("Oregon", 1)]
    assert sorted(p.name for p in coverage.gaps) == [
        "British Columbia",
        "Humboldt County",
        "Washington",
    ]
