"""Mail that does not fail silently: held, sent, retried or failed, and shown as such."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import AuditEvent, User
from commonweal.tests.smtpsink import relay_to, running_sink
from outbox import selectors, services
from outbox.models import MessageState, OutboxMessage

pytestmark = pytest.mark.django_db


def _send(capture: Any, to: str = "grace@example.org") -> OutboxMessage:
    with capture(execute=True):
        record = services.mail_send(
            to=to, subject="Your link", body="Follow https://hub.test/x", purpose="test"
        )
    assert record is not None
    record.refresh_from_db()
    return record


class TestWithoutAMailServer:
    def test_it_keeps_the_message_in_the_outbox_and_as_a_file(
        self, holding: None, outbox_dir: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        record = _send(django_capture_on_commit_callbacks)
        assert record.state == MessageState.HELD
        assert selectors.delivery_state(record) == "held"
        [path] = list(outbox_dir.iterdir())
        assert path.suffix == ".eml" and oct(path.stat().st_mode & 0o777) == "0o600"
        assert b"Your link" in path.read_bytes()
        assert "not sending email" in selectors.delivery_sentence("held")

    def test_it_keeps_what_django_itself_sends(
        self, holding: None, client: Client, member: User, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            send_mail("Hello", "Body", None, ["someone@example.org"])
            client.post(reverse("accounts:password_reset"), {"email": member.email})
        assert OutboxMessage.objects.filter(state=MessageState.HELD).count() == 2
        done = client.get(reverse("accounts:password_reset_done"))
        assert b"not sending email" in done.content


class TestWithAMailServer:
    def test_it_sends_through_the_real_server_and_says_so(
        self, sink: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        record = _send(django_capture_on_commit_callbacks)
        assert record.state == MessageState.SENT and record.attempts == 1
        [got] = sink.received()
        assert (got["Subject"], got["To"]) == ("Your link", "grace@example.org")
        assert selectors.delivery_sentence(record.state) == ""

    def test_it_retries_on_the_worker_when_the_server_is_down(
        self, dead_port: int, settings: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        record = _send(django_capture_on_commit_callbacks)
        assert record.state == MessageState.RETRYING
        assert record.next_attempt_at is not None and record.next_attempt_at > timezone.now()
        assert "ConnectionRefused" in record.last_error
        queued = DBTaskResult.objects.get(task_path="outbox.tasks.message_deliver_later")
        assert queued.args_kwargs["args"] == [record.pk]
        assert queued.run_after is not None
        # Not due yet: a second worker finds nothing to do.
        assert services.message_deliver(message_id=record.pk) == MessageState.RETRYING
        with running_sink(dead_port) as server:
            later = record.next_attempt_at + timedelta(seconds=1)
            assert services.message_deliver(message_id=record.pk, now=later) == "sent"
        assert len(server.received()) == 1
        record.refresh_from_db()
        assert (record.state, record.attempts, record.last_error) == ("sent", 2, "")

    def test_it_gives_up_at_once_on_a_refusal_and_after_the_last_attempt(
        self, sink: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        sink.refuse_with = "550 5.1.1 No such mailbox"
        assert _send(django_capture_on_commit_callbacks).state == MessageState.FAILED
        sink.refuse_with = "451 4.3.0 Try again later"
        record = _send(django_capture_on_commit_callbacks, to="other@example.org")
        now = timezone.now()
        for _ in range(services.MAX_ATTEMPTS):
            now += timedelta(days=1)
            services.message_deliver(message_id=record.pk, now=now)
        record.refresh_from_db()
        assert (record.state, record.attempts) == (MessageState.FAILED, services.MAX_ATTEMPTS)
        assert sink.received() == []


class TestThePages:
    def test_a_site_coordinator_reads_a_held_message_and_is_on_record(
        self,
        holding: None,
        client: Client,
        site_coordinator: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        record = _send(django_capture_on_commit_callbacks)
        client.force_login(site_coordinator)
        listing = client.get(reverse("outbox:list"))
        assert b"Your link" in listing.content and b"Mail is not being delivered" in listing.content
        page = client.get(reverse("outbox:message", args=[record.pk]))
        assert b"https://hub.test/x" in page.content
        assert AuditEvent.objects.filter(action="outbox.read", actor=site_coordinator).exists()

    def test_it_refuses_everyone_else_and_the_wrong_method(
        self,
        holding: None,
        client: Client,
        regional_coordinator: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        record = _send(django_capture_on_commit_callbacks)
        assert client.get(reverse("outbox:list")).status_code == 302
        client.force_login(regional_coordinator)
        assert client.get(reverse("outbox:list")).status_code == 403
        assert client.get(reverse("outbox:message", args=[record.pk])).status_code == 403
        assert client.post(reverse("outbox:retry", args=[record.pk])).status_code == 403
        assert client.post(reverse("outbox:list")).status_code == 405
        with pytest.raises(PermissionDenied):
            services.message_retry(user=regional_coordinator, message=record)

    def test_the_banner_tells_coordinators_and_nobody_else(
        self, holding: None, client: Client, regional_coordinator: User, outsider: User
    ) -> None:
        client.force_login(outsider)
        assert b"Mail is not being delivered" not in client.get("/").content
        client.force_login(regional_coordinator)
        body = client.get("/").content
        assert b"Mail is not being delivered" in body and b"Read the outbox" not in body

    # As in production, the view's transaction commits (and the retry runs) before it answers.
    @pytest.mark.django_db(transaction=True)
    def test_a_site_coordinator_sends_a_failed_message_again(
        self,
        dead_port: int,
        settings: Any,
        client: Client,
        site_coordinator: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        record = _send(django_capture_on_commit_callbacks)
        client.force_login(site_coordinator)
        home = client.get("/").content
        assert b"1 message could not be delivered yet" in home
        with running_sink(dead_port) as server:
            response = client.post(reverse("outbox:retry", args=[record.pk]), follow=True)
        assert b"The message was sent" in response.content
        assert len(server.received()) == 1
        assert AuditEvent.objects.filter(action="outbox.retry").count() == 1
        settings.MAILERS = relay_to(dead_port)
        assert b"could not be delivered" not in client.get("/").content


def run_tasks() -> None:
    """Run every due task as the worker would (the real `db_worker` on SQLite; on PostgreSQL
    the worker would end the test's transaction, so the queue is drained here)."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
        return
    while (row := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        row.claim("test-worker")
        result = row.task_result
        row.set_successful(row.task.call(*result.args, **result.kwargs))


def test_the_background_worker_sends_it_once_the_server_is_back(
    dead_port: int, django_capture_on_commit_callbacks: Any
) -> None:
    record = _send(django_capture_on_commit_callbacks)
    assert record.state == MessageState.RETRYING
    run_tasks()  # not due yet: nothing happens
    record.refresh_from_db()
    assert record.state == MessageState.RETRYING
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.update(run_after=past)
    OutboxMessage.objects.update(next_attempt_at=past)
    with running_sink(dead_port) as server:
        run_tasks()
    record.refresh_from_db()
    assert (record.state, len(server.received())) == (MessageState.SENT, 1)


def test_the_sweep_queues_again_what_a_lost_task_left_behind(
    dead_port: int, django_capture_on_commit_callbacks: Any
) -> None:
    record = _send(django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()  # the queue was flushed
    later = timezone.now() + timedelta(hours=1)
    assert services.outbox_sweep(now=later) == {"stuck": 0, "requeued": 1}
    assert DBTaskResult.objects.filter(args_kwargs__args=[record.pk]).exists()
