"""Rapid-response alerts through the database queue, a real SMTP sink and a local webhook."""

import hashlib
import hmac
import json
import smtplib
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from actions import delivery, services
from actions.models import Alert, AlertState, Delivery, DeliveryStatus, Subscription
from actions.tests.conftest import call_for
from commonweal.tests.smtpsink import free_port

pytestmark = pytest.mark.django_db


def run_tasks():
    """Run every queued task in this process, as a worker would.

    On SQLite this is the real `db_worker`. On PostgreSQL the worker closes the connection
    after each task, which would end the test's transaction, so the queue is drained here.
    """
    if connection.vendor == "sqlite":
        call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
        return
    from django_tasks_db.models import DBTaskResult

    while (row := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        row.claim("test-worker")
        result = row.task_result
        row.set_successful(row.task.call(*result.args, **result.kwargs))


def send(captured, **kwargs):
    with captured(execute=True):
        alert = services.alert_send(**kwargs)
    run_tasks()
    alert.refresh_from_db()
    return alert


@pytest.fixture
def subscribers(cast, places, member, organizer, outsider):
    return {
        "member_oregon_housing": services.subscription_create(
            user=member, issue_areas=["housing"], place=places["oregon"]
        ),
        "outsider_climate": services.subscription_create(
            user=outsider, issue_areas=["climate"], place=None
        ),
        "group_cascadia": services.subscription_create(
            user=organizer,
            organization=cast.groups["portland"],
            email="list@portland-tenants.example",
            place=places["cascadia"],
        ),
        "group_new_york": services.subscription_create(
            user=organizer,
            organization=cast.groups["nyc"],
            email="nyc@tenants.example",
            place=places["new_york"],
        ),
    }


class TestFanOut:
    def test_it_mails_everyone_who_opted_in_for_the_issue_and_place(
        self, smtp_sink, subscribers, site_coordinator, places, django_capture_on_commit_callbacks
    ):
        alert = send(
            django_capture_on_commit_callbacks,
            user=site_coordinator,
            subject="Public comment closes Friday",
            body="Tell the council to keep rent stabilisation.",
            issue_areas=["housing"],
            place=places["portland"],
        )
        assert sorted(smtp_sink.to()) == ["list@portland-tenants.example", "member@example.org"]
        assert alert.state == AlertState.DONE
        assert alert.recipients == 2
        message = smtp_sink.messages[0]
        assert message["Subject"] == "Public comment closes Friday"
        assert message["List-Unsubscribe"].startswith(
            "<http://hub.test/actions/alerts/unsubscribe/"
        )
        assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}

    def test_it_reaches_subscribers_of_wider_places_too(
        self, smtp_sink, subscribers, site_coordinator, places, django_capture_on_commit_callbacks
    ):
        send(
            django_capture_on_commit_callbacks,
            user=site_coordinator,
            subject="Nationwide",
            body="Everyone in the country.",
            place=places["us"],
        )
        # Oregon and New York lie inside the US; Cascadia overlaps it; the climate subscriber
        # has no place (everywhere).
        assert len(smtp_sink.to()) == 4

    def test_it_sends_one_copy_to_an_address_subscribed_twice(
        self, smtp_sink, member, places, site_coordinator, django_capture_on_commit_callbacks
    ):
        services.subscription_create(user=member, place=places["oregon"])
        services.subscription_create(user=member, place=places["us"])
        send(
            django_capture_on_commit_callbacks,
            user=site_coordinator,
            subject="Once",
            body="Only once.",
            place=places["portland"],
        )
        assert smtp_sink.to() == ["member@example.org"]

    def test_it_tells_committed_groups_when_a_call_goes(
        self, smtp_sink, cast, member, organizer, places, django_capture_on_commit_callbacks
    ):
        call = call_for(cast, member, places["us"], min_organizations=2)
        with django_capture_on_commit_callbacks(execute=True):
            services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
            services.commitment_make(user=organizer, call=call, organization=cast.groups["nyc"])
        run_tasks()
        assert smtp_sink.to() == ["organizer@example.org"]  # one admin of both groups
        assert smtp_sink.messages[0]["Subject"].startswith("It's on:")
        assert "List-Unsubscribe" not in smtp_sink.messages[0]


