"""Issuing, changing, cancelling and superseding calls to action."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from accounts.services import audit_record
from actions import permissions, tasks, timezones
from actions.models import (
    NO_LIMIT,
    THRESHOLD_LEVELS,
    CallState,
    CallToAction,
)
from actions.services._shared import (
    _issue_areas,
    _mask,
    _notice,
    _now,
)
from directory.models import IssueArea, Organization
from places.models import LEVELS, Place

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
        errors["time_zone"] = gettext("“%(zone)s” is not a time zone.") % {"zone": zone}
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
