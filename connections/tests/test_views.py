"""The whom-to-meet and introduction pages: the normal case, the wrong method, and the people
who must be refused. Contact details are checked in the HTML and in the API."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import RegionalCoordinator, User
from connections import services
from connections.models import Dismissal, Introduction, IntroductionStatus
from connections.tests.conftest import Town
from directory import services as directory_services
from places.models import Place

pytestmark = pytest.mark.django_db

PRIVATE_EMAIL = "secret-justice@example.org"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def weaver(town: Town, places: dict[str, Place]) -> User:
    RegionalCoordinator.objects.create(user=town.people["weaver"], place=places["oregon"])
    return town.people["weaver"]


def test_the_index_lists_the_users_groups(town: Town, organizer: User) -> None:
    response = client_for(organizer).get(reverse("connections:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("connections:group", args=[town.tenants.slug]) in html
    assert reverse("connections:coalition", args=[town.coalition.slug]) in html
    assert client_for(organizer).post(reverse("connections:index")).status_code == 405
    anonymous = client_for(None).get(reverse("connections:index"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_group_page_shows_suggestions_with_reasons(town: Town, organizer: User) -> None:
    url = reverse("connections:group", args=[town.tenants.slug])
    response = client_for(organizer).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gresham Housing Action" in html
    assert "you both work with Clinic Collective" in html
    assert "speaks Spanish, which none of your ties do" in html
    assert "Propose an introduction" in html
    assert client_for(organizer).post(url).status_code == 405


def test_outsiders_do_not_see_a_groups_suggestions(
    town: Town, outsider: User, neighbour: User
) -> None:
    url = reverse("connections:group", args=[town.tenants.slug])
    assert client_for(outsider).get(url).status_code == 403
    assert client_for(neighbour).get(url).status_code == 403
    assert (
        client_for(outsider)
        .get(reverse("connections:coalition", args=[town.coalition.slug]))
        .status_code
        == 403
    )


def test_the_empty_state_says_what_to_list(organizer: User, places: dict[str, Place]) -> None:
    bare = directory_services.organization_create(user=organizer, name="Bare Group")
    html = (
        client_for(organizer).get(reverse("connections:group", args=[bare.slug])).content.decode()
    )
    assert "No suggestions yet: list your issues and service areas" in html


def test_the_coalition_page_shows_gaps(
    town: Town, organizer: User, places: dict[str, Place]
) -> None:
    response = client_for(organizer).get(
        reverse("connections:coalition", args=[town.coalition.slug])
    )
    assert response.status_code == 200
    assert "Whom Portland Health and Housing might invite" in response.content.decode()


def test_dismiss_and_undo_through_the_page(town: Town, organizer: User, outsider: User) -> None:
    client = client_for(organizer)
    dismiss = reverse("connections:dismiss", args=[town.tenants.slug])
    key = f"org:{town.justice.pk}"
    assert client.get(dismiss).status_code == 405
    assert client_for(outsider).post(dismiss, {"key": key, "label": "x"}).status_code == 403
    response = client.post(dismiss, {"key": key, "label": "Portland Housing Justice"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Show Portland Housing Justice again" in html
    assert 'id="suggested-groups"' in html and f'data-key="{key}"' not in html
    restore = reverse("connections:restore", args=[town.tenants.slug])
    assert client_for(outsider).post(restore, {"key": key}).status_code == 403
    client.post(restore, {"key": key})
    assert not Dismissal.objects.exists()


def test_propose_through_the_page(town: Town, weaver: User, outsider: User) -> None:
    url = reverse("connections:introduction_new")
    client = client_for(weaver)
    page = client.get(url + f"?first={town.tenants.slug}&second={town.justice.slug}")
    assert page.status_code == 200 and town.justice.slug in page.content.decode()
    assert client.put(url).status_code == 405
    response = client.post(
        url,
        {
            "first": town.tenants.name,
            "second": town.justice.slug,
            "reason": "Both fight evictions.",
        },
    )
    intro = Introduction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("connections:introduction", args=[intro.pk])
    refused = client_for(outsider).post(
        url, {"first": town.tenants.name, "second": town.riders.name, "reason": "x"}
    )
    assert refused.status_code == 403
    unknown = client.post(
        url, {"first": "No Such Group", "second": town.riders.name, "reason": "x"}
    )
    assert unknown.status_code == 400 and "No group called" in unknown.content.decode()


def test_the_introduction_page_hides_contact_until_both_accept(town: Town, weaver: User) -> None:
    justice_admin, organizer = town.people["justice"], town.people["organizer"]
    directory_services.private_contact_update(
        user=justice_admin, organization=town.justice, email=PRIVATE_EMAIL, phone="555-0101"
    )
    intro = services.introduction_propose(
        user=weaver, first=town.tenants, second=town.justice, reason="Both fight evictions."
    )
    url = reverse("connections:introduction", args=[intro.pk])
    api = f"/api/organizations/{town.justice.slug}"
    org_client = client_for(organizer)

    def sees_secret() -> bool:
        page = org_client.get(url).content.decode()
        return PRIVATE_EMAIL in page or "555-0101" in page

    assert not sees_secret()
    assert (
        "Contact details stay hidden until both groups have accepted."
        in org_client.get(url).content.decode()
    )
    answer = reverse("connections:answer", args=[intro.pk])
    assert org_client.get(answer).status_code == 405
    org_client.post(answer, {"group": town.tenants.pk, "decision": "accept"})
    assert not sees_secret()
    assert PRIVATE_EMAIL not in org_client.get(api).content.decode()
    client_for(justice_admin).post(answer, {"group": town.justice.pk, "decision": "accept"})
    intro.refresh_from_db()
    assert intro.status == IntroductionStatus.ACCEPTED
    assert sees_secret()
    # The API never carries private contact, to anyone.
    assert PRIVATE_EMAIL not in org_client.get(api).content.decode()
    # The weaver, not on either side, is not handed the contact on this page.
    assert PRIVATE_EMAIL not in client_for(weaver).get(url).content.decode()


def test_introductions_are_refused_to_outsiders_and_third_groups(
    town: Town, weaver: User, outsider: User
) -> None:
    intro = services.introduction_propose(
        user=weaver, first=town.tenants, second=town.justice, reason="Both fight evictions."
    )
    url = reverse("connections:introduction", args=[intro.pk])
    answer = reverse("connections:answer", args=[intro.pk])
    for person in (outsider, town.people["gresham"]):
        client = client_for(person)
        assert client.get(url).status_code == 404
        assert (
            client.post(answer, {"group": town.tenants.pk, "decision": "accept"}).status_code == 404
        )
    # One side's admin cannot answer for the other side.
    client = client_for(town.people["organizer"])
    response = client.post(answer, {"group": town.justice.pk, "decision": "accept"})
    assert response.status_code == 400
    intro.refresh_from_db()
    assert intro.status == IntroductionStatus.PROPOSED


def test_the_outcome_through_the_page(town: Town, weaver: User, outsider: User) -> None:
    intro = services.introduction_propose(
        user=weaver, first=town.tenants, second=town.justice, reason="Both fight evictions."
    )
    for person, org in (("organizer", town.tenants), ("justice", town.justice)):
        services.introduction_answer(
            user=town.people[person], introduction=intro, organization=org, accept=True
        )
    outcome = reverse("connections:outcome", args=[intro.pk])
    client = client_for(town.people["organizer"])
    assert client.get(outcome).status_code == 405
    assert client_for(outsider).post(outcome, {"outcome": "met"}).status_code == 404
    assert (
        client_for(weaver).post(outcome, {"group": town.tenants.pk, "outcome": "met"}).status_code
        == 403
    )
    response = client.post(outcome, {"group": town.tenants.pk, "outcome": "met", "note": "Coffee."})
    assert response.status_code == 302
    page = client.get(reverse("connections:introduction", args=[intro.pk])).content.decode()
    assert "We met: Coffee." in page


def test_the_group_and_coalition_pages_link_here(town: Town, organizer: User) -> None:
    client = client_for(organizer)
    listing = client.get(reverse("organization", args=[town.tenants.slug])).content.decode()
    assert reverse("connections:group", args=[town.tenants.slug]) in listing
    coalition = client.get(
        reverse("coalitions:detail", args=[town.coalition.slug])
    ).content.decode()
    assert reverse("connections:coalition", args=[town.coalition.slug]) in coalition


def test_coordinators_see_the_link_and_outsiders_do_not(
    town: Town, weaver: User, outsider: User
) -> None:
    link = reverse("connections:group", args=[town.tenants.slug])
    listing = reverse("organization", args=[town.tenants.slug])
    assert link in client_for(weaver).get(listing).content.decode()
    assert link not in client_for(outsider).get(listing).content.decode()
    assert link not in client_for(None).get(listing).content.decode()
    coalition = reverse("coalitions:detail", args=[town.coalition.slug])
    invite = reverse("connections:coalition", args=[town.coalition.slug])
    assert invite in client_for(weaver).get(coalition).content.decode()
    assert invite not in client_for(outsider).get(coalition).content.decode()