class TestNoDoubleSends:
    @pytest.fixture
    def alert(self, subscribers, site_coordinator, places):
        with override_settings(
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        ):
            alert = services.alert_send(
                user=site_coordinator, subject="Hi", body="Body", place=places["us"]
            )
        delivery.fan_out(alert.pk)
        return alert

    def test_it_does_not_resend_when_a_task_runs_twice(self, smtp_sink, alert):
        [(first, last)] = delivery.open_chunks(alert.pk)
        delivery.send_chunk(alert.pk, first, last)
        again = delivery.send_chunk(alert.pk, first, last)
        assert again.claimed == 0
        assert len(smtp_sink.messages) == 4

    def test_it_hands_back_what_a_crashed_worker_claimed_but_never_sent(self, smtp_sink, alert):
        [(first, last)] = delivery.open_chunks(alert.pk)
        now = timezone.now()
        delivery._claim(alert.pk, first, last, now)  # the worker dies right after claiming
        assert delivery.send_chunk(alert.pk, first, last).claimed == 0  # the lease holds
        services.call_tick(now=now + delivery.LEASE + timedelta(minutes=1))
        statuses = set(Delivery.objects.filter(alert=alert).values_list("status", flat=True))
        assert statuses == {DeliveryStatus.PENDING}
        delivery.send_chunk(alert.pk, first, last)
        assert sorted(smtp_sink.to()) == sorted(
            Delivery.objects.filter(alert=alert).values_list("address", flat=True)
        )

    def test_it_never_resends_what_a_worker_killed_mid_batch_had_in_flight(
        self, smtp_sink, alert, monkeypatch
    ):
        monkeypatch.setattr(delivery, "SENT_BATCH", 1)
        real_sendmail = smtplib.SMTP.sendmail
        calls = []

        class Killed(BaseException):
            """Stands for SIGKILL: nothing in the worker handles it."""

        def sendmail(self, *args, **kwargs):
            calls.append(args[1])
            answer = real_sendmail(self, *args, **kwargs)
            if len(calls) == 2:
                raise Killed  # after the second message left, before it was marked sent
            return answer

        monkeypatch.setattr(smtplib.SMTP, "sendmail", sendmail)
        [(first, last)] = delivery.open_chunks(alert.pk)
        now = timezone.now()
        with pytest.raises(Killed):
            delivery.send_chunk(alert.pk, first, last, now=now)
        by_status = dict(
            Delivery.objects.filter(alert=alert)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        assert by_status == {
            DeliveryStatus.SENT: 1,
            DeliveryStatus.SENDING: 1,
            DeliveryStatus.CLAIMED: 2,
        }
        services.call_tick(now=now + delivery.LEASE + timedelta(minutes=1))
        delivery.send_chunk(alert.pk, first, last, now=now + delivery.LEASE)
        rows = dict(Delivery.objects.filter(alert=alert).values_list("address", "status"))
        received = smtp_sink.to()
        assert len(received) == len(set(received)) == 4  # every message once, none twice
        assert sorted(rows.values()).count(DeliveryStatus.UNCERTAIN) == 1
        assert rows[calls[1][0]] == DeliveryStatus.UNCERTAIN  # the one in flight
        assert sorted(received) == sorted(rows)

    def test_it_retries_what_the_server_refused_and_sends_it_once(self, smtp_sink, alert):
        smtp_sink.refuse_with = "451 4.3.0 Try again later"
        [(first, last)] = delivery.open_chunks(alert.pk)
        result = delivery.send_chunk(alert.pk, first, last)
        assert result.counts == {DeliveryStatus.RETRY: 4}
        assert result.retry_at is not None
        assert delivery.send_chunk(alert.pk, first, last).claimed == 0  # not due yet
        smtp_sink.refuse_with = None
        later = delivery.send_chunk(alert.pk, first, last, now=result.retry_at)
        assert later.counts == {DeliveryStatus.SENT: 4}
        assert len(smtp_sink.messages) == 4
        alert.refresh_from_db()
        assert alert.state == AlertState.DONE

    def test_it_retries_when_the_mail_server_is_down(self, alert, settings):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
            }
        }
        [(first, last)] = delivery.open_chunks(alert.pk)
        result = delivery.send_chunk(alert.pk, first, last)
        assert result.counts == {DeliveryStatus.RETRY: 4}

    def test_it_gives_up_after_the_last_attempt(self, smtp_sink, alert):
        smtp_sink.refuse_with = "451 later"
        [(first, last)] = delivery.open_chunks(alert.pk)
        now = timezone.now()
        for _ in range(delivery.MAX_ATTEMPTS):
            now += timedelta(hours=1)
            delivery.send_chunk(alert.pk, first, last, now=now)
        statuses = set(Delivery.objects.filter(alert=alert).values_list("status", flat=True))
        assert statuses == {DeliveryStatus.FAILED}

    def test_it_skips_someone_who_unsubscribed_in_between(self, smtp_sink, alert, subscribers):
        services.subscription_cancel(subscription=subscribers["outsider_climate"])
        [(first, last)] = delivery.open_chunks(alert.pk)
        result = delivery.send_chunk(alert.pk, first, last)
        assert result.counts == {DeliveryStatus.SENT: 3, DeliveryStatus.SKIPPED: 1}


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    _Hook.received = []
    _Hook.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, _Hook
    finally:
        server.shutdown()
        server.server_close()


