"""The vouching pages: the normal case, the wrong method, and outsiders refused."""

import pytest
from django.urls import reverse

from accounts.models import RegionalCoordinator, User
from directory.models import Standing
from vouching import selectors, services
from vouching.models import Admission, AssemblyBar, Bar, Vouch
from vouching.tests.conftest import Cast, member_of

pytestmark = pytest.mark.django_db


def test_it_lets_an_admin_of_a_verified_group_vouch_from_the_page(
    client, cast: Cast, member
) -> None:
    client.force_login(member)
    page = client.get(reverse("vouching:group", args=[cast.newcomer.slug]))
    assert page.status_code == 200
    assert b"Waiting for two vouches" in page.content
    response = client.post(
        reverse("vouching:vouch", args=[cast.newcomer.slug]),
        {"voucher": cast.first.pk, "reason": "We organised the rent strike together."},
    )
    assert response.status_code == 302
    assert Vouch.objects.filter(organization=cast.newcomer, voucher=cast.first).exists()


def test_it_shows_the_refusal_when_the_reason_is_missing(client, cast: Cast, member) -> None:
    client.force_login(member)
    response = client.post(
        reverse("vouching:vouch", args=[cast.newcomer.slug]),
        {"voucher": cast.first.pk, "reason": ""},
    )
    assert response.status_code == 400
    assert not Vouch.objects.exists()


def test_it_refuses_outsiders_vouching_with_someone_elses_group(
    client, cast: Cast, outsider
) -> None:
    client.force_login(outsider)
    response = client.post(
        reverse("vouching:vouch", args=[cast.newcomer.slug]),
        {"voucher": cast.first.pk, "reason": "Pretending."},
    )
    assert response.status_code in (400, 403)
    assert not Vouch.objects.exists()


def test_it_refuses_signed_out_people_everywhere(client, cast: Cast) -> None:
    gets: list[tuple[str, list[object]]] = [
        ("vouching:group", [cast.newcomer.slug]),
        ("vouching:tree", [cast.newcomer.slug]),
        ("vouching:review", []),
        ("vouching:bar", [cast.coalition.slug]),
        ("vouching:pending", []),
        ("vouching:role_grant", []),
    ]
    for name, args in gets:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/login" in response["Location"], name
    posts: list[tuple[str, list[object]]] = [
        ("vouching:vouch", [cast.newcomer.slug]),
        ("vouching:suspend", [cast.newcomer.slug]),
        ("vouching:pending_decide", [1]),
        ("vouching:review_decide", [1]),
    ]
    for name, args in posts:
        response = client.post(reverse(name, args=args), {"reason": "x", "decision": "confirm"})
        assert response.status_code == 302 and "/login" in response["Location"], name


def test_it_shows_vouches_to_coalition_admins_but_not_outsiders(
    client, cast: Cast, member, outsider
) -> None:
    services.vouch_give(
        user=member, voucher=cast.first, organization=cast.newcomer, reason="Shared a picket."
    )
    member_of(cast.coalition, cast.newcomer)
    client.force_login(member)
    page = client.get(reverse("vouching:group", args=[cast.newcomer.slug]))
    assert b"Shared a picket." in page.content
    client.force_login(outsider)
    page = client.get(reverse("vouching:group", args=[cast.newcomer.slug]))
    assert b"Shared a picket." not in page.content
    assert client.get(reverse("vouching:tree", args=[cast.newcomer.slug])).status_code == 403


def test_it_refuses_wrong_methods(client, cast: Cast, member) -> None:
    client.force_login(member)
    assert client.get(reverse("vouching:vouch", args=[cast.newcomer.slug])).status_code == 405
    assert client.post(reverse("vouching:group", args=[cast.newcomer.slug])).status_code == 405
    assert client.get(reverse("vouching:suspend", args=[cast.newcomer.slug])).status_code == 405


