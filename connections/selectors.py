"""Reads for whom-to-meet and introductions, limited to what the asker may see.

`suggestions_for_group` lives in connections/suggest.py and is re-exported here, beside
`suggestions_for_coalition`, so the benchmarks find both in one place.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from coalitions import selectors as coalition_selectors
from coalitions.models import Membership
from connections import permissions
from connections.models import (
    Answer,
    Dismissal,
    Introduction,
    IntroductionSide,
    IntroductionStatus,
)
from connections.suggest import (
    LIVE,
    CoalitionSuggestions,
    Suggestion,
    _issues_by_bit,
    _mask_q,
    _names,
    _not_gone,
    suggestions_for_group,
    ties_touching,
    words,
)
from directory import permissions as directory_permissions
from directory.models import Organization, OrganizationKind, PrivateContact

__all__ = ["suggestions_for_coalition", "suggestions_for_group"]

GAP_CANDIDATES = 40
GENERAL_CANDIDATES = 400


def suggestions_for_coalition(
    user: Any, coalition: Organization, limit: int = 10
) -> CoalitionSuggestions:
    """Groups in the coalition's area on its issues that are neither members nor asked or
    invited, and the places and issues inside its area where it has no member."""
    if not permissions.can_see_suggestions(user, coalition):
        raise PermissionDenied(
            _("Only this coalition's admins and coordinators see its suggestions.")
        )
    result = CoalitionSuggestions(coalition=coalition)
    span = coalition_selectors.coalition_span(coalition)
    if span is None:
        result.missing.append(
            _("No suggestions yet: set the place or region your coalition spans, and its issues.")
        )
        return result
    dismissed = set(Dismissal.objects.filter(owner=coalition).values_list("key", flat=True))
    areas = _issues_by_bit()
    # The coalition page's own sums, remembered until the directory changes.
    summary, coverage = coalition_selectors.coalition_sums(coalition, span)
    gaps = [p for p in coverage.gaps if f"place:{p.pk}" not in dismissed]
    for place in gaps[:limit]:
        result.gap_places.append(
            Suggestion(
                kind="place",
                key=f"place:{place.pk}",
                name=place.name,
                url=reverse("place", args=[place.slug]),
                reasons=[
                    _("no member of yours is based in or serves %(place)s") % {"place": place.name}
                ],
                pk=place.pk,
                slug=place.slug,
            )
        )
    covered_mask = 0
    for mask in summary.by_mask:
        covered_mask |= mask
    missing_mask = coalition.issue_mask & ~covered_mask
    for bit in range(missing_mask.bit_length()):
        area = areas.get(bit)
        if not missing_mask >> bit & 1 or area is None or f"issue:{area.slug}" in dismissed:
            continue
        result.gap_issues.append(
            Suggestion(
                kind="issue",
                key=f"issue:{area.slug}",
                name=area.name,
                url=reverse("directory:search") + f"?issue={area.slug}&place={span.slug}",
                reasons=[
                    _("none of your members works on %(issue)s") % {"issue": area.name.lower()}
                ],
                slug=area.slug,
            )
        )
    if not coalition.issue_mask:
        result.missing.append(
            _(
                "No suggestions of groups yet: list your coalition's issues, so that groups on them can be found."
            )
        )
        return result
    result.groups = _groups_to_invite(coalition, span, gaps, missing_mask, dismissed, areas, limit)
    return result


def _groups_to_invite(
    coalition: Organization,
    span: Any,
    gaps: list[Any],
    missing_mask: int,
    dismissed: set[str],
    areas: dict[int, Any],
    limit: int,
) -> list[Suggestion]:
    taken = Membership.objects.filter(coalition=coalition, status__in=LIVE).values("member_id")
    base = (
        Organization.objects.public()
        .filter(_not_gone())
        .exclude(kind=OrganizationKind.COALITION)
        .exclude(pk=coalition.pk)
        .filter(_mask_q(coalition.issue_mask))
        .exclude(pk__in=taken)
        .order_by()
    )
    fields = ("id", "name", "slug", "issue_mask", "place_lft")
    rows: dict[int, dict[str, Any]] = {}
    gap_of: dict[int, str] = {}
    # Groups in the places where the coalition has no one come first: they close a gap.
    for place in gaps[: GAP_CANDIDATES // 4]:
        for row in base.filter(place.contains_q()).values(*fields)[:GAP_CANDIDATES]:
            rows[row["id"]] = row
            gap_of[row["id"]] = place.name
    for row in base.filter(span.contains_q()).values(*fields)[:GENERAL_CANDIDATES]:
        rows.setdefault(row["id"], row)
    ids = [pk for pk in rows if f"org:{pk}" not in dismissed]
    member_ids = set(
        Membership.objects.filter(coalition=coalition, status="active").values_list(
            "member_id", flat=True
        )
    )
    touching: dict[int, int] = {}
    for low, high in ties_touching(ids):
        for mine, other in ((low, high), (high, low)):
            if mine in rows and other in member_ids:
                touching[mine] = touching.get(mine, 0) + 1
    found = []
    for pk in ids:
        row = rows[pk]
        shared = row["issue_mask"] & coalition.issue_mask
        reasons = [_("both on %(issues)s") % {"issues": words(_names(shared, areas))}]
        score = 2.0 * bin(shared).count("1")
        if pk in gap_of:
            score += 3.0
            reasons.append(
                _("based in %(place)s, where you have no member yet") % {"place": gap_of[pk]}
            )
        if row["issue_mask"] & missing_mask:
            score += 3.0
            reasons.append(
                _("works on %(issues)s, which none of your members do")
                % {"issues": words(_names(row["issue_mask"] & missing_mask, areas))}
            )
        if touching.get(pk):
            score += 1.0 * touching[pk]
            reasons.append(_("already in touch with %(n)d of your members") % {"n": touching[pk]})
        found.append(
            Suggestion(
                kind="group",
                key=f"org:{pk}",
                name=row["name"],
                url=reverse("organization", args=[row["slug"]]),
                reasons=reasons,
                score=score,
                pk=pk,
                slug=row["slug"],
            )
        )
    found.sort(key=lambda s: (-s.score, s.name, s.pk or 0))
    return found[:limit]


def dismissals_for(user: Any, owner: Organization) -> QuerySet[Dismissal]:
    if not permissions.can_see_suggestions(user, owner):
        return Dismissal.objects.none()
    return Dismissal.objects.filter(owner=owner).order_by("-created_at", "-id")


# Introductions --------------------------------------------------------------------------


def get_introduction_for_user(user: Any, pk: int) -> Introduction:
    """404 for anyone but the weaver, the two sides' admins and site coordinators."""
    introduction = Introduction.objects.select_related("weaver", "team_place").filter(pk=pk).first()
    if introduction is None or not permissions.can_see_introduction(user, introduction):
        raise Http404(_("No such introduction."))
    return introduction