class TestWebhooks:
    def test_it_posts_a_signed_alert_to_a_groups_own_tool(
        self,
        smtp_sink,
        webhook_server,
        cast,
        organizer,
        site_coordinator,
        places,
        settings,
        django_capture_on_commit_callbacks,
    ):
        settings.ACTIONS_WEBHOOK_ALLOW_PRIVATE = True
        server, hook = webhook_server
        sub = services.subscription_create(
            user=organizer,
            organization=cast.groups["seattle"],
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook",
            place=places["washington"],
        )
        send(
            django_capture_on_commit_callbacks,
            user=site_coordinator,
            subject="Hearing tomorrow",
            body="Pack the room.",
            place=places["seattle"],
        )
        [(headers, body)] = hook.received
        stamp = headers["X-Commonweal-Timestamp"]
        expected = hmac.new(
            sub.webhook_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        assert headers["X-Commonweal-Signature"] == f"sha256={expected}"
        payload = json.loads(body)
        assert payload["alert"]["subject"] == "Hearing tomorrow"
        assert payload["id"] == headers["X-Commonweal-Delivery"]

    def test_it_retries_a_webhook_that_answered_503(
        self, webhook_server, cast, organizer, site_coordinator, places, settings
    ):
        settings.ACTIONS_WEBHOOK_ALLOW_PRIVATE = True
        server, hook = webhook_server
        hook.status = 503
        services.subscription_create(
            user=organizer,
            organization=cast.groups["seattle"],
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        )
        with override_settings(
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        ):
            alert = services.alert_send(user=site_coordinator, subject="S", body="B")
        [(first, last)] = delivery.fan_out(alert.pk)
        assert delivery.send_chunk(alert.pk, first, last).counts == {DeliveryStatus.RETRY: 1}

    @pytest.mark.parametrize(
        "address",
        [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.0.0.5/hook",
            "http://192.168.1.20/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://0.0.0.0/hook",
        ],
    )
    def test_it_refuses_a_private_address_when_subscribing(self, cast, organizer, address):
        with pytest.raises(ValidationError) as refused:
            services.subscription_create(
                user=organizer, organization=cast.groups["seattle"], webhook_url=address
            )
        assert "private network" in str(refused.value.message_dict["webhook_url"])
        assert not Subscription.objects.filter(webhook_url=address).exists()

    def test_it_says_why_on_the_alerts_page(self, client, cast, organizer):
        client.force_login(organizer)
        response = client.post(
            reverse("actions:alerts"),
            {"organization": str(cast.groups["seattle"].pk), "webhook_url": "http://127.0.0.1/x"},
        )
        assert response.status_code == 400
        assert "private network" in response.text

    def test_it_still_refuses_at_sending_time(
        self, webhook_server, cast, organizer, site_coordinator, settings
    ):
        """A subscription made while private addresses were allowed is not sent once they
        are not (or once its name resolves to a private address)."""
        server, hook = webhook_server
        settings.ACTIONS_WEBHOOK_ALLOW_PRIVATE = True
        services.subscription_create(
            user=organizer,
            organization=cast.groups["seattle"],
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        )
        settings.ACTIONS_WEBHOOK_ALLOW_PRIVATE = False
        with override_settings(
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        ):
            alert = services.alert_send(user=site_coordinator, subject="S", body="B")
        [(first, last)] = delivery.fan_out(alert.pk)
        assert delivery.send_chunk(alert.pk, first, last).counts == {DeliveryStatus.FAILED: 1}
        assert hook.received == []


class TestUnsubscribe:
    def test_it_asks_before_stopping_and_stops_on_post(self, client, subscribers):
        sub = subscribers["member_oregon_housing"]
        url = delivery.unsubscribe_url(sub.pk).replace("http://localhost:8000", "")
        page = client.get(url)
        assert page.status_code == 200 and "Stop these alerts?" in page.text
        sub.refresh_from_db()
        assert sub.active
        assert client.post(url).status_code == 200
        sub.refresh_from_db()
        assert not sub.active

    def test_it_accepts_one_click_unsubscribe_from_mail_clients(self, subscribers):
        from django.test import Client

        sub = subscribers["outsider_climate"]
        client = Client(enforce_csrf_checks=True)
        url = reverse("actions:unsubscribe", args=[delivery.unsubscribe_token(sub.pk)])
        assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
        assert not Subscription.objects.get(pk=sub.pk).active

    def test_it_refuses_a_forged_token(self, client, subscribers):
        url = reverse("actions:unsubscribe", args=["1:forged"])
        assert client.post(url).status_code == 404
        assert Subscription.objects.filter(active=True).count() == 4

    def test_it_refuses_a_put(self, client, subscribers):
        sub = subscribers["outsider_climate"]
        url = reverse("actions:unsubscribe", args=[delivery.unsubscribe_token(sub.pk)])
        assert client.put(url).status_code == 405


class TestAlertPages:
    def test_it_lets_a_person_subscribe(self, client, member, places):
        client.force_login(member)
        assert client.get(reverse("actions:alerts")).status_code == 200
        response = client.post(
            reverse("actions:alerts"), {"issue_areas": ["housing"], "place": "oregon"}
        )
        assert response.status_code == 302
        sub = Subscription.objects.get(user=member)
        assert (sub.email, sub.place) == ("member@example.org", places["oregon"])

    def test_it_names_a_missing_channel_for_a_group(self, client, organizer, cast):
        client.force_login(organizer)
        response = client.post(
            reverse("actions:alerts"), {"organization": str(cast.groups["oakland"].pk)}
        )
        assert response.status_code == 400
        assert "Give an email address" in response.text

    def test_it_lets_a_coordinator_send_and_see_delivery(
        self, client, site_coordinator, subscribers, places
    ):
        client.force_login(site_coordinator)
        assert client.get(reverse("actions:alert_send")).status_code == 200
        response = client.post(
            reverse("actions:alert_send"), {"subject": "Now", "body": "Go", "place": "oregon"}
        )
        alert = Alert.objects.get(subject="Now")
        assert response.status_code == 302
        assert client.get(reverse("actions:alert", args=[alert.pk])).status_code == 200

    def test_it_refuses_alerts_from_an_outsider(self, client, outsider, subscribers):
        client.force_login(outsider)
        response = client.post(
            reverse("actions:alert_send"), {"subject": "Spam", "body": "Spam", "place": ""}
        )
        assert response.status_code == 403
        assert not Alert.objects.exists()

    def test_it_does_not_offer_the_alert_form_to_someone_who_may_not_send(self, client, outsider):
        client.force_login(outsider)
        assert reverse("actions:alert_send") not in client.get(reverse("actions:alerts")).text
        # Typed-in address: a page that says who sends alerts, before anything is typed.
        response = client.get(reverse("actions:alert_send"))
        assert response.status_code == 403
        assert "Alerts are sent by site coordinators" in response.text
        assert 'name="subject"' not in response.text

    def test_it_lets_a_regional_coordinator_alert_their_region_only(
        self, client, regional_coordinator, subscribers
    ):
        client.force_login(regional_coordinator)
        ok = client.post(
            reverse("actions:alert_send"), {"subject": "A", "body": "B", "place": "portland"}
        )
        assert ok.status_code == 302
        refused = client.post(
            reverse("actions:alert_send"), {"subject": "A", "body": "B", "place": "new-york-city"}
        )
        assert refused.status_code == 403

    def test_it_hides_delivery_status_from_others(self, client, outsider, site_coordinator):
        alert = Alert.objects.create(subject="x", body="y", sent_by=site_coordinator)
        client.force_login(outsider)
        assert client.get(reverse("actions:alert", args=[alert.pk])).status_code == 404

    def test_it_stops_a_subscription_by_post_only(self, client, member, subscribers):
        sub = subscribers["member_oregon_housing"]
        client.force_login(member)
        url = reverse("actions:subscription_cancel", args=[sub.pk])
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 302
        assert not Subscription.objects.get(pk=sub.pk).active

    def test_it_refuses_to_stop_someone_elses_subscription(self, client, outsider, subscribers):
        client.force_login(outsider)
        url = reverse("actions:subscription_cancel", args=[subscribers["member_oregon_housing"].pk])
        assert client.post(url).status_code == 404


def test_it_also_works_with_a_non_smtp_mail_backend(
    subscribers, site_coordinator, places, settings, mailoutbox
):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        alert = services.alert_send(
            user=site_coordinator, subject="Local", body="Body", place=places["portland"]
        )
    [(first, last)] = delivery.fan_out(alert.pk)
    delivery.send_chunk(alert.pk, first, last)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "list@portland-tenants.example",
        "member@example.org",
        "outsider@example.org",
    ]
    assert "Stop these alerts" in mailoutbox[0].body


