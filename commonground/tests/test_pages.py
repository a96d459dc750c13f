"""The conversation pages: list, voting (plain and HTMX), statements, results, moderation,
import and export."""

import pytest
from django.urls import reverse

from commonground import analysis, services
from commonground.models import Analysis, StatementState, Vote
from commonground.tests.conftest import POLARISED, camp_votes, planted_votes

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, conversation, **kwargs):
    return reverse(f"commonground:{name}", kwargs={"pk": conversation.pk, **kwargs})


class TestList:
    def test_it_lists_visible_conversations(self, client, open_conversation, members_only):
        response = client.get(reverse("commonground:list"))
        assert response.status_code == 200
        assert open_conversation.title in response.text
        assert members_only.title in response.text

    def test_it_links_from_the_coalitions_page_and_the_navigation(self, client, members_only, cast):
        response = client.get(reverse("organization", args=[cast.coalition.slug]))
        assert members_only.get_absolute_url() in response.text
        assert reverse("commonground:list") in response.text

    def test_it_refuses_the_wrong_method(self, client):
        assert client.post(reverse("commonground:list")).status_code == 405


class TestConversationPage:
    def test_it_shows_one_statement_and_the_vote_buttons(self, client, open_conversation, outsider):
        client.force_login(outsider)
        response = client.get(open_conversation.get_absolute_url())
        assert response.status_code == 200
        assert 'name="value" value="1"' in response.text
        assert response.text.count('class="statement-text"') == 1

    def test_it_swaps_in_the_next_statement_with_htmx(self, client, open_conversation, outsider):
        client.force_login(outsider)
        first, second = open_conversation.statements.order_by("-is_seeded", "number")
        response = client.post(
            url("vote", open_conversation), {"statement": first.pk, "value": "1"}, **HTMX
        )
        assert response.status_code == 200
        assert 'id="vote-card"' in response.text
        assert "<html" not in response.text
        assert 'hx-swap-oob="true"' in response.text  # "your votes" follows along
        assert Vote.objects.get(statement=first).value == 1
        next_pk = second.pk if f'value="{second.pk}"' in response.text else first.pk
        assert next_pk == second.pk

    def test_it_votes_without_javascript_too(self, client, open_conversation, outsider):
        client.force_login(outsider)
        statement = open_conversation.statements.first()
        response = client.post(
            url("vote", open_conversation), {"statement": statement.pk, "value": "-1"}
        )
        assert response.status_code == 302
        assert Vote.objects.get(statement=statement).value == -1
        # Changing the vote from "your votes" posts to the same place.
        client.post(url("vote", open_conversation), {"statement": statement.pk, "value": "0"})
        assert Vote.objects.get(statement=statement).value == 0

    def test_it_answers_a_bad_vote_with_400(self, client, open_conversation, outsider):
        client.force_login(outsider)
        statement = open_conversation.statements.first()
        response = client.post(
            url("vote", open_conversation), {"statement": statement.pk, "value": "7"}
        )
        assert response.status_code == 400

    def test_it_refuses_an_outsider_in_a_members_only_conversation(
        self, client, members_only, outsider
    ):
        client.force_login(outsider)
        page = client.get(members_only.get_absolute_url())
        assert page.status_code == 200
        assert "Only members of" in page.text
        statement = members_only.statements.first()
        response = client.post(url("vote", members_only), {"statement": statement.pk, "value": "1"})
        assert response.status_code == 403
        assert not Vote.objects.exists()

    def test_it_takes_a_statement_for_moderation(self, client, members_only, member):
        client.force_login(member)
        response = client.post(url("statement", members_only), {"text": "Pool legal aid."}, **HTMX)
        assert response.status_code == 200
        assert "once a moderator has read it" in response.text
        assert members_only.statements.get(text="Pool legal aid.").state == StatementState.PENDING
        response = client.post(url("statement", members_only), {"text": ""}, **HTMX)
        assert response.status_code == 400


class TestModerationPage:
    def test_it_shows_the_queue_to_moderators_and_acts_on_it(
        self, client, members_only, member, organizer
    ):
        statement = services.statement_submit(user=member, conversation=members_only, text="X")
        client.force_login(organizer)
        response = client.get(url("moderate", members_only))
        assert response.status_code == 200
        assert "X" in response.text
        response = client.post(
            url("moderate", members_only), {"statement": statement.pk, "state": "accepted"}, **HTMX
        )
        assert response.status_code == 200
        statement.refresh_from_db()
        assert statement.state == StatementState.ACCEPTED

    def test_it_refuses_outsiders_and_members(self, client, members_only, member, outsider):
        for user in (member, outsider):
            client.force_login(user)
            assert client.get(url("moderate", members_only)).status_code == 403


