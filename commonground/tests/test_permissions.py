"""Who may see, join, vote in and moderate a conversation."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from commonground import permissions, selectors, services
from commonground.models import Access

pytestmark = pytest.mark.django_db


def first_statement(conversation):
    return conversation.statements.order_by("number").first()


class TestTakingPart:
    def test_it_lets_members_of_member_groups_vote(self, members_only, member):
        vote = services.vote_cast(user=member, statement=first_statement(members_only), value=1)
        assert vote.value == 1

    def test_it_refuses_an_outsider_in_a_members_only_conversation(self, members_only, outsider):
        with pytest.raises(PermissionDenied):
            services.vote_cast(user=outsider, statement=first_statement(members_only), value=1)
        with pytest.raises(PermissionDenied):
            services.statement_submit(user=outsider, conversation=members_only, text="Hello")

    def test_it_lets_anyone_signed_in_vote_in_an_open_conversation(
        self, open_conversation, outsider
    ):
        services.vote_cast(user=outsider, statement=first_statement(open_conversation), value=-1)

    def test_it_refuses_anonymous_visitors(self, open_conversation):
        from django.contrib.auth.models import AnonymousUser

        with pytest.raises(PermissionDenied):
            services.vote_cast(
                user=AnonymousUser(), statement=first_statement(open_conversation), value=1
            )

    def test_it_refuses_votes_once_closed(self, open_conversation, organizer, outsider):
        services.conversation_close(user=organizer, conversation=open_conversation)
        with pytest.raises(PermissionDenied):
            services.vote_cast(user=outsider, statement=first_statement(open_conversation), value=1)


class TestModerating:
    def test_it_lets_the_coalition_admins_moderate(self, members_only, organizer, member):
        assert permissions.can_moderate(organizer, members_only)
        assert not permissions.can_moderate(member, members_only)

    def test_it_refuses_an_outsider_who_tries_to_moderate(self, members_only, member, outsider):
        statement = services.statement_submit(user=member, conversation=members_only, text="Hi")
        with pytest.raises(PermissionDenied):
            services.statement_moderate(user=outsider, statement=statement, state="accepted")
        with pytest.raises(PermissionDenied):
            services.statement_moderate(user=member, statement=statement, state="accepted")
        with pytest.raises(PermissionDenied):
            selectors.get_conversation_for_user(outsider, members_only.pk, write=True)


class TestSeeing:
    def test_it_hides_private_conversations_from_outsiders(self, cast, organizer, member, outsider):
        private = services.conversation_create(
            user=organizer,
            title="Internal strategy",
            organization=cast.coalition,
            access=Access.MEMBERS,
            is_private=True,
        )
        assert private not in selectors.conversations_for_user(outsider)
        with pytest.raises(Http404):
            selectors.get_conversation_for_user(outsider, private.pk)
        assert private in selectors.conversations_for_user(member)
        assert selectors.get_conversation_for_user(member, private.pk) == private

    def test_it_hides_conversations_of_hidden_listings(self, cast, organizer, outsider):
        conversation = services.conversation_create(
            user=organizer, title="Visible?", organization=cast.coalition
        )
        cast.coalition.is_hidden = True
        cast.coalition.save(update_fields=["is_hidden"])
        assert conversation not in selectors.conversations_for_user(outsider)

    def test_it_refuses_to_attach_to_someone_elses_group(self, cast, outsider):
        with pytest.raises(PermissionDenied):
            services.conversation_create(user=outsider, title="Mine", organization=cast.coalition)

    def test_it_asks_standalone_members_only_conversations_for_a_home(self, outsider):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as exc:
            services.conversation_create(user=outsider, title="Alone", access=Access.MEMBERS)
        assert "access" in exc.value.message_dict

    def test_it_lets_only_moderators_ask_for_a_fresh_map(self, members_only, organizer, member):
        with pytest.raises(PermissionDenied):
            services.analysis_request(user=member, conversation=members_only)
        assert services.analysis_request(user=organizer, conversation=members_only)
        assert not services.analysis_request(user=organizer, conversation=members_only)
