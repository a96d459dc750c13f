"""Every assembly page: the normal case, the wrong method, and an outsider refused."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from assemblies import services
from assemblies.models import Method, Proposal, ProposalStatus, Question, QuestionState
from assemblies.tests.conftest import PASSWORD, City

pytestmark = pytest.mark.django_db


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def story(city: City) -> dict[str, Any]:
    proposal = services.proposal_submit(
        user=city.admins[0], assembly=city.assembly, title="Land trust", body="Found a land trust."
    )
    amendment = services.amendment_propose(
        user=city.admins[1], proposal=proposal, new_text="Found two."
    )
    argument = services.argument_post(
        user=city.admins[2], proposal=proposal, stance="for", body="Yes!"
    )
    question = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Land trust?",
        method=Method.CONSENT,
        proposal=proposal,
    )
    from datetime import datetime

    meeting = services.meeting_schedule(
        user=city.chair,
        assembly=city.assembly,
        title="Assembly",
        starts_local=datetime(2027, 3, 1, 19, 0),
        time_zone="America/Los_Angeles",
        proposals=[proposal],
    )
    return {
        "slug": city.coalition.slug,
        "proposal": proposal,
        "amendment": amendment,
        "argument": argument,
        "question": question,
        "meeting": meeting,
    }


GET_PAGES = [
    ("assemblies:index", lambda s: []),
    ("assemblies:detail", lambda s: [s["slug"]]),
    ("assemblies:proposal", lambda s: [s["proposal"].pk]),
    ("assemblies:question", lambda s: [s["question"].pk]),
    ("assemblies:meeting", lambda s: [s["meeting"].pk]),
]


@pytest.mark.parametrize(("name", "args"), GET_PAGES)
def test_it_shows_public_pages_to_anyone_and_refuses_posts_to_them(
    story: dict[str, Any], name: str, args: Any
) -> None:
    url = reverse(name, args=args(story))
    assert Client().get(url).status_code == 200
    assert Client().post(url).status_code == 405


MEMBER_FORMS = [
    ("assemblies:proposal_new", lambda s: [s["slug"]]),
    ("assemblies:amend", lambda s: [s["proposal"].pk]),
]
ADMIN_FORMS = [
    ("assemblies:question_new", lambda s: [s["slug"]]),
    ("assemblies:meeting_new", lambda s: [s["slug"]]),
    ("assemblies:settings", lambda s: [s["slug"]]),
]


@pytest.mark.parametrize(("name", "args"), MEMBER_FORMS + ADMIN_FORMS)
def test_it_refuses_forms_to_outsiders(
    story: dict[str, Any], outsider: User, name: str, args: Any
) -> None:
    url = reverse(name, args=args(story))
    assert _client(outsider).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to sign in
    assert _client(outsider).delete(url).status_code == 405


@pytest.mark.parametrize(("name", "args"), ADMIN_FORMS)
def test_it_shows_admin_forms_to_the_chair(
    story: dict[str, Any], city: City, name: str, args: Any
) -> None:
    assert _client(city.chair).get(reverse(name, args=args(story))).status_code == 200


POSTS = [
    ("assemblies:support", lambda s: [s["proposal"].pk], {}),
    ("assemblies:argue", lambda s: [s["proposal"].pk], {"stance": "for", "text": "x"}),
    ("assemblies:endorse", lambda s: [s["argument"].pk], {}),
    ("assemblies:amendment_decide", lambda s: [s["amendment"].pk], {"decision": "accept"}),
    ("assemblies:open", lambda s: [s["question"].pk], {"time_zone": "UTC"}),
    ("assemblies:close", lambda s: [s["question"].pk], {}),
    ("assemblies:vote", lambda s: [s["question"].pk], {"position": "consent"}),
    ("assemblies:attend", lambda s: [s["meeting"].pk], {}),
    ("assemblies:minutes", lambda s: [s["meeting"].pk], {"minutes": "x"}),
    ("assemblies:decision", lambda s: [s["meeting"].pk], {"item": 0, "decision": "x"}),
]


@pytest.mark.parametrize(("name", "args", "data"), POSTS)
def test_it_refuses_every_step_to_an_outsider_and_every_get_to_a_step(
    story: dict[str, Any], outsider: User, name: str, args: Any, data: dict[str, Any]
) -> None:
    url = reverse(name, args=args(story))
    assert _client(outsider).post(url, data).status_code == 403
    assert _client(outsider).get(url).status_code == 405


def test_it_opens_an_assembly_from_the_pages(organizer: User, places: Any) -> None:
    from directory.services import organization_create

    group = organization_create(user=organizer, name="Eureka Tenants", home_place=places["eureka"])
    client = _client(organizer)
    assert client.get(reverse("assemblies:index")).content.count(b"Open the assembly of") == 1
    response = client.post(
        reverse("assemblies:new", args=[group.slug]),
        {"people": "open", "support_threshold": 2, "description": "Our assembly."},
    )
    assert response.status_code == 302
    assert _client(organizer).get(response["Location"]).status_code == 200
    assert group.assembly.people == "open"


def test_it_walks_a_proposal_to_a_decision_through_the_pages(
    story: dict[str, Any], city: City
) -> None:
    proposal: Proposal = story["proposal"]
    member = _client(city.admins[3])
    assert member.post(reverse("assemblies:support", args=[proposal.pk])).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.AGENDA
    author = _client(city.admins[0])
    page = author.get(reverse("assemblies:proposal", args=[proposal.pk])).content.decode()
    assert "<del>a land trust.</del><ins>two.</ins>" in page
    author.post(
        reverse("assemblies:amendment_decide", args=[story["amendment"].pk]), {"decision": "accept"}
    )
    proposal.refresh_from_db()
    assert proposal.body == "Found two."
    chair = _client(city.chair)
    question: Question = story["question"]
    chair.post(reverse("assemblies:open", args=[question.pk]), {"time_zone": "UTC"})
    question.refresh_from_db()
    assert question.state == QuestionState.OPEN
    bad = member.post(reverse("assemblies:vote", args=[question.pk]), {"position": "block"})
    assert bad.status_code == 400  # a block needs a reason
    member.post(reverse("assemblies:vote", args=[question.pk]), {"position": "consent"})
    chair.post(reverse("assemblies:close", args=[question.pk]))
    page = Client().get(reverse("assemblies:question", args=[question.pk])).content.decode()
    assert "Passed." in page
    csv = Client().get(reverse("assemblies:ballots", args=[question.pk, "csv"]))
    assert csv.status_code == 200 and b"consent,1" in csv.content


def test_it_hides_results_until_the_round_closes(story: dict[str, Any], city: City) -> None:
    question: Question = story["question"]
    services.question_open(user=city.chair, question=question)
    services.ballot_cast(user=city.admins[1], question=question, content={"position": "consent"})
    page = (
        _client(city.chair).get(reverse("assemblies:question", args=[question.pk])).content.decode()
    )
    assert "Results are shown when the round closes." in page
    url = reverse("assemblies:ballots", args=[question.pk, "csv"])
    assert Client().get(url).status_code == 403


def test_it_takes_a_ranking_and_approvals_from_the_vote_form(city: City) -> None:
    ranked = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Delegates",
        method=Method.STV,
        seats=2,
        options=[("Ana", None), ("Ben", None), ("Chen", None)],
    )
    services.question_open(user=city.chair, question=ranked)
    a, b, c = (o.pk for o in ranked.options.all())
    voter = _client(city.admins[0])
    answer = voter.post(
        reverse("assemblies:vote", args=[ranked.pk]), {f"rank_{c}": 1, f"rank_{a}": 2}
    )
    assert answer.status_code == 302
    assert ranked.ballots.get().content == {"ranking": [[str(c)], [str(a)]]}
    approval = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Fund",
        method=Method.APPROVAL,
        options=[("Ana", None), ("Ben", None)],
    )
    services.question_open(user=city.chair, question=approval)
    x, y = (o.pk for o in approval.options.all())
    group = city.groups[0]
    voter.post(
        reverse("assemblies:vote", args=[approval.pk]),
        {"approvals": [str(x), str(y)], "cast_for": str(group.pk)},
    )
    ballot = approval.ballots.get()
    assert ballot.content == {"approvals": sorted([str(x), str(y)])}
    assert ballot.organization == group and ballot.source == "group"


def test_it_lists_who_voted_how_on_an_open_ballot_in_words(city: City, outsider: User) -> None:
    question = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Order",
        method=Method.SCHULZE,
        hide_results=False,
        options=[("Housing", None), ("Transit", None)],
    )
    services.question_open(user=city.chair, question=question)
    h, t = (str(o.pk) for o in question.options.all())
    services.ballot_cast(user=city.admins[0], question=question, content={"ranking": [[t], [h]]})
    url = reverse("assemblies:question", args=[question.pk])
    page = _client(city.admins[1]).get(url).content.decode()
    assert "Transit &gt; Housing" in page and "Admin 0" in page
    assert "Admin 0" not in _client(outsider).get(url).content.decode()  # members only
