"""The outbox's background work: later attempts at a message the mail server did not take."""

from django.tasks import task

from outbox import services


@task()
def message_deliver_later(message_id: int) -> str:
    return services.message_deliver(message_id=message_id)
