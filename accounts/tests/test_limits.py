"""Rate limits on everything that mails someone or writes through the API."""

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from directory.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    caches["limits"].clear()
    yield
    caches["limits"].clear()


class TestPasswordReset:
    def test_thirty_one_resets_for_one_account_send_three_mails(self, member: User) -> None:
        answers = set()
        for i in range(31):
            # From many places at once, so only the per-account limit applies.
            client = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
            email = member.email.upper() if i % 2 else f"  {member.email} "
            response = client.post(reverse("accounts:password_reset"), {"email": email})
            answers.add((response.status_code, response["Location"]))
        assert len(mail.outbox) == 3
        # The page after the form reads the same every time.
        assert answers == {(302, reverse("accounts:password_reset_done"))}

    def test_one_address_asking_again_and_again_is_told_to_wait(self) -> None:
        client = Client(REMOTE_ADDR="203.0.113.5")
        statuses = [
            client.post(reverse("accounts:password_reset"), {"email": f"x{i}@example.org"})
            for i in range(21)
        ]
        assert [r.status_code for r in statuses[:20]] == [302] * 20
        assert statuses[20].status_code == 429
        assert int(statuses[20]["Retry-After"]) > 0
        assert "Too many tries" in statuses[20].content.decode()


class TestSignup:
    def test_thirty_sign_ups_from_one_address_are_cut_off(self) -> None:
        client = Client(REMOTE_ADDR="203.0.113.6")
        codes = []
        for i in range(30):
            data = {
                "email": f"bot{i}@example.org",
                "display_name": "Bot",
                "password": "correct horse battery",
            }
            codes.append(client.post(reverse("accounts:signup"), data).status_code)
        assert codes[:20] == [302] * 20
        assert set(codes[20:]) == {429}
        assert User.objects.filter(email__startswith="bot").count() == 20


class TestClaimsAndIntroductions:
    @override_settings(RATE_LIMITS={"claim.user": "2/h"})
    def test_claims_are_limited_per_person(self, client: Client, member: User) -> None:
        orgs = [
            Organization.objects.create(name=f"Group {i}", slug=f"group-{i}", kind="local_group")
            for i in range(3)
        ]
        client.force_login(member)
        codes = [
            client.post(
                reverse("outreach:claim", args=[org.slug]),
                {"action": "request", "message": "We run it."},
            ).status_code
            for org in orgs
        ]
        assert 429 not in codes[:2]
        assert codes[2] == 429

    @override_settings(RATE_LIMITS={"introduction.user": "1/d"})
    def test_introductions_are_limited_per_person(self, client: Client, member: User) -> None:
        client.force_login(member)
        first = client.post(reverse("connections:introduction_new"), {})
        second = client.post(reverse("connections:introduction_new"), {})
        assert first.status_code != 429
        assert second.status_code == 429


class TestApiWrites:
    @override_settings(RATE_LIMITS={"api.write": "3/m"})
    def test_the_api_answers_429_with_retry_after(self, client: Client, member: User) -> None:
        client.force_login(member)
        codes = []
        for i in range(4):
            response = client.post(
                "/api/organizations",
                {"name": f"Group {i}", "kind": "local_group"},
                content_type="application/json",
            )
            codes.append(response.status_code)
        assert codes == [201, 201, 201, 429]
        assert 0 < int(response["Retry-After"]) <= 60
        # Reading is never limited.
        assert client.get("/api/organizations").status_code == 200


def test_unlock_links_cannot_be_forged(client: Client, member: User) -> None:
    for token in ("nonsense", "eyJ1IjoxfQ:1vTzZ3:forged-signature"):
        assert client.get(reverse("accounts:unlock", args=[token])).status_code == 400
