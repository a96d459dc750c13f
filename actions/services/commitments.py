"""Commitments under a call's row lock, the tallies behind its roll-up, going, reports and the deadline tick."""

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import formats, timezone
from django.utils.translation import gettext

from accounts.services import audit_record
from actions import permissions, tasks, timezones
from actions.models import (
    NO_LIMIT,
    CallState,
    CallToAction,
    Commitment,
    CommitmentState,
    LftTally,
    PlaceTally,
    TallyChange,
)
from actions.rollup import place_index
from actions.services._shared import DEFAULT_WINDOW, MAX_TURNOUT, _notice, _now
from directory.models import Organization, OrganizationStatus


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
    if not org.is_verified:
        # A group anyone could have listed must not swell a call's count (vouching/).
        raise ValidationError(
            {
                "organization": gettext(
                    "%(name)s cannot commit its name yet: two verified groups, or a regional "
                    "coordinator, must first vouch for it."
                )
                % {"name": org.name}
            }
        )
    if not _in_scope(locked, org):
        raise ValidationError(
            {"organization": f"{org.name} is not based inside {locked.scope.name}."}
        )
    if not time_zone:
        time_zone = timezones.default_zone(org.home_place) or locked.time_zone
    if not timezones.is_zone(time_zone):
        raise ValidationError(
            {"time_zone": gettext("“%(zone)s” is not a time zone.") % {"zone": time_zone}}
        )
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
