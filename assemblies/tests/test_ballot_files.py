"""Anonymised ballots out, paper ballots in (PrefLib and Pabulib), and the several-seat and
budget methods counted from stored ballots."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assemblies import ballotfiles, counting, notify, services
from assemblies.methods import formats
from assemblies.models import Announcement, Method, Question
from assemblies.tests.conftest import City

pytestmark = pytest.mark.django_db


def _ranked(city: City) -> Question:
    question = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Two delegates to the state network",
        method=Method.STV,
        seats=2,
        hide_results=False,
        options=[("Ana", None), ("Ben", None), ("Chen", None), ("Dee", None)],
    )
    return services.question_open(user=city.chair, question=question)


def test_it_downloads_ranked_ballots_as_preflib_that_recount_the_same(city: City) -> None:
    question = _ranked(city)
    ids = [str(o.pk) for o in question.options.all()]
    orders = [[0, 1], [0, 2], [1, 0], [2, 3], [3, 2]]
    for admin, order in zip(city.admins, orders, strict=True):
        services.ballot_cast(
            user=admin, question=question, content={"ranking": [[ids[i]] for i in order]}
        )
    text, ext = ballotfiles.export(question, "preflib")
    assert ext == "soi" and "# ALTERNATIVE NAME 1: Ana" in text
    assert "Admin" not in text and "@" not in text  # nobody's name or address
    election = formats.parse_preflib(text, data_type=ext)
    from assemblies.methods import decide

    again = decide("stv", election.candidates, election.ballots, seats=2)
    names = {c: election.names.get(c, c) for c in election.candidates}
    assert [names[w] for w in again.winners] == counting.compute(question)["winners"]


def test_it_adds_paper_ballots_from_a_preflib_file(city: City) -> None:
    question = _ranked(city)
    upload = SimpleUploadedFile(
        "room.soi",
        b"# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 4\n# ALTERNATIVE NAME 1: Dee\n"
        b"# ALTERNATIVE NAME 2: Ana\n# ALTERNATIVE NAME 3: Ben\n# ALTERNATIVE NAME 4: Chen\n"
        b"7: 1,2\n3: 3\n",
    )
    ballots = ballotfiles.read_upload(question, upload)
    dee, ana, ben = (str(question.options.get(label=n).pk) for n in ("Dee", "Ana", "Ben"))
    assert ballots == [({"ranking": [[dee], [ana]]}, 7), ({"ranking": [[ben]]}, 3)]
    assert services.ballots_upload(user=city.chair, question=question, ballots=ballots) == 10
    question.refresh_from_db()
    assert question.ballot_count == 10
    with pytest.raises(PermissionDenied):
        services.ballots_upload(user=city.admins[0], question=question, ballots=ballots)


def test_it_refuses_a_broken_ballot_file_with_the_reason(city: City) -> None:
    question = _ranked(city)
    with pytest.raises(ValidationError):
        ballotfiles.read_upload(question, SimpleUploadedFile("room.soi", b"\x00\x01"))
    with pytest.raises(ValidationError):
        ballotfiles.read_upload(question, SimpleUploadedFile("room.xls", b"1: 1"))


def test_it_shares_a_budget_greedily_and_downloads_it_as_pabulib(city: City) -> None:
    question = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="The 2027 fund",
        method=Method.GREEDY,
        budget=Decimal(1000),
        hide_results=False,
        options=[
            ("Tool library", Decimal(600)),
            ("Bike repair", Decimal(400)),
            ("Murals", Decimal(500)),
        ],
    )
    services.question_open(user=city.chair, question=question)
    ids = {o.label: str(o.pk) for o in question.options.all()}
    votes = [
        ["Tool library", "Bike repair"],
        ["Tool library"],
        ["Bike repair", "Murals"],
        ["Tool library", "Bike repair"],
        ["Murals"],
    ]
    for admin, chosen in zip(city.admins, votes, strict=True):
        services.ballot_cast(
            user=admin, question=question, content={"approvals": [ids[c] for c in chosen]}
        )
    # Three votes each for the library (600) and the repair shop (400): both fit in 1,000;
    # the murals (two votes) no longer do.
    result = counting.compute(question)
    assert set(result["winners"]) == {"Tool library", "Bike repair"}
    text, ext = ballotfiles.export(question, "pb")
    election = formats.parse_pabulib(text)
    assert ext == "pb" and election.budget == Decimal("1000.00") and election.voters == 5


def test_it_serves_the_file_only_once_results_may_be_seen(city: City) -> None:
    question = _ranked(city)
    url = reverse("assemblies:ballots", args=[question.pk, "preflib"])
    assert Client().get(url).status_code == 200
    Question.objects.filter(pk=question.pk).update(hide_results=True)
    assert Client().get(url).status_code == 403
    assert Client().get(reverse("assemblies:ballots", args=[question.pk, "pb"])).status_code in (
        403,
        404,
    )


def test_it_queues_again_an_announcement_whose_task_was_lost(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        services.question_open(
            user=city.chair,
            question=services.question_create(
                user=city.chair, assembly=city.assembly, title="Q", method=Method.MAJORITY
            ),
        )
    assert notify.announcements_recover() == 0  # not stalled yet
    later = timezone.now() + timedelta(minutes=11)
    assert notify.announcements_recover(now=later) == 1
    notify.fan_out(Announcement.objects.get().pk)
    assert notify.announcements_recover(now=later) == 0