def introduction_sides(introduction: Introduction) -> list[IntroductionSide]:
    return list(introduction.sides.select_related("organization", "answered_by").order_by("id"))


def introductions_for_user(user: Any) -> QuerySet[Introduction]:
    """The introductions the person brokered or whose groups they administer, newest first."""
    if not directory_permissions._signed_in(user):
        return Introduction.objects.none()
    own = directory_permissions.administered_organization_ids(user)
    return (
        Introduction.objects.filter(Q(weaver=user) | Q(sides__organization_id__in=own))
        .distinct()
        .prefetch_related("sides__organization")
        .order_by("-created_at", "-id")
    )


def awaiting_answer(user: Any) -> list[IntroductionSide]:
    """The sides the person's groups still have to answer."""
    own = directory_permissions.administered_organization_ids(user)
    return list(
        IntroductionSide.objects.filter(
            organization_id__in=own,
            answer=Answer.PENDING,
            introduction__status=IntroductionStatus.PROPOSED,
        ).select_related("introduction", "organization")
    )


def contacts_shared_with(
    user: Any, introduction: Introduction, sides: list[IntroductionSide]
) -> list[tuple[Organization, PrivateContact | None]]:
    """The other side's private contact, for each side the person administers: only once both
    groups accepted, and never a group's contact to someone on neither side (the weaver sees
    none here; a coordinator reads contacts where their role allows, on the listing)."""
    if introduction.status != IntroductionStatus.ACCEPTED:
        return []
    shown = []
    for side in sides:
        other = next(s for s in sides if s.pk != side.pk)
        # A group nobody has vouched for yet receives no one's contact (vouching/).
        if side.organization.is_verified and permissions.can_answer_for(user, side.organization):
            contact = PrivateContact.objects.filter(organization_id=other.organization_id).first()
            shown.append((other.organization, contact))
    return shown
