"""Import and export in the Pol.is open-data format."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from commonground import analysis, polis_io, selectors, services
from commonground.models import Participant, Statement, StatementState, Vote
from commonground.tests.conftest import planted_votes

pytestmark = pytest.mark.django_db

VOTES = """timestamp,datetime,comment-id,voter-id,vote
1000,,0,7,1
2000,,1,7,-1
3000,,0,8,0
4000,,0,7,-1
"""
COMMENTS = """timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body
500,,0,7,0,0,1,Open the books.
600,,1,8,0,0,-1,Spam spam spam.
"""


class TestImport:
    def test_it_brings_in_statements_anonymous_voters_and_last_votes(
        self, open_conversation, organizer
    ):
        report = services.polis_import(
            user=organizer,
            conversation=open_conversation,
            votes_file=VOTES.encode(),
            comments_file=COMMENTS.encode(),
        )
        assert (report.statements_created, report.participants_created, report.votes) == (2, 2, 3)
        imported = Participant.objects.filter(conversation=open_conversation).exclude(
            external_id=""
        )
        assert all(p.user_id is None for p in imported)
        opened = Statement.objects.get(conversation=open_conversation, external_id="0")
        assert opened.text == "Open the books."
        assert opened.state == StatementState.ACCEPTED
        assert opened.author is not None and opened.author.external_id == "7"
        spam = Statement.objects.get(conversation=open_conversation, external_id="1")
        assert spam.state == StatementState.REJECTED
        voter = imported.get(external_id="7")
        assert Vote.objects.get(participant=voter, statement=opened).value == -1

    def test_it_matches_voters_again_on_a_second_import(self, open_conversation, organizer):
        for _ in range(2):
            services.polis_import(
                user=organizer,
                conversation=open_conversation,
                votes_file=VOTES.encode(),
                comments_file=COMMENTS.encode(),
            )
        assert Vote.objects.filter(conversation=open_conversation).count() == 3
        assert open_conversation.statements.count() == 4  # two seeds, two imported

    def test_it_names_the_file_and_line_of_a_bad_vote(self, open_conversation, organizer):
        with pytest.raises(ValidationError) as exc:
            services.polis_import(
                user=organizer,
                conversation=open_conversation,
                votes_file=b"comment-id,voter-id,vote\n0,1,yes\n",
            )
        assert "line 2" in exc.value.message_dict["votes"][0]
        with pytest.raises(ValidationError) as exc:
            services.polis_import(
                user=organizer,
                conversation=open_conversation,
                votes_file=VOTES.encode(),
                comments_file=b"comment-body\nhello\n",
            )
        assert "comments" in exc.value.message_dict

    def test_it_refuses_anyone_but_moderators(self, open_conversation, outsider):
        with pytest.raises(PermissionDenied):
            services.polis_import(
                user=outsider, conversation=open_conversation, votes_file=VOTES.encode()
            )


class TestExport:
    def test_it_round_trips_through_the_polis_format(self, open_conversation, organizer, member):
        votes, comments, truth = planted_votes(n_per_group=10, n_statements=10)
        services.polis_import(
            user=organizer,
            conversation=open_conversation,
            votes_file=votes.encode(),
            comments_file=comments.encode(),
        )
        analysis.analysis_compute(open_conversation.pk)
        exported_votes = selectors.export_votes(organizer, open_conversation)
        exported_comments = selectors.export_comments(organizer, open_conversation)
        before = polis_io.read_votes(io.StringIO(votes))
        after = polis_io.read_votes(io.StringIO(exported_votes))
        assert after.matrix.nnz == before.matrix.nnz
        # The same votes under new numbers: compare each voter's votes by statement text.
        texts = polis_io.read_comments(io.StringIO(exported_comments))
        assert {c.text for c in texts.values()} >= {f"Planted statement {s}" for s in range(10)}
        assert sorted(after.matrix.data.tolist()) == sorted(before.matrix.data.tolist())

        # And the export imports again into a fresh conversation, with the same groups.
        other = services.conversation_create(user=member, title="Copy")
        services.polis_import(
            user=member,
            conversation=other,
            votes_file=exported_votes.encode(),
            comments_file=exported_comments.encode(),
        )
        assert Vote.objects.filter(conversation=other).count() == after.matrix.nnz

    def test_it_writes_participants_votes_with_groups(self, open_conversation, organizer):
        votes, comments, _ = planted_votes(n_per_group=10, n_statements=10)
        services.polis_import(
            user=organizer,
            conversation=open_conversation,
            votes_file=votes.encode(),
            comments_file=comments.encode(),
        )
        analysis.analysis_compute(open_conversation.pk)
        text = selectors.export_participants_votes(organizer, open_conversation)
        groups = polis_io.read_participant_groups(io.StringIO(text))
        assert len(groups) == Participant.objects.filter(conversation=open_conversation).count()
        assert {g for g in groups.values() if g is not None} == {0, 1}
        rows = list(csv.DictReader(io.StringIO(text)))
        assert int(rows[1]["n-votes"]) == int(rows[1]["n-agree"]) + int(
            rows[1]["n-disagree"]
        ) + sum(1 for k, v in rows[1].items() if k.isdigit() and v == "0")

    def test_it_never_exports_who_people_are(self, open_conversation, organizer, outsider):
        for statement in open_conversation.statements.all():
            services.vote_cast(user=outsider, statement=statement, value=1)
        analysis.analysis_compute(open_conversation.pk)
        everything = "".join(
            f(organizer, open_conversation)
            for f in (
                selectors.export_votes,
                selectors.export_comments,
                selectors.export_participants_votes,
            )
        )
        assert "@" not in everything
        with pytest.raises(PermissionDenied):
            selectors.export_votes(outsider, open_conversation)


def test_it_exports_formula_like_statements_as_text(open_conversation, organizer):
    Statement.objects.filter(conversation=open_conversation).update(text="=cmd|' /C calc'!A0")
    text = selectors.export_comments(organizer, open_conversation)
    bodies = {row["comment-body"] for row in csv.DictReader(io.StringIO(text))}
    assert bodies == {"'=cmd|' /C calc'!A0"}
