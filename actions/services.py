"""Every write to calls, commitments, reports, subscriptions and alerts goes through here.

Commitments to one call are serialised by a row lock on the call (`select_for_update`; SQLite
already runs one writer at a time). Counters move with F() updates under that lock, and the go
transition is a conditional UPDATE ... WHERE state = 'gathering', so it happens exactly once
however many requests arrive together.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from accounts.services import audit_record
from actions import permissions, tasks, timezones
from actions.links import private_host
from actions.models import (
    NO_LIMIT,
    THRESHOLD_LEVELS,
    Alert,
    AlertKind,
    CallState,
    CallToAction,
    Commitment,
    CommitmentState,
    LftTally,
    PlaceTally,
    Subscription,
    SubscriptionRange,
    TallyChange,
)
from actions.rollup import place_index
from directory.models import IssueArea, Organization, OrganizationStatus
from places.models import LEVELS, Place

# A range that holds every tree position: subscriptions without a place match everywhere.
EVERYWHERE = (0, 2**31 - 1)
# After this long without a day of action ending, commitments to a call that went stop.
DEFAULT_WINDOW = timedelta(days=1)
MAX_TURNOUT = 10_000_000
CALL_FIELDS = frozenset(
    {
        "title",
        "description",
        "issue_areas",
        "starts_at",
        "ends_at",
        "scope",
        "min_organizations",
        "place_level",
        "min_places",
        "min_per_place",
        "deadline",
        "time_zone",
    }
)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _issue_areas(items: Iterable[IssueArea | str], field: str = "issue_areas") -> list[IssueArea]:
    areas: list[IssueArea] = []
    slugs: list[str] = []
    for item in items:
        (areas.append(item) if isinstance(item, IssueArea) else slugs.append(item))
    if slugs:
        found = {a.slug: a for a in IssueArea.objects.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise ValidationError({field: f"Unknown issue areas: {', '.join(missing)}."})
        areas.extend(found[s] for s in slugs)
    return areas


def _mask(areas: Iterable[IssueArea]) -> int:
    mask = 0
    for area in areas:
        mask |= 1 << area.bit
    return mask


# Path segments the action pages use; a call may not take one as its slug.
RESERVED_SLUGS = frozenset({"new", "alerts", "osdi", "places", "organizations"})


def _unique_slug(title: str) -> str:
    base = slugify(title)[:120] or "call"
    if base in RESERVED_SLUGS:
        base = f"{base}-call"
    slug, n = base, 1
    while CallToAction.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_call(fields: dict[str, Any], *, now: datetime, creating: bool) -> None:
    errors: dict[str, str] = {}
    if not str(fields.get("title", "")).strip():
        errors["title"] = "Give the call a title."
    if not str(fields.get("description", "")).strip():
        errors["description"] = "Say what the call asks groups to do."
    starts, ends, deadline = fields.get("starts_at"), fields.get("ends_at"), fields.get("deadline")
    if starts is None:
        errors["starts_at"] = "Give the date of the action."
    if deadline is None:
        errors["deadline"] = "Give the date by which enough groups must commit."
    elif creating and deadline <= now:
        errors["deadline"] = "The deadline must be in the future."
    elif starts is not None and deadline > starts:
        errors["deadline"] = "The deadline must come before the action starts."
    if ends is not None and starts is not None and ends < starts:
        errors["ends_at"] = "The window must end after it starts."
    min_orgs = int(fields.get("min_organizations") or 0)
    min_places = int(fields.get("min_places") or 0)
    level = fields.get("place_level") or ""
    per_place = int(fields.get("min_per_place") or 1)
    if min_orgs < 0:
        errors["min_organizations"] = "Use zero or a positive number."
    if min_places < 0:
        errors["min_places"] = "Use zero or a positive number."
    if per_place < 1:
        errors["min_per_place"] = "Each place needs at least one commitment."
    if min_orgs == NO_LIMIT and min_places == NO_LIMIT:
        errors["min_organizations"] = (
            "Set at least one threshold: a number of groups, or a number of places."
        )
    if level and level not in dict(THRESHOLD_LEVELS):
        errors["place_level"] = f"“{level}” is not a level places can be counted at."
    if min_places and not level:
        errors["place_level"] = "Say what kind of places to count (states, counties…)."
    zone = fields.get("time_zone")
    if zone is not None and not timezones.is_zone(str(zone)):
        errors["time_zone"] = f"“{zone}” is not a time zone."
    scope = fields.get("scope")
    if not isinstance(scope, Place):
        errors["scope"] = "Choose the place the call covers."
    elif level in LEVELS and not scope.is_overlay and LEVELS[level] <= scope.depth:
        errors["place_level"] = f"{scope.name} holds no {dict(THRESHOLD_LEVELS)[level]}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def call_create(
    *,
    user: Any,
    coalition: Organization,
    title: str,
    description: str,
    scope: Place,
    starts_at: datetime,
    deadline: datetime,
    ends_at: datetime | None = None,
    issue_areas: Iterable[IssueArea | str] = (),
    min_organizations: int = 0,
    place_level: str = "",
    min_places: int = 0,
    min_per_place: int = 1,
    time_zone: str = "",
    supersedes: CallToAction | None = None,
    now: datetime | None = None,
) -> CallToAction:
    """Issue a call in a coalition's name. Only the coalition's admins may.

    `time_zone` is the wall clock its times are shown on; left empty, it is the scope's own
    zone, or UTC where the scope spans several (the pages make people choose there).
    """
    if not permissions.can_issue_call(user, coalition):
        raise PermissionDenied("Only the admins of a coalition can issue a call in its name.")
    areas = _issue_areas(issue_areas)
    if not time_zone:
        time_zone = timezones.default_zone(scope if isinstance(scope, Place) else None) or "UTC"
    fields = {
        "time_zone": time_zone,
        "title": title.strip(),
        "description": description.strip(),
        "scope": scope,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "deadline": deadline,
        "min_organizations": min_organizations,
        "place_level": place_level,
        "min_places": min_places,
        "min_per_place": min_per_place,
    }
    _check_call(fields, now=_now(now), creating=True)
    call = CallToAction.objects.create(
        slug=_unique_slug(title),
        coalition=coalition,
        created_by=user,
        issue_mask=_mask(areas),
        supersedes=supersedes,
        **fields,
    )
    call.issue_areas.set(areas)
    audit_record(actor=user, action="call.create", target=call, data={"title": call.title})
    return call


@transaction.atomic
def call_update(*, user: Any, call: CallToAction, **fields: Any) -> CallToAction:
    """Change a call's wording or thresholds, which is allowed only before anyone commits."""
    if not permissions.can_manage_call(user, call):
        raise PermissionDenied("Only the issuing coalition's admins can change this call.")
    unknown = sorted(set(fields) - CALL_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    locked = CallToAction.objects.select_for_update().get(pk=call.pk)
    if locked.frozen or locked.commitments.exists():
        raise ValidationError(
            "Groups have already committed to this call, so its wording and thresholds are "
            "frozen. Issue a new call that supersedes it instead."
        )
    if locked.state != CallState.GATHERING:
        raise ValidationError("Only a call that is still gathering can be changed.")
    areas = _issue_areas(fields.pop("issue_areas")) if "issue_areas" in fields else None
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    current = {name: getattr(locked, name) for name in CALL_FIELDS - {"issue_areas"}}
    _check_call(current, now=timezone.now(), creating="deadline" in fields)
    if areas is not None:
        locked.issue_mask = _mask(areas)
        locked.issue_areas.set(areas)
    locked.save()
    audit_record(actor=user, action="call.update", target=locked, data={"fields": sorted(fields)})
    return locked


@transaction.atomic
def call_cancel(*, user: Any, call: CallToAction, reason: str = "") -> CallToAction:
    if not permissions.can_manage_call(user, call):
        raise PermissionDenied("Only the issuing coalition's admins can cancel this call.")
    changed = CallToAction.objects.filter(pk=call.pk, state=CallState.GATHERING).update(
        state=CallState.CANCELLED, closed_at=timezone.now(), version=F("version") + 1
    )
    if not changed:
        raise ValidationError("Only a call that is still gathering can be cancelled.")
    call.refresh_from_db()
    audit_record(actor=user, action="call.cancel", target=call, data={"reason": reason})
    _notice(
        call,
        f"Cancelled: {call.title}",
        f"The call “{call.title}” was cancelled by {call.coalition.name}."
        + (f"\n\n{reason.strip()}" if reason.strip() else ""),
    )
    return call


@transaction.atomic
def call_supersede(*, user: Any, call: CallToAction, **fields: Any) -> CallToAction:
    """Issue a new call in place of one whose wording is frozen; the old one is cancelled and
    its committed groups are told where to recommit."""
    if not permissions.can_manage_call(user, call):
        raise PermissionDenied("Only the issuing coalition's admins can supersede this call.")
    if call.state != CallState.GATHERING:
        raise ValidationError("Only a call that is still gathering can be superseded.")
    if hasattr(call, "superseded_by"):
        raise ValidationError("This call has already been superseded.")
    unknown = sorted(set(fields) - CALL_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    base: dict[str, Any] = {
        "title": call.title,
        "description": call.description,
        "scope": call.scope,
        "starts_at": call.starts_at,
        "ends_at": call.ends_at,
        "deadline": call.deadline,
        "issue_areas": list(call.issue_areas.all()),
        "min_organizations": call.min_organizations,
        "place_level": call.place_level,
        "min_places": call.min_places,
        "min_per_place": call.min_per_place,
        "time_zone": call.time_zone,
    }
    base.update(fields)
    new = call_create(user=user, coalition=call.coalition, supersedes=call, **base)
    CallToAction.objects.filter(pk=call.pk, state=CallState.GATHERING).update(
        state=CallState.CANCELLED, closed_at=timezone.now(), version=F("version") + 1
    )
    audit_record(actor=user, action="call.supersede", target=call, data={"by": new.slug})
    _notice(
        call,
        f"Replaced by a new call: {new.title}",
        f"{call.coalition.name} replaced the call “{call.title}” with a new one, "
        f"“{new.title}”. Your commitment does not carry over: please look at the new call "
        f"and commit again if it suits your group.\n\n{tasks.absolute_url(new)}",
    )
    return new


# Commitments ---------------------------------------------------------------------------------


def _action_ends(call: CallToAction) -> datetime:
    return call.ends_at or (call.starts_at + DEFAULT_WINDOW)


def _check_open(call: CallToAction, now: datetime) -> None:
    if call.state == CallState.GATHERING and now >= call.deadline:
        raise ValidationError("The deadline for this call has passed.")
    if call.state == CallState.GO and now >= _action_ends(call):
        raise ValidationError("This action is over.")
    if call.state not in (CallState.GATHERING, CallState.GO):
        raise ValidationError(f"This call is closed ({call.get_state_display().lower()}).")


def _in_scope(call: CallToAction, org: Organization) -> bool:
    if call.scope.parent_id is None and not call.scope.is_overlay:
        return True  # the whole world
    if org.place_lft is None:
        return False
    return any(lo <= org.place_lft <= hi for lo, hi in place_index().ranges(call.scope))


def _check_event(
    *,
    expected_turnout: int,
    event_date: date | None,
    event_time: time | None,
    venue: str,
    address: str,
) -> None:
    errors: dict[str, str] = {}
    if expected_turnout < 0 or expected_turnout > MAX_TURNOUT:
        errors["expected_turnout"] = f"Give a number between 0 and {MAX_TURNOUT:,}."
    if event_date is None and (event_time is not None or venue.strip() or address.strip()):
        errors["event_date"] = "Give the date of your local event."
    if errors:
        raise ValidationError(errors)


def _tally(call: CallToAction, place_ids: list[int], delta: int) -> None:
    """Move per-place counts and the number of places at threshold; caller holds the lock."""
    k = call.min_per_place
    crossed = 0
    for place_id in place_ids:
        tally, _ = PlaceTally.objects.get_or_create(call=call, place_id=place_id)
        before = tally.active
        after = before + delta
        PlaceTally.objects.filter(pk=tally.pk).update(active=F("active") + delta)
        if before < k <= after:
            crossed += 1
        elif after < k <= before:
            crossed -= 1
    if crossed:
        CallToAction.objects.filter(pk=call.pk).update(places_met=F("places_met") + crossed)


TALLY_CHANGES_KEPT = 500


def _lft_tally(call: CallToAction, place_lft: int | None, delta: int) -> None:
    """Move one position's tally and log the step; caller holds the call's row lock, which is
    what makes `tally_version + 1` safe to compute here."""
    tally, _ = LftTally.objects.get_or_create(call=call, place_lft=place_lft)
    LftTally.objects.filter(pk=tally.pk).update(active=F("active") + delta)
    step = call.tally_version + 1
    CallToAction.objects.filter(pk=call.pk).update(tally_version=step)
    TallyChange.objects.create(call=call, tally_version=step, place_lft=place_lft, delta=delta)
    call.tally_version = step
    if step % 100 == 0:
        TallyChange.objects.filter(call=call, tally_version__lte=step - TALLY_CHANGES_KEPT).delete()


def call_tallies_rebuild(call: CallToAction) -> None:
    """Recount a call's per-position tallies from its commitments (after renumbering places,
    or after rows were written in bulk)."""
    with transaction.atomic():
        CallToAction.objects.select_for_update().filter(pk=call.pk).first()
        LftTally.objects.filter(call=call).delete()
        rows = (
            Commitment.objects.filter(call=call, state=CommitmentState.ACTIVE)
            .values_list("place_lft")
            .annotate(n=Count("id"))
            .order_by()
        )
        LftTally.objects.bulk_create(
            (LftTally(call=call, place_lft=lft, active=n) for lft, n in rows), batch_size=5000
        )
        # A step with no logged change: cached roll-ups notice the gap and recount.
        TallyChange.objects.filter(call=call).delete()
        CallToAction.objects.filter(pk=call.pk).update(
            version=F("version") + 1, tally_version=F("tally_version") + 1
        )


def thresholds_met(call: CallToAction) -> bool:
    orgs_ok = call.min_organizations == NO_LIMIT or call.active_count >= call.min_organizations
    places_ok = call.min_places == NO_LIMIT or call.places_met >= call.min_places
    return orgs_ok and places_ok


def _maybe_go(call: CallToAction, now: datetime) -> bool:
    """Go if the thresholds are met. The conditional UPDATE makes it happen once only."""
    call.refresh_from_db(fields=["state", "active_count", "places_met", "version"])
    if call.state != CallState.GATHERING or not thresholds_met(call):
        return False
    went = CallToAction.objects.filter(pk=call.pk, state=CallState.GATHERING).update(
        state=CallState.GO, went_at=now, version=F("version") + 1
    )
    if went != 1:
        return False
    call.refresh_from_db()
    audit_record(
        actor=None,
        action="call.go",
        target=call,
        data={"organizations": call.active_count, "places": call.places_met},
    )
    _notice(
        call,
        f"It's on: {call.title}",
        f"Enough groups have committed: {call.active_count} organizations"
        + (f" in {call.places_met} {call.level_label}" if call.min_places else "")
        + f". The call “{call.title}” is going ahead on "
        f"{timezone.localtime(call.starts_at):%A %d %B %Y}.\n\n"
        f"Thank you for committing. You can see every local event here:\n"
        f"{tasks.absolute_url(call)}",
    )
    return True


@transaction.atomic
def commitment_make(
    *,
    user: Any,
    call: CallToAction,
    organization: Organization,
    expected_turnout: int = 0,
    event_date: date | None = None,
    event_time: time | None = None,
    venue: str = "",
    address: str = "",
    address_public: bool = False,
    accessibility: str = "",
    time_zone: str = "",
    now: datetime | None = None,
) -> Commitment:
    """Commit an organization to a call (or change its commitment's event details).

    The event's date and time are read on `time_zone`'s clock: by default the organization's
    own place's zone, else the call's.

    A commitment is conditional on the call going; if this one tips the thresholds, the call
    goes in the same transaction.
    """
    now = _now(now)
    if not permissions.can_commit(user, organization):
        raise PermissionDenied("Only this organization's admins can commit it to a call.")
    _check_event(
        expected_turnout=expected_turnout,
        event_date=event_date,
        event_time=event_time,
        venue=venue,
        address=address,
    )
    locked = CallToAction.objects.select_for_update().select_related("scope").get(pk=call.pk)
    _check_open(locked, now)
    org = Organization.objects.get(pk=organization.pk)
    if org.is_hidden or org.status != OrganizationStatus.ACTIVE:
        raise ValidationError(
            {"organization": "Only active, publicly listed organizations can commit."}
        )
    if not _in_scope(locked, org):
        raise ValidationError(
            {"organization": f"{org.name} is not based inside {locked.scope.name}."}
        )
    if not time_zone:
        time_zone = timezones.default_zone(org.home_place) or locked.time_zone
    if not timezones.is_zone(time_zone):
        raise ValidationError({"time_zone": f"“{time_zone}” is not a time zone."})
    details = {
        "time_zone": time_zone,
        "expected_turnout": expected_turnout,
        "event_date": event_date,
        "event_time": event_time,
        "venue": venue.strip(),
        "address": address.strip(),
        "address_public": address_public,
        "accessibility": accessibility.strip(),
    }
    existing = Commitment.objects.filter(call=locked, organization=org).first()
    if existing is not None and existing.is_active:
        delta = expected_turnout - existing.expected_turnout
        for name, value in details.items():
            setattr(existing, name, value)
        existing.save()
        CallToAction.objects.filter(pk=locked.pk).update(
            expected_turnout=F("expected_turnout") + delta, version=F("version") + 1
        )
        audit_record(actor=user, action="commitment.update", target=existing)
        return existing
    tally_places = (
        place_index().containing(org.place_lft, locked.place_level) if locked.place_level else []
    )
    if existing is None:
        commitment = Commitment.objects.create(
            call=locked,
            organization=org,
            place_lft=org.place_lft,
            tally_places=tally_places,
            committed_by=user,
            **details,
        )
    else:
        commitment = existing
        for name, value in details.items():
            setattr(commitment, name, value)
        commitment.state = CommitmentState.ACTIVE
        commitment.withdrawn_at = None
        commitment.place_lft = org.place_lft
        commitment.tally_places = tally_places
        commitment.committed_by = user
        commitment.save()
    CallToAction.objects.filter(pk=locked.pk).update(
        active_count=F("active_count") + 1,
        expected_turnout=F("expected_turnout") + expected_turnout,
        version=F("version") + 1,
        frozen=True,
    )
    _tally(locked, tally_places, +1)
    _lft_tally(locked, commitment.place_lft, +1)
    audit_record(actor=user, action="commitment.make", target=commitment)
    _maybe_go(locked, now)
    return commitment


@transaction.atomic
def commitment_withdraw(
    *, user: Any, commitment: Commitment, now: datetime | None = None
) -> Commitment:
    """Withdraw while the call is gathering; once it goes, the promise stands."""
    if not permissions.can_commit(user, commitment.organization):
        raise PermissionDenied("Only this organization's admins can withdraw its commitment.")
    locked = CallToAction.objects.select_for_update().get(pk=commitment.call_id)
    current = Commitment.objects.get(pk=commitment.pk)
    if not current.is_active:
        raise ValidationError("This commitment was already withdrawn.")
    if locked.state != CallState.GATHERING:
        raise ValidationError(
            "The call has gone: commitments can no longer be withdrawn. If your event cannot "
            "happen, say so in its after-action report."
        )
    current.state = CommitmentState.WITHDRAWN
    current.withdrawn_at = _now(now)
    current.save(update_fields=["state", "withdrawn_at", "updated_at"])
    CallToAction.objects.filter(pk=locked.pk).update(
        active_count=F("active_count") - 1,
        expected_turnout=F("expected_turnout") - current.expected_turnout,
        version=F("version") + 1,
    )
    _tally(locked, list(current.tally_places), -1)
    _lft_tally(locked, current.place_lft, -1)
    audit_record(actor=user, action="commitment.withdraw", target=current)
    return current


def report_not_open_reason(commitment: Commitment, now: datetime) -> str:
    """Why an after-action report cannot be given yet ("" once it can): a report before the
    event would be a guess, and it would roll up into the call's turnout as a fact."""
    starts = commitment.reports_open_at
    if now >= starts:
        return ""
    when = starts if commitment.event_date else starts.astimezone(commitment.call.zone)
    return gettext(
        "Reports open once the event has begun, on %(date)s at %(time)s (%(zone)s). "
        "Come back then to say how it went."
    ) % {"date": formats.date_format(when, "j F Y"), "time": f"{when:%H:%M}", "zone": when.tzinfo}


@transaction.atomic
def commitment_report(
    *,
    user: Any,
    commitment: Commitment,
    held: bool,
    turnout: int | None = None,
    outcome: str = "",
    now: datetime | None = None,
) -> Commitment:
    """After the action: did the local event happen, how many came, what came of it."""
    if not permissions.can_report(user, commitment):
        raise PermissionDenied("Only this organization's admins can report on its event.")
    current = Commitment.objects.select_for_update().select_related("call").get(pk=commitment.pk)
    if current.call.state != CallState.GO:
        raise ValidationError("Reports are for calls that went ahead.")
    if not current.is_active:
        raise ValidationError("This commitment was withdrawn.")
    waiting = report_not_open_reason(current, _now(now))
    if waiting:
        raise ValidationError(waiting)
    if turnout is not None and not (0 <= turnout <= MAX_TURNOUT):
        raise ValidationError({"turnout": f"Give a number between 0 and {MAX_TURNOUT:,}."})
    if not held and turnout:
        raise ValidationError({"turnout": "An event that did not happen has no turnout."})
    current.held = held
    current.turnout = turnout if held else 0
    current.outcome = outcome.strip()
    current.reported_at = _now(now)
    current.reported_by = user
    current.save()
    CallToAction.objects.filter(pk=current.call_id).update(version=F("version") + 1)
    audit_record(actor=user, action="commitment.report", target=current, data={"held": held})
    return current


def call_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Close calls whose deadline passed without going; recover stalled deliveries.

    Run every minute or so (`commonweal actions tick`). Each call closes in its own transaction,
    under its row lock, with a conditional UPDATE, so overlapping ticks do no harm.
    """
    now = _now(now)
    went = closed = 0
    for pk in (
        CallToAction.objects.gathering().filter(deadline__lte=now).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            call = CallToAction.objects.select_for_update().select_related("coalition").get(pk=pk)
            if call.state != CallState.GATHERING:
                continue
            if _maybe_go(call, now):
                went += 1
                continue
            changed = CallToAction.objects.filter(pk=pk, state=CallState.GATHERING).update(
                state=CallState.NOT_ENOUGH, closed_at=now, version=F("version") + 1
            )
            if changed:
                closed += 1
                call.refresh_from_db()
                audit_record(actor=None, action="call.not_enough", target=call)
                _notice(
                    call,
                    f"Not enough groups: {call.title}",
                    f"The deadline for “{call.title}” passed before enough groups committed "
                    f"({call.active_count} organizations"
                    + (f", {call.places_met} {call.level_label}" if call.min_places else "")
                    + "), so the call will not go ahead. Nobody is held to a commitment.",
                )
    recovered = tasks.deliveries_recover(now=now)
    return {"went": went, "not_enough": closed, **recovered}


# Alerts -------------------------------------------------------------------------------------


def _notice(call: CallToAction, subject: str, body: str) -> Alert:
    """Tell every group committed to a call, by email to its admins, in the background."""
    alert = Alert.objects.create(kind=AlertKind.NOTICE, subject=subject, body=body, call=call)
    tasks.fan_out_later(alert.pk)
    return alert


@transaction.atomic
def alert_send(
    *,
    user: Any,
    subject: str,
    body: str,
    issue_areas: Iterable[IssueArea | str] = (),
    place: Place | None = None,
    sender_organization: Organization | None = None,
    call: CallToAction | None = None,
) -> Alert:
    """Send a rapid-response alert to everyone who opted in for its issues and place."""
    if not permissions.can_send_alert(user, place, sender_organization):
        raise PermissionDenied(
            "Alerts are sent by site coordinators, coordinators of the place, or the admins "
            "of a coalition in its name."
        )
    errors: dict[str, str] = {}
    if not subject.strip():
        errors["subject"] = "Give the alert a subject."
    if not body.strip():
        errors["body"] = "Say what is happening and what to do."
    if errors:
        raise ValidationError(errors)
    areas = _issue_areas(issue_areas)
    alert = Alert.objects.create(
        kind=AlertKind.ALERT,
        subject=subject.strip(),
        body=body.strip(),
        issue_mask=_mask(areas),
        place=place,
        call=call,
        sender_organization=sender_organization,
        sent_by=user,
    )
    alert.issue_areas.set(areas)
    audit_record(actor=user, action="alert.send", target=alert, data={"subject": alert.subject})
    tasks.fan_out_later(alert.pk)
    return alert


def _check_webhook_url(url: str) -> None:
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError({"webhook_url": "Give an http:// or https:// address."})
    # Refused here, where the person can fix it, rather than failing every alert later. The
    # sender checks again (DNS may have changed since).
    if not getattr(settings, "ACTIONS_WEBHOOK_ALLOW_PRIVATE", False) and private_host(
        parts.hostname
    ):
        raise ValidationError(
            {
                "webhook_url": "This address points inside a private network or at this "
                "machine; alerts can only be sent to a public address."
            }
        )


def _subscription_ranges(place: Place | None) -> list[tuple[int, int]]:
    if place is None:
        return [EVERYWHERE]
    if place.is_overlay:
        return place_index().ranges(place)
    return [(place.lft, place.rgt)]


@transaction.atomic
def subscription_create(
    *,
    user: Any,
    organization: Organization | None = None,
    email: str = "",
    webhook_url: str = "",
    issue_areas: Iterable[IssueArea | str] = (),
    place: Place | None = None,
) -> Subscription:
    """Opt in to alerts: a person for themselves, or an organization through its admins.

    A person's alerts go to their own account address; a group may name its list address and
    a webhook for its own tools.
    """
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to subscribe to alerts.")
    if organization is not None:
        if not permissions.can_commit(user, organization):
            raise PermissionDenied("Only this organization's admins can subscribe it to alerts.")
        _check_webhook_url(webhook_url)
        if not email and not webhook_url:
            raise ValidationError({"email": "Give an email address, a webhook address, or both."})
    else:
        email, webhook_url = user.email, ""
    areas = _issue_areas(issue_areas)
    subscription = Subscription.objects.create(
        user=None if organization is not None else user,
        organization=organization,
        email=email.strip().lower(),
        webhook_url=webhook_url.strip(),
        issue_mask=_mask(areas),
        place=place,
        created_by=user,
    )
    subscription.issue_areas.set(areas)
    SubscriptionRange.objects.bulk_create(
        SubscriptionRange(subscription=subscription, lft=lo, rgt=hi)
        for lo, hi in _subscription_ranges(place)
    )
    audit_record(actor=user, action="subscription.create", target=subscription)
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, user: Any = None) -> Subscription:
    """Stop alerts. Called with a signed unsubscribe token (no user) or by the owner."""
    if user is not None:
        owner = subscription.user_id == user.pk or (
            subscription.organization is not None
            and permissions.can_commit(user, subscription.organization)
        )
        if not owner:
            raise PermissionDenied("Only the subscriber can change this subscription.")
    Subscription.objects.filter(pk=subscription.pk, active=True).update(
        active=False, unsubscribed_at=timezone.now()
    )
    subscription.refresh_from_db()
    audit_record(actor=user, action="subscription.cancel", target=subscription)
    return subscription


def place_copies_refresh() -> None:
    """After the place tree is renumbered, bring the copied `lft`s back in line."""
    with transaction.atomic():
        index = place_index()
        # From the home place itself: the organization's own copy may not be refreshed yet.
        rows = Commitment.objects.values_list("pk", "place_lft", "organization__home_place__lft")
        for pk, copied, actual in rows.iterator():
            if copied != actual:
                Commitment.objects.filter(pk=pk).update(place_lft=actual)
        for sub in Subscription.objects.filter(place__isnull=False).select_related("place"):
            assert sub.place is not None
            SubscriptionRange.objects.filter(subscription=sub).delete()
            ranges = (
                index.ranges(sub.place) if sub.place.is_overlay else _subscription_ranges(sub.place)
            )
            SubscriptionRange.objects.bulk_create(
                SubscriptionRange(subscription=sub, lft=lo, rgt=hi) for lo, hi in ranges
            )
    for call in CallToAction.objects.all():
        call_tallies_rebuild(call)