class TestResults:
    def test_it_draws_the_map_and_the_groups(self, client, open_conversation, organizer, outsider):
        votes, comments, _ = planted_votes(n_per_group=12, n_statements=10)
        services.polis_import(
            user=organizer,
            conversation=open_conversation,
            votes_file=votes.encode(),
            comments_file=comments.encode(),
        )
        analysis.analysis_compute(open_conversation.pk)
        client.force_login(outsider)
        response = client.get(url("results", open_conversation))
        assert response.status_code == 200
        text = response.text
        assert "<svg" in text and text.count("<circle") >= 24
        assert "<polygon" in text
        assert "Group A" in text and "Group B" in text
        assert "What divides them" in text
        # Each planted group agrees with its own half and rejects the rest: nothing is shared.
        assert "No common ground has emerged yet." in text
        assert "Planted statement" in text
        assert organizer.email not in text

    def _import(self, conversation, organizer, statements):
        votes, comments = camp_votes(statements)
        services.polis_import(
            user=organizer,
            conversation=conversation,
            votes_file=votes.encode(),
            comments_file=comments.encode(),
        )
        return analysis.analysis_compute(conversation.pk)

    def test_it_says_no_common_ground_has_emerged_between_two_opposed_camps(
        self, client, open_conversation, organizer, outsider
    ):
        self._import(open_conversation, organizer, POLARISED)
        client.force_login(outsider)
        text = client.get(url("results", open_conversation)).text
        assert "No common ground has emerged yet." in text
        assert "More statements" in text
        common = text[text.index('id="bridges-heading"') : text.index('id="stands-heading"')]
        assert "Camp statement" not in common
        assert "Agreed across groups" not in common and "Bridging statements" not in common

    def test_it_lists_what_both_camps_share(self, client, open_conversation, organizer, outsider):
        self._import(open_conversation, organizer, [(1, 1), (-1, -1), *POLARISED])
        client.force_login(outsider)
        text = client.get(url("results", open_conversation)).text
        common = text[text.index('id="bridges-heading"') : text.index('id="stands-heading"')]
        assert "No common ground" not in common
        assert "Camp statement 0" in common and "Camp statement 1" in common
        assert "every group agrees" in common and "every group disagrees" in common
        assert "Camp statement 2" not in common

    def test_it_gates_a_map_stored_before_the_rule_existed(
        self, client, open_conversation, organizer, outsider
    ):
        stored = self._import(open_conversation, organizer, POLARISED)
        old = dict(stored.result)
        del old["common_ground"]
        Analysis.objects.filter(pk=stored.pk).update(result=old)
        client.force_login(outsider)
        text = client.get(url("results", open_conversation)).text
        assert "No common ground has emerged yet." in text

    def test_it_says_when_the_map_is_being_redrawn(self, client, open_conversation, outsider):
        client.force_login(outsider)
        services.vote_cast(user=outsider, statement=open_conversation.statements.first(), value=1)
        response = client.get(url("results", open_conversation))
        assert response.status_code == 200
        assert "Redrawing" in response.text
        analysis.analysis_compute(open_conversation.pk)
        services.vote_cast(user=outsider, statement=open_conversation.statements.last(), value=1)
        status = client.get(url("status", open_conversation))
        assert "1 vote ago" in status.text

    def test_it_hides_private_results_from_outsiders(self, client, cast, organizer, outsider):
        private = services.conversation_create(
            user=organizer, title="Internal", organization=cast.coalition, is_private=True
        )
        client.force_login(outsider)
        assert client.get(url("results", private)).status_code == 404
        assert client.get(private.get_absolute_url()).status_code == 404
        assert "Internal" not in client.get(reverse("commonground:list")).text


class TestImportExportPages:
    def test_it_imports_an_upload_and_offers_downloads(self, client, open_conversation, organizer):
        from django.core.files.uploadedfile import SimpleUploadedFile

        votes, comments, _ = planted_votes(n_per_group=5, n_statements=6)
        client.force_login(organizer)
        response = client.post(
            url("import", open_conversation),
            {
                "votes": SimpleUploadedFile("votes.csv", votes.encode()),
                "comments": SimpleUploadedFile("comments.csv", comments.encode()),
            },
        )
        assert response.status_code == 302
        download = client.get(url("export", open_conversation, which="participants-votes"))
        assert download.status_code == 200
        assert download["Content-Type"].startswith("text/csv")
        assert download.content.startswith(b"participant,group-id")

    def test_it_names_the_bad_field_of_an_upload(self, client, open_conversation, organizer):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(organizer)
        response = client.post(
            url("import", open_conversation),
            {"votes": SimpleUploadedFile("votes.csv", b"voter,vote\n1,1\n")},
        )
        assert response.status_code == 400
        assert "missing column" in response.text

    def test_it_refuses_outsiders(self, client, open_conversation, outsider):
        client.force_login(outsider)
        assert client.get(url("import", open_conversation)).status_code == 403
        assert client.get(url("export", open_conversation, which="votes")).status_code == 403


class TestClosing:
    def test_it_lets_a_moderator_close_and_reopen(self, client, open_conversation, organizer):
        client.force_login(organizer)
        response = client.post(url("close", open_conversation), {"closed": "1"})
        assert response.status_code == 302
        open_conversation.refresh_from_db()
        assert open_conversation.is_closed
        client.post(url("close", open_conversation), {"closed": "0"})
        open_conversation.refresh_from_db()
        assert not open_conversation.is_closed

    def test_it_refuses_outsiders_and_the_wrong_method(self, client, open_conversation, outsider):
        client.force_login(outsider)
        assert client.post(url("close", open_conversation), {"closed": "1"}).status_code == 403
        assert client.get(url("close", open_conversation)).status_code == 405
        assert client.get(url("vote", open_conversation)).status_code == 405
