"""Cluster pages and their steps: the normal case, the wrong method, and outsiders refused."""

import pytest
from django.test import Client
from django.urls import reverse

from coalitions import cluster_services
from coalitions.models import ClusterChoice, ClusterLead, LeadStatus
from directory.models import IssueArea, PrivateContact

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cluster_url(c, slug="housing", name="cluster") -> str:
    return reverse(f"coalitions:{name}", args=[c.coalition.slug, slug])


def offer(c, organizer):
    return cluster_services.lead_volunteer(
        user=organizer,
        coalition=c.coalition,
        issue=IssueArea.objects.get(slug="housing"),
        member=c.tenants,
        message="Tenants organized here since 2019.",
    )


# Reading -------------------------------------------------------------------------------------


def test_it_shows_a_cluster_page_to_anyone(client, clustered):
    response = client.get(cluster_url(clustered))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Housing cluster" in body
    assert "Portland Tenants Union" in body and "Salem Land Trust" in body
    assert "Portland Riders Union" not in body.split('id="joints"')[0]
    # The joint cluster lists the group in both, and says what it cannot show yet.
    joint = body.split('id="joint-transportation"')[1]
    assert "Salem Land Trust" in joint
    assert "No call to action spans both issues yet." in joint


def test_it_says_so_when_no_group_works_on_both(client, clustered):
    body = client.get(cluster_url(clustered, "climate")).content.decode()
    assert "No group works on both yet." in body
    assert "No member group works on Climate yet." in body


def test_it_answers_404_for_an_issue_the_coalition_does_not_work_on(client, clustered):
    assert client.get(cluster_url(clustered, "health")).status_code == 404
    assert client.get(cluster_url(clustered, "no-such-issue")).status_code == 404


def test_it_hides_the_clusters_of_a_hidden_coalition_from_outsiders(clustered, outsider, member):
    clustered.coalition.is_hidden = True
    clustered.coalition.save()
    assert signed_in(outsider).get(cluster_url(clustered)).status_code == 404
    assert signed_in(outsider).get(cluster_url(clustered, name="cluster_map")).status_code == 404


def test_it_refuses_writing_methods_on_the_page_and_reading_ones_on_steps(client, clustered):
    assert client.post(cluster_url(clustered)).status_code == 405
    assert client.post(cluster_url(clustered, name="cluster_map")).status_code == 405
    for name in ("cluster_choose", "lead_volunteer"):
        assert client.get(cluster_url(clustered, name=name)).status_code == 405
    for name in ("lead_answer", "lead_step_down", "lead_withdraw"):
        assert client.get(reverse(f"coalitions:{name}", args=[1])).status_code == 405


def test_it_gives_the_map_the_clusters_members_only(client, clustered):
    clustered.tenants.latitude, clustered.tenants.longitude = 45.5, -122.6
    clustered.tenants.save()
    clustered.riders.latitude, clustered.riders.longitude = 45.5, -122.7
    clustered.riders.save()
    data = client.get(cluster_url(clustered, name="cluster_map")).json()
    shown = {p["name"] for p in data["points"]}
    assert "Portland Tenants Union" in shown and "Portland Riders Union" not in shown


def test_it_lists_clusters_and_joint_clusters_on_the_coalition_page(client, clustered):
    body = client.get(reverse("coalitions:detail", args=[clustered.coalition.slug])).content
    text = body.decode().split('id="clusters"')[1]
    assert "Housing" in text and "Transportation" in text and "Climate" in text
    assert "no lead group yet" in text
    assert "1 group works on both" in text
    assert "no group works on both yet" in text


def test_it_never_shows_private_contact(client, clustered, organizer, member):
    PrivateContact.objects.create(organization=clustered.tenants, email="secret@example.org")
    offer(clustered, organizer)
    for user in (None, member, organizer):
        c = signed_in(user) if user else client
        assert "secret@example.org" not in c.get(cluster_url(clustered)).content.decode()


# A group's admins ------------------------------------------------------------------------------


def test_it_lets_a_groups_admin_leave_and_rejoin_a_cluster(clustered, organizer):
    client = signed_in(organizer)
    page = client.get(cluster_url(clustered)).content.decode()
    assert "in this cluster, by its issue areas" in page
    url = cluster_url(clustered, name="cluster_choose")
    response = client.post(url, {"group": clustered.tenants.pk, "decision": "leave"})
    assert response.status_code == 302
    assert ClusterChoice.objects.get().joined is False
    page = client.get(cluster_url(clustered)).content.decode()
    assert "not in this cluster, by its admins" in page
    client.post(url, {"group": clustered.tenants.pk, "decision": "join"})
    assert ClusterChoice.objects.get().joined is True


def test_it_refuses_a_choice_for_someone_elses_group(clustered, outsider, member):
    url = cluster_url(clustered, name="cluster_choose")
    data = {"group": clustered.tenants.pk, "decision": "leave"}
    # Someone with no member group is refused outright, on both steps of a group.
    for user in (outsider, member):
        assert signed_in(user).post(url, data).status_code == 403
        volunteer = cluster_url(clustered, name="lead_volunteer")
        assert signed_in(user).post(volunteer, {"group": clustered.tenants.pk}).status_code == 403
    # An admin of another member group may not choose for this one: the form refuses it.
    assert signed_in(clustered.rider).post(url, data).status_code == 400
    assert not ClusterChoice.objects.exists()


