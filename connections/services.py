"""Every write of whom-to-meet and introductions: dismissing a suggestion and undoing it,
proposing an introduction, each side's answer, the follow-up and its outcome.

Each step checks the person on every group it touches, is kept in the audit log, and tells the
other people concerned through coalitions' notices (an in-hub notice and a mail through the
outbox, written in the same transaction as the step).
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from coalitions.models import Notice
from coalitions.notices import notify_admins
from connections import permissions
from connections.models import (
    Answer,
    Dismissal,
    Introduction,
    IntroductionSide,
    IntroductionStatus,
    Outcome,
    Tie,
    TieKind,
)
from directory.models import Organization
from outreach import services as outreach_services
from outreach.models import OutreachEntry, Stage

MAX_TEXT = 2000
# Each proposal mails two groups' admins, so one person's proposals a day are capped: a group's
# admin may propose their own group to any other, and that must not become a way to mail
# every group in the directory. Coordinators weave for a living, so their cap is higher.
INTRODUCTIONS_PER_DAY = 20
INTRODUCTIONS_PER_DAY_COORDINATOR = 100
# The outreach stages an outcome may move a group past, in the board's own order.
_STAGE_ORDER = list(Stage.values)


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("Keep it under %(n)d characters.") % {"n": MAX_TEXT}})
    return value


# Dismissals -----------------------------------------------------------------------------


def _require_suggestions(user: Any, owner: Organization) -> None:
    if not permissions.can_see_suggestions(user, owner):
        raise PermissionDenied(_("Only this group's admins and coordinators can change this."))


@transaction.atomic
def suggestion_dismiss(*, user: Any, owner: Organization, key: str, label: str) -> Dismissal:
    """The group never sees this suggestion again (until someone undoes it)."""
    _require_suggestions(user, owner)
    key = key.strip()[:80]
    if not key or ":" not in key:
        raise ValidationError({"key": _("This is not a suggestion.")})
    dismissal, created = Dismissal.objects.get_or_create(
        owner=owner, key=key, defaults={"label": label.strip()[:300] or key, "dismissed_by": user}
    )
    if created:
        audit_record(actor=user, action="suggestion.dismiss", target=owner, data={"key": key})
    return dismissal


@transaction.atomic
def suggestion_restore(*, user: Any, owner: Organization, key: str) -> bool:
    """Undo a dismissal: the suggestion may be shown again."""
    _require_suggestions(user, owner)
    deleted, _rows = Dismissal.objects.filter(owner=owner, key=key.strip()[:80]).delete()
    if deleted:
        audit_record(actor=user, action="suggestion.restore", target=owner, data={"key": key})
    return bool(deleted)


# Introductions --------------------------------------------------------------------------


def introduction_url(introduction: Introduction) -> str:
    return reverse("connections:introduction", args=[introduction.pk])


def _open_between(first: Organization, second: Organization) -> bool:
    mine = IntroductionSide.objects.filter(organization=first).values("introduction_id")
    return IntroductionSide.objects.filter(
        organization=second,
        introduction_id__in=mine,
        introduction__status__in=[IntroductionStatus.PROPOSED, IntroductionStatus.ACCEPTED],
    ).exists()


@transaction.atomic
def introduction_propose(
    *, user: Any, first: Organization, second: Organization, reason: str
) -> Introduction:
    """A weaver proposes that two groups meet. Both sides' admins are asked; a proposer who
    administers one side has said yes for it by proposing."""
    reason = _text(reason, "reason")
    if not reason:
        raise ValidationError({"reason": _("Say why these two groups should meet.")})
    if first.pk == second.pk:
        raise ValidationError({"second": _("Choose two different groups.")})
    for org in (first, second):
        if org.is_hidden and not permissions.can_see_suggestions(user, org):
            raise PermissionDenied(_("You cannot introduce this group."))
    role = permissions.weaver_role(user, first, second)
    if role is None:
        raise PermissionDenied(
            _(
                "Only a coordinator of a place that holds both groups, an admin of either "
                "group, or an admin of a coalition both belong to can introduce them."
            )
        )
    since = timezone.now() - timedelta(days=1)
    cap = (
        INTRODUCTIONS_PER_DAY
        if role in ("side", "coalition")
        else INTRODUCTIONS_PER_DAY_COORDINATOR
    )
    if Introduction.objects.filter(weaver=user, created_at__gte=since).count() >= cap:
        raise ValidationError(
            _("You have proposed %(n)d introductions today; try again tomorrow.") % {"n": cap}
        )
    if _open_between(first, second):
        raise ValidationError(
            {"second": _("These two groups already have an introduction under way.")}
        )
    introduction = Introduction.objects.create(
        weaver=user,
        team_place=permissions.team_place_for(user, first, second) if role == "region" else None,
        reason=reason,
    )
    now = timezone.now()
    for org in (first, second):
        own = permissions.can_answer_for(user, org)
        IntroductionSide.objects.create(
            introduction=introduction,
            organization=org,
            answer=Answer.ACCEPTED if own else Answer.PENDING,
            answered_by=user if own else None,
            answered_at=now if own else None,
        )
    audit_record(
        actor=user,
        action="introduction.propose",
        target=introduction,
        data={"groups": [first.pk, second.pk], "as": role},
    )
    for org, other in ((first, second), (second, first)):
        notify_admins(
            orgs=[org],
            text=_("%(person)s proposes that %(group)s meets %(other)s.")
            % {"person": str(user), "group": org.name, "other": other.name},
            body=_(
                "Why: %(reason)s\n\nNeither group sees the other's contact details until both "
                "have accepted. Answer on the introduction's page."
            )
            % {"reason": reason},
            url=introduction_url(introduction),
            exclude=user,
        )
    _settle(user, introduction)
    return introduction


def _locked(introduction: Introduction) -> Introduction:
    return Introduction.objects.select_for_update().get(pk=introduction.pk)


def _side(introduction: Introduction, org: Organization) -> IntroductionSide:
    side = (
        IntroductionSide.objects.select_for_update()
        .filter(introduction=introduction, organization=org)
        .first()
    )
    if side is None:
        raise PermissionDenied(_("This group is not part of this introduction."))
    return side


def _tie(introduction: Introduction, kind: str) -> Tie:
    ids = sorted(introduction.sides.values_list("organization_id", flat=True))
    tie, created = Tie.objects.get_or_create(
        low_id=ids[0], high_id=ids[1], defaults={"kind": kind, "introduction": introduction}
    )
    # A tie only grows stronger: introduced → met → working together.
    order = list(TieKind.values)
    if not created and order.index(kind) > order.index(tie.kind):
        tie.kind = kind
        tie.save(update_fields=["kind", "updated_at"])
    return tie


def _settle(user: Any, introduction: Introduction) -> None:
    """Once both sides have accepted: the groups are tied, see each other's contact, and the
    follow-up is scheduled."""
    sides = list(introduction.sides.select_related("organization"))
    if introduction.status != IntroductionStatus.PROPOSED:
        return
    if not all(side.answer == Answer.ACCEPTED for side in sides):
        return
    now = timezone.now()
    introduction.status = IntroductionStatus.ACCEPTED
    introduction.accepted_at = now
    introduction.followup_due_at = now + timedelta(days=settings.INTRODUCTION_FOLLOWUP_DAYS)
    introduction.save(update_fields=["status", "accepted_at", "followup_due_at"])
    _tie(introduction, TieKind.INTRODUCED)
    audit_record(actor=user, action="introduction.accepted", target=introduction)
    a, b = (side.organization for side in sides)
    text = _(
        "%(a)s and %(b)s both accepted the introduction: each can now see the other's contact."
    )
    notify_admins(
        orgs=[a, b], text=text % {"a": a.name, "b": b.name}, url=introduction_url(introduction)
    )
    _tell_weaver(
        introduction,
        _("%(a)s and %(b)s both accepted your introduction.") % {"a": a.name, "b": b.name},
    )


@transaction.atomic
def introduction_answer(
    *,
    user: Any,
    introduction: Introduction,
    organization: Organization,
    accept: bool,
    message: str = "",
) -> Introduction:
    """One side's admin opts in or declines. A decline ends the introduction; nothing of
    either side's contact is ever shown."""
    message = _text(message, "message")
    introduction = _locked(introduction)
    if not permissions.can_answer_for(user, organization):
        raise PermissionDenied(_("Only this group's admins can answer for it."))
    side = _side(introduction, organization)
    if introduction.status != IntroductionStatus.PROPOSED or side.answer != Answer.PENDING:
        raise ValidationError(_("This introduction has already been answered."))
    side.answer = Answer.ACCEPTED if accept else Answer.DECLINED
    side.answered_by, side.answered_at, side.message = user, timezone.now(), message
    side.save(update_fields=["answer", "answered_by", "answered_at", "message"])
    audit_record(
        actor=user,
        action="introduction.accept" if accept else "introduction.decline",
        target=introduction,
        data={"group": organization.pk},
    )
    others = [s.organization for s in introduction.sides.select_related("organization")]
    if accept:
        _settle(user, introduction)
        if introduction.status == IntroductionStatus.PROPOSED:
            notify_admins(
                orgs=[o for o in others if o.pk != organization.pk],
                text=_("%(group)s accepted the introduction; your group's answer is awaited.")
                % {"group": organization.name},
                url=introduction_url(introduction),
                exclude=user,
            )
        return introduction
    introduction.status = IntroductionStatus.DECLINED
    introduction.save(update_fields=["status"])
    _tell_weaver(
        introduction,
        _("%(group)s declined your introduction.") % {"group": organization.name},
    )
    # The other side learns only that it will not happen, not the decliner's message.
    notify_admins(
        orgs=[o for o in others if o.pk != organization.pk],
        text=_("The introduction of %(group)s will not go ahead.") % {"group": organization.name},
        url=introduction_url(introduction),
        exclude=user,
    )
    return introduction


