"""Background work for alerts and notices, through Django's tasks interface.

The default backend is the database queue (django-tasks-db; run `commonweal db_worker`). Any
backend works, because every task is safe to run twice: fan-out inserts with a unique key and
sending claims rows before it sends (see actions/delivery.py).
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from actions import delivery
from actions.models import Alert, AlertState, Delivery, DeliveryStatus

# How long queued work may sit before the tick assumes its task was lost and queues it again.
STALL = timedelta(minutes=10)


def absolute_url(obj: Any) -> str:
    return delivery.absolute_url(obj)


@task()
def alert_fan_out(alert_id: int) -> int:
    """Write the alert's delivery rows, queueing one sending task per chunk as they appear."""
    chunks = delivery.fan_out(
        alert_id, on_chunk=lambda first, last: deliveries_send.enqueue(alert_id, first, last)
    )
    return len(chunks)


@task()
def deliveries_send(alert_id: int, first_id: int, last_id: int) -> dict[str, int]:
    result = delivery.send_chunk(alert_id, first_id, last_id)
    if result.retry_at is not None:
        deliveries_send.using(run_after=result.retry_at).enqueue(alert_id, first_id, last_id)
    return result.counts


def fan_out_later(alert_id: int) -> None:
    """Queue the fan-out once the alert row is committed."""
    transaction.on_commit(lambda: alert_fan_out.enqueue(alert_id))


def deliveries_recover(*, now: datetime | None = None) -> dict[str, int]:
    """Pick up work whose task was lost (a crashed worker, a queue flushed): called by the tick.

    Re-queuing is harmless even if the original task is merely slow: rows are claimed before
    they are sent.
    """
    now = now or timezone.now()
    uncertain = delivery.stale_claims_settle(now=now)
    refanned = 0
    for alert_id in Alert.objects.filter(
        state=AlertState.QUEUED, created_at__lt=now - STALL
    ).values_list("pk", flat=True):
        alert_fan_out.enqueue(alert_id)
        refanned += 1
    requeued = 0
    stalled = (
        Delivery.objects.filter(
            alert__state=AlertState.SENDING, alert__fanned_out_at__lt=now - STALL
        )
        .filter(
            Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.RETRY, retry_after__lte=now)
        )
        .values_list("alert_id", flat=True)
        .distinct()
    )
    for alert_id in stalled:
        for first_id, last_id in delivery.open_chunks(alert_id, now=now):
            deliveries_send.enqueue(alert_id, first_id, last_id)
            requeued += 1
    for alert_id in Alert.objects.filter(state=AlertState.SENDING).values_list("pk", flat=True):
        delivery.alert_settle(alert_id)
    return {"uncertain": uncertain, "refanned": refanned, "requeued_chunks": requeued}