def test_without_a_mail_server_it_keeps_alerts_in_the_outbox_and_never_says_sent(
    subscribers, site_coordinator, places, settings, tmp_path
):
    from commonweal.tests.smtpsink import HOLD
    from outbox.models import OutboxMessage

    settings.MAILERS, settings.OUTBOX_DIR = HOLD, tmp_path
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        alert = services.alert_send(
            user=site_coordinator, subject="Local", body="Body", place=places["portland"]
        )
    [(first, last)] = delivery.fan_out(alert.pk)
    result = delivery.send_chunk(alert.pk, first, last)
    assert result.counts == {DeliveryStatus.FAILED: 3}
    assert set(Delivery.objects.values_list("last_error", flat=True)) == {
        "kept in the outbox: no mail server is set up"
    }
    assert OutboxMessage.objects.filter(subject__contains="Local", state="held").count() == 3


def test_with_a_mail_server_alerts_go_straight_to_it_not_through_the_outbox(
    subscribers, site_coordinator, places, settings, tmp_path
):
    from commonweal.tests.smtpsink import relay_to, running_sink
    from outbox.models import OutboxMessage

    with running_sink() as server:
        settings.MAILERS, settings.OUTBOX_DIR = relay_to(server.port), tmp_path
        with override_settings(
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        ):
            alert = services.alert_send(
                user=site_coordinator, subject="Local", body="Body", place=places["portland"]
            )
        [(first, last)] = delivery.fan_out(alert.pk)
        result = delivery.send_chunk(alert.pk, first, last)
    assert result.counts == {DeliveryStatus.SENT: 3} and len(server.received()) == 3
    assert not OutboxMessage.objects.exists()


