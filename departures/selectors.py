"""What a group owns, as tables of plain values: the rows of its export.

Only the group's own data: other people's and other groups' private contact never appears
(pledges made to the group's requests leave out the pledger's contact; admins are listed by name,
with the address only of the person exporting)."""

from typing import Any

from django.db.models import Q

from actions.models import Commitment
from assemblies import ballotfiles
from assemblies.models import Assembly, Proposal, ProposalStatus, Question, QuestionState
from assemblies.selectors import ballots_visible
from coalitions.models import Membership
from directory.models import Organization, OrganizationAdmin, PrivateContact
from solidarity.models import Pledge, SupportOffer, SupportRequest

Table = tuple[list[str], list[list[Any]]]
DECIDED = (ProposalStatus.ADOPTED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN)


def listing(org: Organization) -> dict[str, Any]:
    contact = PrivateContact.objects.filter(organization=org).first()
    return {
        "name": org.name,
        "slug": org.slug,
        "kind": org.kind,
        "description": org.description,
        "home_place": org.home_place.name if org.home_place else "",
        "service_areas": sorted(org.service_areas.values_list("name", flat=True)),
        "issue_areas": sorted(org.issue_areas.values_list("slug", flat=True)),
        "website": org.website,
        "links": org.links,
        "social_links": org.social_links,
        "public_email": org.public_email,
        "public_phone": org.public_phone,
        "languages": org.languages,
        "status": org.status,
        "created_at": org.created_at.isoformat(),
        # The group's own private contact is its own data; it goes only to its admins.
        "private_contact": {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "notes": contact.notes,
        }
        if contact
        else None,
    }


def admins(org: Organization, user: Any) -> Table:
    rows = [
        [a.user.display_name or "", a.user.email if a.user_id == user.pk else "", a.created_at]
        for a in OrganizationAdmin.objects.filter(organization=org).select_related("user")
    ]
    return ["name", "email (yours only)", "admin_since"], rows


def coalition_links(org: Organization) -> Table:
    rows = [
        [m.coalition.name, m.member.name, m.status, m.created_at]
        for m in Membership.objects.filter(Q(coalition=org) | Q(member=org))
        .select_related("coalition", "member")
        .order_by("id")
    ]
    return ["coalition", "member", "status", "since"], rows


def commitments(org: Organization) -> Table:
    fields = ["call", "state", "event_date", "event_time", "time_zone", "venue", "address"]
    fields += ["expected_turnout", "held", "turnout", "outcome", "created_at"]
    rows = [
        [c.call.title, *[getattr(c, f) for f in fields[1:]]]
        for c in Commitment.objects.filter(organization=org).select_related("call").order_by("id")
    ]
    return fields, rows


def postings(model: type[SupportRequest] | type[SupportOffer], org: Organization) -> Table:
    fields = ["title", "description", "kind", "quantity", "currency", "unit", "visibility"]
    fields += ["state", "created_at"]
    rows = [
        [getattr(p, f, "") for f in fields]
        for p in model.objects.filter(organization=org).order_by("id")
    ]
    return fields, rows


def pledges(org: Organization) -> Table:
    header = ["direction", "request", "pledging_group", "amount", "delivered_amount"]
    header += ["received_amount", "state", "message", "contact_name", "contact_email", "created_at"]
    rows = []
    for p in (
        Pledge.objects.filter(Q(organization=org) | Q(request__organization=org))
        .select_related("request", "organization")
        .order_by("id")
    ):
        ours = p.organization_id == org.pk
        rows.append(
            [
                "made" if ours else "received",
                p.request.title,
                p.organization.name,
                p.amount,
                p.delivered_amount,
                p.received_amount,
                p.state,
                p.message,
                # Another group's contact person stays theirs.
                p.contact_name if ours else "",
                p.contact_email if ours else "",
                p.created_at,
            ]
        )
    return header, rows


def decisions(org: Organization) -> Table:
    assembly = Assembly.objects.filter(organization=org).first()
    if assembly is None:
        return ["title", "status", "body", "created_at"], []
    rows = [
        [p.title, p.status, p.body, p.created_at]
        for p in Proposal.objects.filter(assembly=assembly, status__in=DECIDED).order_by("id")
    ]
    return ["title", "status", "body", "created_at"], rows


def ballot_files(org: Organization, user: Any) -> list[tuple[str, str]]:
    """(file name, text) for each closed question's anonymised ballots."""
    assembly = Assembly.objects.filter(organization=org).first()
    if assembly is None:
        return []
    files = []
    for question in Question.objects.filter(assembly=assembly, state=QuestionState.CLOSED):
        if not ballots_visible(user, question):
            continue
        for fmt in ballotfiles.formats_for(question):
            text, ext = ballotfiles.export(question, fmt)
            files.append((f"ballots/question-{question.pk}.{ext}", text))
    return files
