"""The API fuzzed from its own description: every operation gets a bounded number of generated
requests, anonymous and with a signed-in session, and must never fail with a server error or
answer with a status code its description does not list."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as fuzz_settings
from schemathesis.specs.openapi.checks import status_code_conformance

from accounts.models import User
from places.models import Place

pytestmark = pytest.mark.django_db

# Bounded so the whole file stays under a few minutes on a small machine.
EXAMPLES = 25
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance]


# Read once from the app itself (the description needs no database).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


SENT = [0]


@pytest.fixture(scope="module", autouse=True)
def _count_requests() -> Iterator[None]:
    yield
    print(f"schemathesis: {SENT[0]} requests sent")


@pytest.fixture(autouse=True)
def _one_connection(places: dict[str, Place]) -> Iterator[None]:
    # The WSGI app answers in this thread on the test's own connection; Django's test client
    # detaches these handlers for the same reason (they would close it mid-transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _session(user: User) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and header of a signed-in browser session, with its CSRF token."""
    client = Client()
    client.force_login(user)
    token = "a" * 32
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: token,
    }
    return cookies, {"X-CSRFToken": token}


@schema.parametrize()
@fuzz_settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
def test_it_answers_as_described_with_and_without_a_session(case: Any, organizer: User) -> None:
    # Each generated request is sent twice, anonymous and signed in, so one round of
    # generation covers both (generation, not the requests, is what takes the time).
    case.call_and_validate(checks=CHECKS)
    SENT[0] += 2
    cookies, headers = _session(organizer)
    case.call_and_validate(checks=CHECKS, cookies=cookies, headers=headers)