def test_it_sends_the_signed_out_to_sign_in(client, clustered):
    url = cluster_url(clustered, name="cluster_choose")
    response = client.post(url, {"group": clustered.tenants.pk, "decision": "leave"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_lets_a_member_group_offer_to_lead(clustered, organizer, member):
    client = signed_in(organizer)
    url = cluster_url(clustered, name="lead_volunteer")
    response = client.post(url, {"group": clustered.tenants.pk, "message": "Since 2019."})
    assert response.status_code == 302
    lead = ClusterLead.objects.get()
    assert lead.status == LeadStatus.VOLUNTEERED
    # The coalition's admin sees the offer with the group's record beside it.
    page = signed_in(member).get(cluster_url(clustered)).content.decode()
    offers = page.split('id="offers"')[1]
    assert "Portland Tenants Union" in offers and "Since 2019." in offers
    assert "Its listing names Housing" in offers and "No live call on Housing" in offers
    assert "Confirm as lead" in offers


def test_it_shows_why_an_offer_was_refused(clustered):
    client = signed_in(clustered.rider)
    url = cluster_url(clustered, name="lead_volunteer")
    response = client.post(url, {"group": clustered.riders.pk})
    assert response.status_code == 400
    assert "must join the cluster before it can lead it" in response.content.decode()


def test_it_hides_offers_from_outsiders(clustered, organizer, outsider):
    lead = offer(clustered, organizer)
    page = signed_in(outsider).get(cluster_url(clustered)).content.decode()
    assert 'id="offers"' not in page
    response = signed_in(outsider).post(
        reverse("coalitions:lead_answer", args=[lead.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 404


# The coalition's admins -------------------------------------------------------------------------


def test_it_lets_the_coalitions_admin_confirm_an_offer(clustered, organizer, member):
    lead = offer(clustered, organizer)
    url = reverse("coalitions:lead_answer", args=[lead.pk])
    response = signed_in(member).post(url, {"decision": "confirm", "message": "Welcome."})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONFIRMED
    page = signed_in(organizer).get(cluster_url(clustered)).content.decode()
    assert "Portland Tenants Union" in page.split('id="leads"')[1].split("</section>")[0]


def test_it_refuses_the_offering_group_answering_itself(clustered, organizer):
    lead = offer(clustered, organizer)
    url = reverse("coalitions:lead_answer", args=[lead.pk])
    assert signed_in(organizer).post(url, {"decision": "confirm"}).status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.VOLUNTEERED


def test_it_asks_for_a_reason_to_withdraw_a_lead(clustered, organizer, member):
    lead = cluster_services.lead_confirm(user=member, lead=offer(clustered, organizer))
    url = reverse("coalitions:lead_withdraw", args=[lead.pk])
    response = signed_in(member).post(url, {"reason": ""})
    assert response.status_code == 400
    assert signed_in(organizer).post(url, {"reason": "Mine"}).status_code == 403
    response = signed_in(member).post(url, {"reason": "No meeting held in a year."})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WITHDRAWN


def test_it_lets_a_lead_step_down_from_the_page(clustered, organizer, member, outsider):
    lead = cluster_services.lead_confirm(user=member, lead=offer(clustered, organizer))
    url = reverse("coalitions:lead_step_down", args=[lead.pk])
    assert signed_in(outsider).post(url, {"message": ""}).status_code == 403
    assert signed_in(organizer).post(url, {"message": "Stretched thin."}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.STEPPED_DOWN


def test_it_lists_a_members_clusters_on_its_membership_page(client, clustered):
    from coalitions.models import Membership

    m = Membership.objects.get(member=clustered.tenants)
    body = client.get(reverse("coalitions:membership", args=[m.pk])).content.decode()
    section = body.split('id="member-clusters"')[1]
    assert "Housing</a> — in this cluster" in section
    assert "Transportation</a> — not in it" in section


def test_it_shows_the_group_the_coalitions_answer_to_its_offer(clustered, organizer, member):
    cluster_services.lead_decline(
        user=member, lead=offer(clustered, organizer), message="Talk to the trust first."
    )
    page = signed_in(organizer).get(cluster_url(clustered)).content.decode()
    assert "Talk to the trust first." in page.split('id="your-groups"')[1]
    assert (
        "Talk to the trust first."
        not in signed_in(clustered.rider).get(cluster_url(clustered)).content.decode()
    )


def test_it_tells_the_coalitions_admins_of_offers_waiting(client, clustered, organizer, member):
    offer(clustered, organizer)
    url = reverse("coalitions:detail", args=[clustered.coalition.slug])
    assert "1 offer to lead waits for your answer" in signed_in(member).get(url).content.decode()
    assert "offer to lead waits" not in client.get(url).content.decode()