def _tell_weaver(introduction: Introduction, text: str) -> None:
    """A notice and a mail to the person who proposed it, unless they run one of the groups
    (then the groups' own notices reach them already)."""
    weaver = introduction.weaver
    if weaver is None or not weaver.is_active:
        return
    sides = [side.organization for side in introduction.sides.select_related("organization")]
    if any(permissions.can_answer_for(weaver, org) for org in sides):
        return
    url = introduction_url(introduction)
    Notice.objects.create(user=weaver, text=text[:500], url=url)
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    send_mail(
        subject=text[:150],
        message=f"{text}\n\n{base}{url}",
        from_email=None,
        recipient_list=[weaver.email],
    )


def introduction_followup_tick(*, now: datetime | None = None) -> dict[str, int]:
    """A periodic chore: ask both sides of each introduction accepted long enough ago whether
    they met and what came of it. Each introduction is asked once."""
    now = now or timezone.now()
    asked = 0
    due = Introduction.objects.filter(
        status=IntroductionStatus.ACCEPTED, followup_due_at__lte=now, followup_sent_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            introduction = (
                Introduction.objects.select_for_update()
                .filter(pk=pk, followup_sent_at__isnull=True)
                .first()
            )
            if introduction is None:
                continue
            sides = [s.organization for s in introduction.sides.select_related("organization")]
            for org, other in ((sides[0], sides[1]), (sides[1], sides[0])):
                notify_admins(
                    orgs=[org],
                    text=_("Did %(group)s meet %(other)s? Tell us what came of it.")
                    % {"group": org.name, "other": other.name},
                    url=introduction_url(introduction),
                )
            introduction.followup_sent_at = now
            introduction.save(update_fields=["followup_sent_at"])
            audit_record(actor=None, action="introduction.followup", target=introduction)
            asked += 1
    return {"asked": asked}


def _feed_outreach(introduction: Introduction) -> int:
    """The weaver's team moves each group on its outreach board to "connected" (never back
    from "active"), through the board's own services and as the weaver, whose board it is."""
    place, weaver = introduction.team_place, introduction.weaver
    if place is None or weaver is None:
        return 0
    moved = 0
    for side in introduction.sides.select_related("organization"):
        try:
            entry = OutreachEntry.objects.filter(
                organization=side.organization, place=place
            ).first()
            if entry is None:
                entry = outreach_services.outreach_entry_create(
                    user=weaver, organization=side.organization, place=place
                )
            if _STAGE_ORDER.index(entry.stage) < _STAGE_ORDER.index(Stage.CONNECTED):
                outreach_services.outreach_stage_set(
                    user=weaver, entry=entry, stage=Stage.CONNECTED
                )
                moved += 1
        except (PermissionDenied, ValidationError):
            # The weaver no longer coordinates the place, or the group moved out of it: the
            # board is theirs to keep, so it is left as it is.
            continue
    return moved


@transaction.atomic
def introduction_outcome_record(
    *,
    user: Any,
    introduction: Introduction,
    organization: Organization,
    outcome: str,
    note: str = "",
) -> Introduction:
    """One side says whether they met and what came of it."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose one of the answers.")})
    note = _text(note, "note")
    introduction = _locked(introduction)
    if not permissions.can_answer_for(user, organization):
        raise PermissionDenied(_("Only this group's admins can answer for it."))
    side = _side(introduction, organization)
    if introduction.status != IntroductionStatus.ACCEPTED:
        raise ValidationError(_("Only an introduction both groups accepted has an outcome."))
    side.outcome, side.outcome_note, side.outcome_at = outcome, note, timezone.now()
    side.save(update_fields=["outcome", "outcome_note", "outcome_at"])
    audit_record(
        actor=user,
        action="introduction.outcome",
        target=introduction,
        data={"group": organization.pk, "outcome": outcome},
    )
    if outcome in (Outcome.MET, Outcome.WORKING):
        _tie(introduction, TieKind.WORKING if outcome == Outcome.WORKING else TieKind.MET)
        _feed_outreach(introduction)
    labels = dict(Outcome.choices)
    _tell_weaver(
        introduction,
        _("%(group)s says of the introduction: %(outcome)s")
        % {"group": organization.name, "outcome": labels[outcome]},
    )
    return introduction


def ties_of(org_ids: list[int]) -> Q:
    """A filter on Tie for every tie touching these groups."""
    return Q(low_id__in=org_ids) | Q(high_id__in=org_ids)
