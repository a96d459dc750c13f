"""The vision and program pages: the normal case, the wrong method, and outsiders refused."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from places.models import Place
from programs import services
from programs.models import Horizon, Plank, PlankMotion, VisionSection
from programs.tests.conftest import PASSWORD, Network, decide

pytestmark = pytest.mark.django_db


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.email, password=PASSWORD)
    return client


def _plank(network: Network) -> Plank:
    return services.plank_propose(
        user=network.state_chair,
        assembly=network.state_assembly,
        title="Single-payer health care",
        text="Oregon pays for everyone's health care from one public fund.",
    )


def _endorse(network: Network, plank: Plank, i: int) -> None:
    motion = services.plank_endorsement_propose(
        user=network.city_chairs[i], plank=plank, assembly=network.city_assemblies[i]
    )
    decide(network.city_chairs[i], network.city_assemblies[i], motion.proposal)


def test_the_index_says_when_nothing_is_endorsed_yet(network: Network) -> None:
    _plank(network)
    response = _client().get("/programs/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "No assembly has endorsed a plank yet" in text
    assert "Single-payer health care" in text  # among the planks proposed
    assert _client().post("/programs/").status_code == 405


def test_the_index_ranks_planks_and_filters_by_place(network: Network) -> None:
    plank = _plank(network)
    _endorse(network, plank, 0)
    text = _client().get("/programs/").content.decode()
    assert 'id="widest"' in text and "Single-payer health care" in text
    assert "Only one plank is endorsed here so far" in text
    oregon = _client().get("/programs/", {"place": "Oregon"}).content.decode()
    assert "Planks with the widest endorsement in Oregon" in oregon
    assert "1 assembly in Oregon endorses it" in oregon
    washington = _client().get("/programs/", {"place": "Washington"}).content.decode()
    assert "No assembly in Washington has endorsed a plank yet" in washington


def test_the_plank_page_is_honest_about_one_endorsement(network: Network) -> None:
    plank = _plank(network)
    text = _client().get(f"/programs/planks/{plank.pk}/").content.decode()
    assert "No other assembly has endorsed this plank yet." in text
    assert 'id="endorsements-map"' not in text
    _endorse(network, plank, 0)
    text = _client().get(f"/programs/planks/{plank.pk}/").content.decode()
    assert "One assembly endorses it so far." in text
    assert "Portland Commons" in text and 'id="endorsements-map"' in text


def test_the_plank_page_rolls_up_by_state_and_level(
    network: Network, places: dict[str, Place]
) -> None:
    plank = _plank(network)
    for i in range(3):
        _endorse(network, plank, i)
    text = _client().get(f"/programs/planks/{plank.pk}/", {"in": "united-states"}).content
    page = text.decode()
    assert "3 assemblies endorse it, in 3 places." in page
    assert "3 of the 4 city or town coalitions" in page
    assert "Endorsed in 1 country" in page and "in 1 state or province" in page
    assert _client().post(f"/programs/planks/{plank.pk}/").status_code == 405
    assert _client().get(f"/programs/planks/{plank.pk}/", {"in": "nowhere"}).status_code == 404


def test_a_hidden_assemblys_plank_is_not_shown_to_outsiders(
    network: Network, outsider: User
) -> None:
    plank = _plank(network)
    network.state.is_hidden = True
    network.state.save()
    assert _client(outsider).get(f"/programs/planks/{plank.pk}/").status_code == 404
    assert _client(outsider).get(f"/programs/{network.state.slug}/").status_code == 404


def test_a_member_proposes_the_endorsement_from_the_plank_page(
    network: Network, outsider: User
) -> None:
    plank = _plank(network)
    url = f"/programs/planks/{plank.pk}/endorse/"
    chair = _client(network.city_chairs[1])
    assert "Endorse this plank" in chair.get(f"/programs/planks/{plank.pk}/").content.decode()
    assert (
        "Endorse this plank"
        not in _client(outsider).get(f"/programs/planks/{plank.pk}/").content.decode()
    )
    assert chair.get(url).status_code == 405
    assert _client().post(url, {"assembly": network.city_assemblies[1].pk}).status_code == 302
    assert (
        _client(outsider).post(url, {"assembly": network.city_assemblies[1].pk}).status_code == 403
    )
    # Another city's assembly is not this chair's to propose in.
    assert chair.post(url, {"assembly": network.city_assemblies[0].pk}).status_code == 403
    response = chair.post(url, {"assembly": network.city_assemblies[1].pk})
    motion = PlankMotion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/assemblies/proposals/{motion.proposal_id}/"


def test_a_member_proposes_a_plank_and_outsiders_are_refused(
    network: Network, outsider: User
) -> None:
    slug = network.cities[0].slug
    url = f"/programs/{slug}/planks/new/"
    assert _client(outsider).get(url).status_code == 403
    assert (
        _client(outsider).post(url, {"title": "x", "kind": "demand", "text": "y"}).status_code
        == 403
    )
    chair = _client(network.city_chairs[0])
    assert chair.get(url).status_code == 200
    assert chair.post(url, {"title": "", "kind": "demand", "text": ""}).status_code == 400
    response = chair.post(
        url, {"title": "Social housing", "kind": "institution", "text": "A city builder."}
    )
    plank = Plank.objects.get()
    assert response["Location"] == f"/programs/planks/{plank.pk}/"
    program = _client().get(f"/programs/{slug}/").content.decode()
    assert "Social housing" in program and "Planks being decided here" in program
    assert _client().post(f"/programs/{slug}/").status_code == 405


def test_the_vision_pages_draft_and_amend_sections(network: Network, outsider: User) -> None:
    slug = network.cities[0].slug
    assert "No section of the vision has been adopted yet." in (
        _client().get(f"/programs/{slug}/vision/").content.decode()
    )
    new = f"/programs/{slug}/vision/new/"
    assert _client(outsider).get(new).status_code == 403
    chair = _client(network.city_chairs[0])
    response = chair.post(
        new, {"horizon": Horizon.TWENTY, "title": "Transit", "text": "Buses every five minutes."}
    )
    section = VisionSection.objects.get()
    proposal = section.changes.get().proposal
    assert response["Location"] == f"/assemblies/proposals/{proposal.pk}/"
    page = _client().get(f"/programs/{slug}/vision/").content.decode()
    assert "Drafts being decided" in page and "Transit" in page
    amend = f"/programs/sections/{section.pk}/amend/"
    assert chair.get(amend).status_code == 403  # a draft is amended on its proposal
    decide(network.city_chairs[0], network.city_assemblies[0], proposal)
    page = _client().get(f"/programs/{slug}/vision/").content.decode()
    assert "In 20 years" in page and "Buses every five minutes." in page
    assert _client(outsider).post(amend, {"text": "Cars."}).status_code == 403
    assert chair.get(amend).status_code == 200
    response = chair.post(amend, {"text": "Buses every three minutes."})
    assert response.status_code == 302
    page = _client().get(f"/programs/{slug}/vision/").content.decode()
    assert "An amendment is being decided" in page and "Buses every five minutes." in page


def test_the_plank_page_costs_the_same_however_many_assemblies_endorse(
    network: Network, places: dict[str, Place]
) -> None:
    plank = _plank(network)
    _endorse(network, plank, 0)
    url = f"/programs/planks/{plank.pk}/"

    def queries(path: str, params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _client().get(path, params).status_code == 200
        return len(captured)

    one = [queries(url, {}), queries(url, {"in": places["oregon"].slug}), queries("/programs/", {})]
    _endorse(network, plank, 1)
    _endorse(network, plank, 2)
    motion = services.plank_endorsement_propose(
        user=network.seattle_chair, plank=plank, assembly=network.seattle_assembly
    )
    decide(network.seattle_chair, network.seattle_assembly, motion.proposal)
    four = [
        queries(url, {}),
        queries(url, {"in": places["oregon"].slug}),
        queries("/programs/", {}),
    ]
    assert four == one


def test_the_plank_page_shows_its_plans_progress_by_level(network: Network) -> None:
    from plans import services as plan_services

    plank = _plank(network)
    text = _client().get(f"/programs/planks/{plank.pk}/").content.decode()
    assert "No assembly has adopted this plank yet, so there is no plan to follow." in text
    decide(network.state_chair, network.state_assembly, plank.proposal)
    _endorse(network, plank, 0)
    plank.proposal.refresh_from_db()
    plan = plan_services.plan_open(user=network.state_chair, proposal=plank.proposal)
    task = plan_services.task_add(
        user=network.state_chair, plan=plan, title="Draft the bill", owner_group=network.cities[0]
    )
    plan_services.task_respond(user=network.city_chairs[0], task=task, accept=True)
    plan_services.task_update(
        user=network.city_chairs[0], task=task, status="done", progress=100, note="Drafted."
    )

    page = _client().get(f"/programs/planks/{plank.pk}/").content.decode()
    progress = page.split('id="progress-levels"')[1].split("</ul>")[0]

    def row(level: str) -> str:
        return " ".join(progress.split(f'data-level="{level}"')[1].split("</li>")[0].split())

    assert "City or town" in row("city") and "nothing counted yet" in row("city")
    assert "State or province" in row("state") and "Progress: 100%" in row("state")
    # All levels: two decisions, one with a plan (done), one still without; none dropped.
    everything = row("all")
    assert "All levels" in everything and "2 decisions" in everything
    assert "with a plan: 1" in everything and "no plan yet: 1" in everything
    assert "done: 1" in everything and "dropped" not in everything
    assert "Progress: 100%" in everything
    assert f"/plans/decisions/{plank.proposal_id}/" in page
