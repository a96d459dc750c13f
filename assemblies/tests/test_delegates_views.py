"""The delegates' pages: the normal case, the wrong method, and outsiders refused (anonymous, a
signed-in outsider, the admin of another group in the same state network)."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from assemblies import services
from assemblies.models import (
    Ballot,
    Delegate,
    DelegateStatus,
    Election,
    Mandate,
    MandateState,
    Method,
    Report,
)
from assemblies.services import delegates as dlg
from assemblies.tests.conftest import PASSWORD, City, State

pytestmark = pytest.mark.django_db


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def story(city: City, state: State) -> dict[str, Any]:
    delegate = dlg.delegate_appoint(
        user=city.chair, group=city.coalition, coalition=state.network, person=city.admins[0]
    )
    dlg.delegation_update(
        user=city.chair, group=city.coalition, coalition=state.network, votes_by_delegates=True
    )
    question = services.question_create(
        user=state.chair, assembly=state.assembly, title="Adopt the plank?", method=Method.MAJORITY
    )
    services.question_open(user=state.chair, question=question)
    return {"slug": city.coalition.slug, "delegate": delegate, "question": question}


def _strangers(outsider: User, state: State) -> list[tuple[str, User | None]]:
    return [("anonymous", None), ("outsider", outsider), ("other", state.other_admins[0])]


def test_the_group_page_lists_its_delegates_for_its_members(
    city: City, story: dict[str, Any]
) -> None:
    response = _client(city.admins[3]).get(reverse("assemblies:delegates", args=[story["slug"]]))
    assert response.status_code == 200
    assert "Admin 0" in response.content.decode()
    assert "Elect delegates" not in response.content.decode()  # a member, not an admin
    chair = _client(city.chair).get(reverse("assemblies:delegates", args=[story["slug"]]))
    assert "Elect delegates" in chair.content.decode()


def test_the_assembly_page_shows_the_delegates_to_members_only(
    city: City, outsider: User, story: dict[str, Any]
) -> None:
    url = reverse("assemblies:detail", args=[story["slug"]])
    assert 'id="assembly-delegates"' in _client(city.admins[2]).get(url).content.decode()
    assert "Our delegates" not in _client(outsider).get(url).content.decode()


def test_the_record_shows_mandates_votes_and_reports(city: City, story: dict[str, Any]) -> None:
    delegate, question = story["delegate"], story["question"]
    dlg.mandate_give(user=city.chair, delegate=delegate, instruction="Vote yes.", question=question)
    dlg.delegate_ballot_cast(
        user=city.admins[0], question=question, group=city.coalition, content={"position": "yes"}
    )
    dlg.report_write(user=city.admins[0], delegate=delegate, text_="It went well.")
    page = _client(city.admins[4]).get(reverse("assemblies:delegate", args=[delegate.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Vote yes." in body and "It went well." in body and "Adopt the plank?" in body


def test_the_question_page_shows_the_mandate_beside_the_groups_vote(
    city: City, story: dict[str, Any]
) -> None:
    delegate, question = story["delegate"], story["question"]
    dlg.mandate_give(
        user=city.chair, delegate=delegate, instruction="Yes, for the tenants.", question=question
    )
    url = reverse("assemblies:question", args=[question.pk])
    body = _client(city.admins[0]).get(url).content.decode()
    assert "as its delegate" in body and "Yes, for the tenants." in body
    assert "as its delegate" not in _client(city.admins[1]).get(url).content.decode()
    vote = reverse("assemblies:delegate_vote", args=[question.pk, city.coalition.pk])
    response = _client(city.admins[0]).post(vote, {f"d{city.coalition.pk}-position": "yes"})
    assert response.status_code == 302
    assert (
        Ballot.objects.get(question=question, organization=city.coalition).voter == city.admins[0]
    )


def test_the_admins_appoint_elect_instruct_and_recall_through_the_pages(
    city: City, state: State, story: dict[str, Any]
) -> None:
    chair, slug = _client(city.chair), story["slug"]
    response = chair.post(
        reverse("assemblies:appoint", args=[slug]),
        {"coalition": state.network.pk, "person": city.admins[1].pk},
    )
    second = Delegate.objects.get(user=city.admins[1])
    assert response.status_code == 302
    response = chair.post(
        reverse("assemblies:elect", args=[slug]),
        {
            "coalition": state.network.pk,
            "seats": 1,
            "candidates": [city.admins[2].pk, city.admins[3].pk],
        },
    )
    assert response.status_code == 302
    response = chair.post(
        reverse("assemblies:mandate", args=[second.pk]),
        {"instruction": "Abstain.", "subject": f"q{story['question'].pk}", "by_vote": "on"},
    )
    mandate = Mandate.objects.get(delegate=second)
    assert (mandate.state, mandate.question) == (MandateState.PROPOSED, story["question"])
    response = chair.post(
        reverse("assemblies:recall", args=[second.pk]), {"how": "record", "reason": "Meeting."}
    )
    assert Delegate.objects.get(pk=second.pk).status == DelegateStatus.RECALLED
    response = chair.post(
        reverse("assemblies:delegation", args=[slug]), {"coalition": state.network.pk}
    )
    assert response.status_code == 302
    report = _client(city.admins[0]).post(
        reverse("assemblies:report", args=[story["delegate"].pk]), {"text": "Back.", "subject": ""}
    )
    assert report.status_code == 302 and Report.objects.count() == 1


def test_a_group_admin_cannot_give_a_mandate_on_an_item_of_another_assembly(
    city: City, story: dict[str, Any]
) -> None:
    own = services.question_create(
        user=city.chair, assembly=city.assembly, title="Own", method=Method.MAJORITY
    )
    response = _client(city.chair).post(
        reverse("assemblies:mandate", args=[story["delegate"].pk]),
        {"instruction": "Yes.", "subject": f"q{own.pk}"},
    )
    assert response.status_code == 400  # not among the coalition's items
    assert not Mandate.objects.exists()


@pytest.mark.parametrize("name", ["delegates", "delegate"])
def test_the_pages_refuse_outsiders(
    name: str, outsider: User, state: State, story: dict[str, Any]
) -> None:
    arg = story["slug"] if name == "delegates" else story["delegate"].pk
    url = reverse(f"assemblies:{name}", args=[arg])
    for who, user in _strangers(outsider, state):
        response = _client(user).get(url)
        assert response.status_code == (302 if user is None else 403), who


def test_every_write_refuses_the_wrong_method_and_outsiders(
    city: City, outsider: User, state: State, story: dict[str, Any]
) -> None:
    slug, delegate, question = story["slug"], story["delegate"], story["question"]
    posts = [
        (reverse("assemblies:appoint", args=[slug]), {"coalition": state.network.pk}),
        (reverse("assemblies:elect", args=[slug]), {"coalition": state.network.pk}),
        (reverse("assemblies:delegation", args=[slug]), {"coalition": state.network.pk}),
        (reverse("assemblies:mandate", args=[delegate.pk]), {"instruction": "No."}),
        (reverse("assemblies:report", args=[delegate.pk]), {"text": "Lies."}),
        (reverse("assemblies:recall", args=[delegate.pk]), {"how": "record", "reason": "x"}),
        (
            reverse("assemblies:delegate_vote", args=[question.pk, city.coalition.pk]),
            {f"d{city.coalition.pk}-position": "no"},
        ),
    ]
    for url, data in posts:
        assert _client(city.chair).get(url).status_code == 405, url
        for who, user in _strangers(outsider, state):
            response = _client(user).post(url, data)
            assert response.status_code == (302 if user is None else 403), (url, who)
            if user is None:
                assert "/accounts/login/" in response["Location"]
    assert Delegate.objects.get(pk=delegate.pk).status == DelegateStatus.ACTIVE
    assert not Ballot.objects.filter(question=question).exists()
    assert not Mandate.objects.exists() and not Report.objects.exists()


def test_an_admin_no_longer_casts_a_vote_the_group_gives_its_delegates(
    city: City, story: dict[str, Any]
) -> None:
    question = story["question"]
    chair = _client(city.chair)
    body = chair.get(reverse("assemblies:question", args=[question.pk])).content.decode()
    assert f'<option value="{city.coalition.pk}">Portland Commons</option>' not in body
    vote = chair.post(
        reverse("assemblies:vote", args=[question.pk]),
        {"cast_for": city.coalition.pk, "position": "no"},
    )
    assert vote.status_code == 400
    mirror = chair.post(
        reverse("assemblies:mirror", args=[question.pk]), {"group": city.coalition.pk}
    )
    assert mirror.status_code == 403
    assert not Ballot.objects.filter(question=question, organization=city.coalition).exists()


def test_the_admins_name_people_by_email_beyond_the_pick_list(
    city: City, outsider: User, state: State, story: dict[str, Any]
) -> None:
    chair, slug = _client(city.chair), story["slug"]
    refused = chair.post(
        reverse("assemblies:appoint", args=[slug]),
        {"coalition": state.network.pk, "email": outsider.email},
    )
    assert refused.status_code == 400
    assert "is not one of the group" in refused.content.decode()
    chair.post(
        reverse("assemblies:appoint", args=[slug]),
        {"coalition": state.network.pk, "email": city.admins[4].email.upper()},
    )
    assert Delegate.objects.filter(user=city.admins[4], status=DelegateStatus.ACTIVE).exists()
    response = chair.post(
        reverse("assemblies:elect", args=[slug]),
        {
            "coalition": state.network.pk,
            "seats": 1,
            "candidates": [city.admins[2].pk],
            "candidate_emails": f"{city.admins[3].email}\n{city.admins[2].email}",
        },
    )
    assert response.status_code == 302
    question = Election.objects.get().question
    assert sorted(question.options.values_list("label", flat=True)) == ["Admin 2", "Admin 3"]
