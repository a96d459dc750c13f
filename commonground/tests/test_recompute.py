"""Debounced background recompute of the opinion map."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from commonground import analysis, services
from commonground.models import Analysis, Conversation
from commonground.tests.conftest import planted_votes

pytestmark = pytest.mark.django_db


def queued() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="conversation_recompute").count()


def adjusted_rand(a: list[int], b: list[int]) -> float:
    from scipy.special import comb

    a_arr, b_arr = np.asarray(a), np.asarray(b)
    table = np.zeros((a_arr.max() + 1, b_arr.max() + 1))
    np.add.at(table, (a_arr, b_arr), 1)
    index = comb(table, 2).sum()
    rows, cols = comb(table.sum(1), 2).sum(), comb(table.sum(0), 2).sum()
    expected = rows * cols / comb(len(a), 2)
    return float((index - expected) / ((rows + cols) / 2 - expected))


class TestDebounce:
    def test_it_queues_one_recompute_for_many_votes(
        self, open_conversation, outsider, member, organizer, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            for user in (outsider, member, organizer):
                for statement in open_conversation.statements.all():
                    services.vote_cast(user=user, statement=statement, value=1)
        assert queued() == 1
        open_conversation.refresh_from_db()
        assert open_conversation.recompute_pending
        assert open_conversation.recompute_after > timezone.now()

    def test_it_queues_again_for_votes_that_arrive_once_the_task_started(
        self, open_conversation, outsider, member, django_capture_on_commit_callbacks
    ):
        statements = list(open_conversation.statements.all())
        with django_capture_on_commit_callbacks(execute=True):
            services.vote_cast(user=outsider, statement=statements[0], value=1)
        analysis.analysis_compute(open_conversation.pk)
        with django_capture_on_commit_callbacks(execute=True):
            services.vote_cast(user=member, statement=statements[0], value=-1)
            services.vote_cast(user=member, statement=statements[1], value=-1)
        assert queued() == 2

    def test_it_takes_over_a_recompute_whose_task_was_lost(
        self, open_conversation, outsider, django_capture_on_commit_callbacks
    ):
        long_ago = timezone.now() - timedelta(hours=2)
        Conversation.objects.filter(pk=open_conversation.pk).update(
            recompute_pending=True, recompute_after=long_ago
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.vote_cast(
                user=outsider, statement=open_conversation.statements.first(), value=1
            )
        assert queued() == 1


class TestRecompute:
    def test_it_finds_the_planted_groups(
        self, open_conversation, organizer, django_capture_on_commit_callbacks
    ):
        votes, comments, truth = planted_votes(n_per_group=15, n_statements=12)
        services.polis_import(
            user=organizer,
            conversation=open_conversation,
            votes_file=votes.encode(),
            comments_file=comments.encode(),
        )
        result = analysis.analysis_compute(open_conversation.pk)
        assert result is not None
        data = result.result
        assert len(data["groups"]) == 2
        assert sorted(g["size"] for g in data["groups"]) == [15, 15]
        number_of = dict(open_conversation.participants.values_list("pk", "external_id"))
        found = {int(number_of[int(pid)]): g for pid, _, _, g in data["participants"]}
        labels = [found[v] for v in range(len(truth))]
        assert adjusted_rand(truth, labels) > 0.9
        assert data["repness"]["0"] and data["repness"]["1"]
        assert data["divisive"] and data["bridging"]
        open_conversation.refresh_from_db()
        assert not open_conversation.recompute_pending
        assert result.vote_events == open_conversation.vote_events
        assert result.vote_count == sum(1 for line in votes.splitlines()[1:])

    def test_it_keeps_only_a_few_old_maps(self, open_conversation, outsider):
        services.vote_cast(user=outsider, statement=open_conversation.statements.first(), value=1)
        for _ in range(5):
            analysis.analysis_compute(open_conversation.pk)
        assert Analysis.objects.filter(conversation=open_conversation).count() == 3

    def test_it_makes_no_map_without_votes(self, open_conversation):
        assert analysis.analysis_compute(open_conversation.pk) is None
