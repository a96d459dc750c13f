"""Issue clusters: who is in each, offers to lead and the coalition's answers, joint clusters,
and every refusal."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from coalitions import cluster_selectors as clusters
from coalitions import cluster_services as services
from coalitions import selectors
from coalitions.models import ClusterLead, LeadStatus, Membership, MembershipStatus, Notice
from directory.models import IssueArea

pytestmark = pytest.mark.django_db


def area(slug: str) -> IssueArea:
    return IssueArea.objects.get(slug=slug)


def names(rows) -> list[str]:
    return [org.name for org in rows]


def overview(coalition):
    summary = selectors.member_summary(selectors.coalition_members(coalition))
    return clusters.cluster_overview(coalition, summary)


def make_call(places, coalition, title, *slugs, state="gathering"):
    from actions.models import CallToAction

    soon = timezone.now() + timedelta(days=30)
    call = CallToAction.objects.create(
        title=title,
        slug=title.lower().replace(" ", "-"),
        description="…",
        starts_at=soon,
        scope=places["oregon"],
        coalition=coalition,
        min_organizations=10,
        deadline=soon,
        state=state,
        issue_mask=sum(1 << area(s).bit for s in slugs),
    )
    call.issue_areas.set([area(s) for s in slugs])
    return call


def commit(call, org):
    from actions.models import Commitment

    return Commitment.objects.create(call=call, organization=org)


# Who is in a cluster -----------------------------------------------------------------------


def test_it_puts_members_in_the_clusters_of_their_own_issue_areas(clustered):
    c = clustered
    assert names(clusters.cluster_members(c.coalition, area("housing"))) == [
        "Portland Tenants Union",
        "Salem Land Trust",
    ]
    assert names(clusters.cluster_members(c.coalition, area("transportation"))) == [
        "Portland Riders Union",
        "Salem Land Trust",
    ]
    assert names(clusters.cluster_members(c.coalition, area("climate"))) == []


def test_it_leaves_non_members_out_of_every_cluster(clustered):
    assert clustered.stranger not in clusters.cluster_members(clustered.coalition, area("housing"))


def test_it_lets_a_group_join_a_cluster_its_listing_does_not_name(clustered):
    c = clustered
    services.cluster_join(
        user=c.rider, coalition=c.coalition, issue=area("housing"), member=c.riders
    )
    assert c.riders in clusters.cluster_members(c.coalition, area("housing"))
    assert AuditEvent.objects.filter(action="cluster.join").exists()


def test_it_lets_a_group_leave_a_cluster_of_its_own_issue(clustered, organizer):
    c = clustered
    services.cluster_leave(
        user=organizer, coalition=c.coalition, issue=area("housing"), member=c.tenants
    )
    assert names(clusters.cluster_members(c.coalition, area("housing"))) == ["Salem Land Trust"]
    assert AuditEvent.objects.filter(action="cluster.leave").exists()


def test_it_refuses_a_choice_from_someone_who_is_not_the_groups_admin(clustered, member, outsider):
    c = clustered
    for user in (member, outsider):
        with pytest.raises(PermissionDenied):
            services.cluster_leave(
                user=user, coalition=c.coalition, issue=area("housing"), member=c.tenants
            )


def test_it_refuses_a_cluster_the_coalition_does_not_work_on(clustered, organizer):
    with pytest.raises(ValidationError):
        services.cluster_join(
            user=organizer,
            coalition=clustered.coalition,
            issue=area("health"),
            member=clustered.tenants,
        )


def test_it_refuses_a_group_that_is_not_a_member(clustered, outsider):
    with pytest.raises(ValidationError):
        services.cluster_join(
            user=outsider,
            coalition=clustered.coalition,
            issue=area("housing"),
            member=clustered.stranger,
        )


# Counting, for the coalition's page ----------------------------------------------------------


def test_it_counts_clusters_and_joint_clusters_with_the_choices_applied(clustered, organizer):
    c = clustered
    before = overview(c.coalition)
    counts = {row.issue.slug: row.count for row in before.clusters}
    assert counts == {"climate": 0, "housing": 2, "transportation": 2}
    assert [(j.a.slug, j.b.slug, j.count) for j in before.joints] == [
        ("climate", "transportation", 0),
        ("housing", "transportation", 1),
    ]
    # The tenants' union joins transportation and leaves housing: every count follows.
    services.cluster_join(
        user=organizer, coalition=c.coalition, issue=area("transportation"), member=c.tenants
    )
    services.cluster_leave(
        user=organizer, coalition=c.coalition, issue=area("housing"), member=c.tenants
    )
    after = overview(c.coalition)
    assert {row.issue.slug: row.count for row in after.clusters} == {
        "climate": 0,
        "housing": 1,
        "transportation": 3,
    }
    assert [j.count for j in after.joints] == [0, 1]
    # The counts agree with the lists the cluster pages show.
    for row in after.clusters:
        assert row.count == clusters.cluster_members(c.coalition, row.issue).count()


def test_it_counts_only_current_members(clustered, organizer):
    Membership.objects.filter(member=clustered.tenants).update(status=MembershipStatus.LEFT)
    counts = {row.issue.slug: row.count for row in overview(clustered.coalition).clusters}
    assert counts["housing"] == 1


def test_it_has_no_clusters_when_the_coalition_names_no_issue(cast):
    assert overview(cast.coalition).clusters == []


# Leads -----------------------------------------------------------------------------------------


def volunteer(c, user, group, slug="housing", message="We have organized tenants since 2019."):
    return services.lead_volunteer(
        user=user, coalition=c.coalition, issue=area(slug), member=group, message=message
    )


def test_it_makes_a_lead_when_the_coalition_confirms_an_offer(clustered, organizer, member):
    c = clustered
    lead = volunteer(c, organizer, c.tenants)
    assert lead.status == LeadStatus.VOLUNTEERED
    # The coalition's admin is told by notice and by mail.
    assert Notice.objects.filter(user=member, text__contains="offers to lead").exists()
    assert any("offers to lead" in m.subject for m in mail.outbox)
    lead = services.lead_confirm(user=member, lead=lead, message="Welcome.")
    assert lead.status == LeadStatus.CONFIRMED
    assert Notice.objects.filter(user=organizer, text__contains="confirmed").exists()
    assert [row.leads for row in overview(c.coalition).clusters if row.issue.slug == "housing"] == [
        [c.tenants]
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"cluster_lead.volunteered", "cluster_lead.confirmed"} <= actions


def test_it_allows_several_leads_per_cluster(clustered, organizer, member):
    c = clustered
    services.lead_confirm(user=member, lead=volunteer(c, organizer, c.tenants))
    services.lead_confirm(user=member, lead=volunteer(c, c.rider, c.trust))
    leads = clusters.cluster_leads(member, clusters.Cluster(c.coalition, area("housing")))
    assert names(lead.organization for lead in leads["confirmed"]) == [
        "Portland Tenants Union",
        "Salem Land Trust",
    ]


def test_it_tells_the_group_when_the_coalition_declines(clustered, organizer, member):
    lead = volunteer(clustered, organizer, clustered.tenants)
    lead = services.lead_decline(user=member, lead=lead, message="Let's talk first.")
    assert lead.status == LeadStatus.DECLINED and lead.answer == "Let's talk first."
    notice = Notice.objects.get(user=organizer, text__contains="declined")
    assert notice.url.endswith("/clusters/housing/")
    with pytest.raises(ValidationError):
        services.lead_confirm(user=member, lead=lead)


def test_it_lets_a_declined_group_offer_again(clustered, organizer, member):
    lead = volunteer(clustered, organizer, clustered.tenants)
    services.lead_decline(user=member, lead=lead)
    again = volunteer(clustered, organizer, clustered.tenants, message="A year on.")
    assert again.pk == lead.pk and again.status == LeadStatus.VOLUNTEERED


def test_it_refuses_a_second_offer_while_the_first_stands(clustered, organizer):
    volunteer(clustered, organizer, clustered.tenants)
    with pytest.raises(ValidationError):
        volunteer(clustered, organizer, clustered.tenants)


def test_it_refuses_an_offer_from_a_group_outside_the_cluster(clustered):
    with pytest.raises(ValidationError, match="must join the cluster"):
        volunteer(clustered, clustered.rider, clustered.riders)


def test_it_refuses_an_offer_from_someone_who_is_not_the_groups_admin(clustered, member, outsider):
    for user in (member, outsider):
        with pytest.raises(PermissionDenied):
            volunteer(clustered, user, clustered.tenants)
    with pytest.raises(ValidationError):
        volunteer(clustered, outsider, clustered.stranger)


def test_it_lets_only_the_coalitions_admins_answer(clustered, organizer, outsider):
    lead = volunteer(clustered, organizer, clustered.tenants)
    for user in (organizer, outsider, clustered.rider):
        for answer in (services.lead_confirm, services.lead_decline):
            with pytest.raises(PermissionDenied):
                answer(user=user, lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.VOLUNTEERED


def test_it_lets_a_lead_step_down_and_tells_the_coalition(clustered, organizer, member, outsider):
    lead = services.lead_confirm(
        user=member, lead=volunteer(clustered, organizer, clustered.tenants)
    )
    for user in (member, outsider):
        with pytest.raises(PermissionDenied):
            services.lead_step_down(user=user, lead=lead)
    lead = services.lead_step_down(user=organizer, lead=lead, message="Too much on our plate.")
    assert lead.status == LeadStatus.STEPPED_DOWN
    assert Notice.objects.filter(user=member, text__contains="no longer leads").exists()
    with pytest.raises(ValidationError):
        services.lead_step_down(user=organizer, lead=lead)


def test_it_lets_the_coalition_withdraw_a_lead_with_a_reason(clustered, organizer, member):
    lead = services.lead_confirm(
        user=member, lead=volunteer(clustered, organizer, clustered.tenants)
    )
    with pytest.raises(PermissionDenied):
        services.lead_withdraw(user=organizer, lead=lead, reason="We quit")
    with pytest.raises(ValidationError, match="Say why"):
        services.lead_withdraw(user=member, lead=lead, reason="  ")
    lead = services.lead_withdraw(user=member, lead=lead, reason="No meeting held in a year.")
    assert lead.status == LeadStatus.WITHDRAWN
    notice = Notice.objects.get(user=organizer, text__contains="withdrew")
    assert notice.text.startswith("Oregon Housing Coalition withdrew Portland Tenants Union")
    assert AuditEvent.objects.filter(action="cluster_lead.withdrawn").exists()


def test_it_refuses_to_confirm_a_group_that_has_left(clustered, organizer, member):
    lead = volunteer(clustered, organizer, clustered.tenants)
    Membership.objects.filter(member=clustered.tenants).update(status=MembershipStatus.LEFT)
    with pytest.raises(ValidationError):
        services.lead_confirm(user=member, lead=lead)


def test_it_keeps_a_lead_in_its_cluster_until_it_steps_down(clustered, organizer, member):
    services.lead_confirm(user=member, lead=volunteer(clustered, organizer, clustered.tenants))
    with pytest.raises(ValidationError, match="step down"):
        services.cluster_leave(
            user=organizer,
            coalition=clustered.coalition,
            issue=area("housing"),
            member=clustered.tenants,
        )


def test_it_shows_offers_only_to_the_two_sides(clustered, organizer, member, outsider):
    lead = volunteer(clustered, organizer, clustered.tenants)
    cluster = clusters.Cluster(clustered.coalition, area("housing"))
    assert clusters.cluster_leads(member, cluster)["waiting"] == [lead]
    assert clusters.cluster_leads(organizer, cluster)["waiting"] == [lead]
    assert clusters.cluster_leads(outsider, cluster)["waiting"] == []
    from django.http import Http404

    with pytest.raises(Http404):
        clusters.get_lead_for_user(outsider, lead.pk)
    services.lead_confirm(user=member, lead=lead)
    assert clusters.get_lead_for_user(outsider, lead.pk) == lead


# What the coalition's admins see beside an offer ----------------------------------------------


def test_it_records_how_long_a_group_has_worked_on_the_issue(clustered, places, organizer):
    c = clustered
    old = make_call(places, c.coalition, "Rent strike", "housing", state="go")
    old_commitment = commit(old, c.tenants)
    long_ago = timezone.now() - timedelta(days=800)
    type(old_commitment).objects.filter(pk=old_commitment.pk).update(created_at=long_ago)
    live = make_call(places, c.coalition, "Eviction watch", "housing")
    commit(live, c.tenants)
    make_call(places, c.coalition, "Fare free day", "transportation")
    record = clusters.lead_record(c.coalition, area("housing"), c.tenants)
    assert record.listed_on_issue
    assert record.calls_on_issue == 2
    assert record.active_since == long_ago
    assert {call.title for call in record.live_calls} == {"Eviction watch", "Rent strike"}
    assert record.in_area is True
    assert record.member_since is not None


def test_it_says_when_a_group_has_no_record_on_the_issue(clustered, places):
    record = clustered_record = clusters.lead_record(
        clustered.coalition, area("housing"), clustered.riders
    )
    assert clustered_record is record
    assert not record.listed_on_issue and record.active_since is None
    assert record.calls_on_issue == 0 and record.live_calls == []


# Calls and conversations on an issue and across two --------------------------------------------


def test_it_finds_the_calls_and_conversations_of_a_cluster_and_a_joint_cluster(
    clustered, places, organizer
):
    from commonground.models import Conversation

    c = clustered
    housing, transport = area("housing"), area("transportation")
    rent = make_call(places, c.coalition, "Rent strike", "housing")
    both = make_call(places, c.coalition, "Homes near transit", "housing", "transportation")
    fares = make_call(places, c.coalition, "Fare free day", "transportation")
    Conversation.objects.create(title="Rent talk", call=rent)
    Conversation.objects.create(title="Transit homes talk", call=both)
    Conversation.objects.create(title="Trust talk", organization=c.trust)
    Conversation.objects.create(title="Secret", organization=c.trust, is_private=True)
    assert set(clusters.cluster_calls(c.coalition, housing)) == {rent, both}
    assert set(clusters.cluster_calls(c.coalition, transport)) == {both, fares}
    joint = clusters.cluster_work(c.coalition, housing, transport)
    assert joint.calls == [both]
    assert {t.title for t in joint.conversations} == {"Transit homes talk", "Trust talk"}
    housing_talks = clusters.cluster_work(c.coalition, housing).conversations
    assert {t.title for t in housing_talks} == {"Rent talk", "Transit homes talk", "Trust talk"}


def test_it_includes_calls_its_groups_committed_to_elsewhere_but_not_hidden_ones(
    clustered, places, organizer, outsider
):
    from directory import services as directory_services

    c = clustered
    other = directory_services.organization_create(
        user=outsider, name="Statewide Renters", kind="coalition", home_place=places["oregon"]
    )
    elsewhere = make_call(places, other, "Statewide rent day", "housing")
    commit(elsewhere, c.tenants)
    make_call(places, other, "Unrelated housing call", "housing")
    titles = {call.title for call in clusters.cluster_calls(c.coalition, area("housing"))}
    assert titles == {"Statewide rent day"}
    other.is_hidden = True
    other.save()
    assert list(clusters.cluster_calls(c.coalition, area("housing"))) == []


def test_it_reports_joint_pairs_from_the_taxonomy(clustered):
    pairs = clusters.joint_pairs(clusters.coalition_issue_areas(clustered.coalition))
    assert [(a.slug, b.slug) for a, b, _ in pairs] == [
        ("climate", "transportation"),
        ("housing", "transportation"),
    ]


def test_it_does_not_list_a_lead_that_left_the_coalition(clustered, organizer, member):
    services.lead_confirm(user=member, lead=volunteer(clustered, organizer, clustered.tenants))
    Membership.objects.filter(member=clustered.tenants).update(status=MembershipStatus.LEFT)
    assert list(clusters.confirmed_leads(clustered.coalition)) == []
    assert ClusterLead.objects.get().status == LeadStatus.CONFIRMED


def test_it_leaves_hidden_coalitions_calls_out_of_a_groups_record(clustered, places, outsider):
    from directory import services as directory_services

    hidden = directory_services.organization_create(
        user=outsider, name="Quiet Network", kind="coalition", home_place=places["oregon"]
    )
    hidden.is_hidden = True
    hidden.save()
    commit(make_call(places, hidden, "Quiet rent day", "housing"), clustered.tenants)
    record = clusters.lead_record(clustered.coalition, area("housing"), clustered.tenants)
    assert record.calls_on_issue == 0 and record.live_calls == []


def test_it_lets_a_group_withdraw_its_offer_before_the_answer(clustered, organizer, member):
    lead = services.lead_step_down(
        user=organizer, lead=volunteer(clustered, organizer, clustered.tenants)
    )
    assert lead.status == LeadStatus.STEPPED_DOWN
    assert Notice.objects.filter(user=member, text__contains="withdrew its offer").exists()
    with pytest.raises(ValidationError):
        services.lead_confirm(user=member, lead=lead)