def test_it_lets_a_coordinator_suspend_and_shows_the_vouch_tree(
    client, cast: Cast, member, regional_coordinator, outsider
) -> None:
    services.vouch_give(user=member, voucher=cast.first, organization=cast.newcomer, reason="a")
    client.force_login(outsider)
    refused = client.post(reverse("vouching:suspend", args=[cast.first.slug]), {"reason": "x"})
    assert refused.status_code == 403
    client.force_login(regional_coordinator)
    response = client.post(
        reverse("vouching:suspend", args=[cast.first.slug]), {"reason": "Fake vouchers."}
    )
    assert response.status_code == 302
    cast.first.refresh_from_db()
    assert cast.first.standing == Standing.SUSPENDED
    tree = client.get(reverse("vouching:tree", args=[cast.first.slug]))
    assert b"Portland Newcomers" in tree.content and b"Flagged for review" in tree.content
    review = client.get(reverse("vouching:review"))
    assert b"Portland Newcomers" in review.content
    vouch = Vouch.objects.get()
    client.post(reverse("vouching:review_decide", args=[vouch.pk]), {"keep": "keep"})
    vouch.refresh_from_db()
    assert not vouch.needs_review


def test_it_lets_coalition_admins_choose_the_bar_and_admit_a_group(
    client, cast: Cast, member, organizer, outsider
) -> None:
    member_of(cast.coalition, cast.first)
    url = reverse("vouching:bar", args=[cast.coalition.slug])
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert client.post(url, {"bar": Bar.APPROVAL}).status_code == 403
    client.force_login(member)
    assert client.post(url, {"bar": Bar.APPROVAL}).status_code == 302
    assert AssemblyBar.objects.get(coalition=cast.coalition).bar == Bar.APPROVAL
    # The group already a member keeps its seat.
    assert Admission.objects.filter(member=cast.first).exists()
    member_of(cast.coalition, cast.second)
    page = client.get(url)
    assert b"Eugene Renters" in page.content
    response = client.post(url, {"member": cast.second.pk, "how": "approval", "note": "Known."})
    assert response.status_code == 302
    assert Admission.objects.filter(member=cast.second, how="approval").exists()


def test_it_walks_a_role_grant_through_the_pages(
    client, site_coordinator, member, places, outsider
) -> None:
    second = User.objects.create_user(
        "second@example.org", "a-long-passphrase", is_site_coordinator=True
    )
    client.force_login(outsider)
    assert client.get(reverse("vouching:role_grant")).status_code == 403
    assert client.get(reverse("vouching:pending")).status_code == 403
    client.force_login(site_coordinator)
    response = client.post(
        reverse("vouching:role_grant"),
        {"email": member.email, "place": "Oregon", "reason": "Runs the Oregon network."},
    )
    assert response.status_code == 302
    assert not RegionalCoordinator.objects.filter(user=member).exists()
    action = selectors.pending_for_user(site_coordinator).get()
    client.post(reverse("vouching:pending_decide", args=[action.pk]), {"decision": "confirm"})
    assert not RegionalCoordinator.objects.filter(user=member).exists()
    client.force_login(outsider)
    assert (
        client.post(
            reverse("vouching:pending_decide", args=[action.pk]), {"decision": "confirm"}
        ).status_code
        == 403
    )
    client.force_login(second)
    client.post(reverse("vouching:pending_decide", args=[action.pk]), {"decision": "confirm"})
    assert RegionalCoordinator.objects.filter(user=member, place=places["oregon"]).exists()


def test_it_shows_coalition_admins_who_vouched_for_a_group_asking_to_join(
    client, cast: Cast, member
) -> None:
    from coalitions.models import Membership, MembershipStatus

    services.vouch_give(
        user=member, voucher=cast.first, organization=cast.newcomer, reason="Shared a picket."
    )
    asked = Membership.objects.create(
        coalition=cast.coalition, member=cast.newcomer, status=MembershipStatus.REQUESTED
    )
    client.force_login(member)
    page = client.get(reverse("coalitions:membership", args=[asked.pk]))
    assert b'id="member-vouches"' in page.content
    vouches = client.get(reverse("vouching:group", args=[cast.newcomer.slug]))
    assert b"Shared a picket." in vouches.content