def test_it_builds_the_same_message_from_the_template_as_from_the_mime_classes(
    subscribers, site_coordinator, places, settings, monkeypatch
):
    import email
    import time

    # Unsubscribe links are signed with the time; two builds straddling a second would differ.
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)

    settings.DEFAULT_FROM_EMAIL = "Réseau <hub@example.org>"
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        alert = services.alert_send(
            user=site_coordinator,
            subject="Dernière chance : commentaires publics",
            body="Ligne une, été.\n\n" + "Un très long paragraphe " * 12 + " \nFin = fin",
            place=places["us"],
        )
    delivery.fan_out(alert.pk)
    env = delivery._Envelope.of(alert)
    template = delivery._Template(alert, env)
    rows = list(Delivery.objects.filter(alert=alert))
    rows.append(Delivery(alert=alert, address="admin@example.org", key=rows[0].key))
    for row in rows:
        built = template.render(row)
        assert built is not None
        ours = email.message_from_bytes(built)
        theirs = email.message_from_bytes(delivery.email_bytes(alert, row, env))
        assert ours.items() == theirs.items()
        assert ours.get_payload(decode=True) == theirs.get_payload(decode=True)


def test_it_hands_on_chunks_while_still_fanning_out(
    smtp_sink, subscribers, site_coordinator, places, monkeypatch
):
    monkeypatch.setattr(delivery, "CHUNK", 1)
    monkeypatch.setattr(delivery, "INSERT_BATCH", 2)
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    ):
        alert = services.alert_send(
            user=site_coordinator, subject="Hi", body="Body", place=places["us"]
        )
    seen = []

    def send_now(first, last):
        # Rows written so far are sendable at once; the alert is not settled before the end.
        seen.append(Delivery.objects.filter(alert=alert).count())
        delivery.send_chunk(alert.pk, first, last)

    chunks = delivery.fan_out(alert.pk, on_chunk=send_now)
    assert len(chunks) == 4 and seen[0] < 4
    assert len(smtp_sink.messages) == 4
    alert.refresh_from_db()
    assert alert.state == AlertState.DONE
