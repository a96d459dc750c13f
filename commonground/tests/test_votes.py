"""Casting and changing votes; submitting and moderating statements."""

import pytest
from django.core.exceptions import ValidationError

from commonground import selectors, services
from commonground.models import Moderation, StatementState, Vote

pytestmark = pytest.mark.django_db


def first_statement(conversation):
    return conversation.statements.order_by("number").first()


class TestVoting:
    def test_it_changes_a_vote_instead_of_adding_one(self, open_conversation, outsider):
        statement = first_statement(open_conversation)
        first = services.vote_cast(user=outsider, statement=statement, value=1)
        second = services.vote_cast(user=outsider, statement=statement, value=-1)
        assert Vote.objects.filter(statement=statement).count() == 1
        assert second.pk == first.pk
        vote = Vote.objects.get(statement=statement)
        assert vote.value == -1
        assert vote.updated_at >= vote.created_at
        open_conversation.refresh_from_db()
        assert open_conversation.vote_events == 2

    def test_it_does_not_count_the_same_vote_twice(self, open_conversation, outsider):
        statement = first_statement(open_conversation)
        services.vote_cast(user=outsider, statement=statement, value=0)
        services.vote_cast(user=outsider, statement=statement, value=0)
        open_conversation.refresh_from_db()
        assert open_conversation.vote_events == 1

    def test_it_refuses_a_value_other_than_agree_disagree_or_pass(
        self, open_conversation, outsider
    ):
        with pytest.raises(ValidationError) as exc:
            services.vote_cast(user=outsider, statement=first_statement(open_conversation), value=2)
        assert "value" in exc.value.message_dict

    def test_it_serves_each_statement_once_then_stops(self, open_conversation, outsider):
        seen = []
        while (statement := selectors.next_statement(outsider, open_conversation)) is not None:
            seen.append(statement.pk)
            services.vote_cast(user=outsider, statement=statement, value=1)
        assert sorted(seen) == sorted(open_conversation.statements.values_list("pk", flat=True))

    def test_it_gives_each_user_one_anonymous_participant_number(
        self, open_conversation, outsider, member
    ):
        for user in (outsider, member):
            for statement in open_conversation.statements.all():
                services.vote_cast(user=user, statement=statement, value=1)
        numbers = sorted(open_conversation.participants.values_list("number", flat=True))
        # The creator's seeds made the creator participant 0.
        assert numbers == [0, 1, 2]


class TestModeration:
    def test_it_holds_statements_from_participants_for_moderation(self, members_only, member):
        statement = services.statement_submit(
            user=member, conversation=members_only, text="  Share   organizers across groups. "
        )
        assert statement.state == StatementState.PENDING
        assert statement.text == "Share organizers across groups."
        assert not statement.is_seeded
        with pytest.raises(ValidationError):
            services.vote_cast(user=member, statement=statement, value=1)

    def test_it_accepts_the_creators_statements_at_once_as_seeds(self, members_only):
        assert all(s.state == StatementState.ACCEPTED for s in members_only.statements.all())
        assert all(s.is_seeded for s in members_only.statements.all())

    def test_it_lets_a_moderator_accept_and_reject(self, members_only, member, organizer):
        statement = services.statement_submit(user=member, conversation=members_only, text="A")
        queue = selectors.moderation_queue(organizer, members_only)
        assert list(queue) == [statement]
        services.statement_moderate(user=organizer, statement=statement, state="accepted")
        statement.refresh_from_db()
        assert statement.state == StatementState.ACCEPTED
        assert statement.moderated_by == organizer
        services.vote_cast(user=member, statement=statement, value=1)
        services.statement_moderate(user=organizer, statement=statement, state="rejected")
        assert selectors.next_statement(member, members_only) != statement

    def test_it_shows_statements_at_once_when_moderating_afterwards(self, cast, organizer, member):
        conversation = services.conversation_create(
            user=organizer, title="Quick", organization=cast.coalition, moderation=Moderation.AFTER
        )
        statement = services.statement_submit(user=member, conversation=conversation, text="B")
        assert statement.state == StatementState.ACCEPTED

    def test_it_refuses_duplicates_and_empty_statements(self, open_conversation, outsider):
        with pytest.raises(ValidationError) as exc:
            services.statement_submit(
                user=outsider, conversation=open_conversation, text="meet in person MONTHLY."
            )
        assert "text" in exc.value.message_dict
        with pytest.raises(ValidationError):
            services.statement_submit(user=outsider, conversation=open_conversation, text="   ")
