"""Rapid-response alerts and the subscriptions that receive them."""

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.services import audit_record
from actions import permissions, tasks
from actions.links import private_host
from actions.models import (
    Alert,
    AlertKind,
    CallToAction,
    Commitment,
    Subscription,
    SubscriptionRange,
)
from actions.rollup import place_index
from actions.services._shared import (
    EVERYWHERE,
    _issue_areas,
    _mask,
)
from actions.services.commitments import call_tallies_rebuild
from directory.models import IssueArea, Organization
from places.models import Place


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
                "webhook_url": gettext(
                    "This address points inside a private network or at this machine; "
                    "alerts can only be sent to a public address."
                )
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
