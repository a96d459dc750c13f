"""End to end, in the running hub, with a real mail server: not a test, a script to re-run.

    DATABASE_URL=sqlite:////tmp/act.sqlite3 COMMONWEAL_VAR_DIR=/tmp/act-var \
        .venv/bin/python bench/actions/e2e.py --port 8766 --smtp-port 2525 \
        --maildir /tmp/act-mail/Maildir

Needs: a migrated database with the world's places (`commonweal migrate`, `commonweal setup`),
an MTA accepting mail on 127.0.0.1:<smtp-port> and delivering to <maildir> (see RESULTS.md for
the exim configuration used), Chromium at /usr/bin/chromium and Playwright.

It starts `commonweal serve` and one `commonweal db_worker` pointed at that MTA, then drives a
headless browser: a coordinator issues a call needing 3 groups; three groups' admins commit;
the call goes by itself; the go notice reaches the admins' mailboxes; the coordinator sends an
alert that reaches the subscribers' mailboxes; the groups report and the totals roll up.
Screenshots go to $TMPDIR/act-e2e-shots/. People and groups are made with the services
(there is no sign-up-and-verify step to click through here); everything else goes through pages.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
# Playwright's sync API runs an event loop in this thread; the ORM reads here are plain sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway accounts in a scratch hub
SHOTS = Path(tempfile.gettempdir()) / "act-e2e-shots"


def say(*parts: object) -> None:
    print(*parts, flush=True)


def wait_for_port(port: int, timeout: float = 120) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing listening on {port}")


def read_maildir(maildir: Path) -> list[email.message.EmailMessage]:
    found = []
    for sub in ("new", "cur"):
        for path in sorted((maildir / sub).glob("*")):
            found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
    return found


def wait_for_mail(
    maildir: Path, subject_start: str, recipients: set[str], timeout: float = 180
) -> list[Any]:
    end = time.time() + timeout
    while time.time() < end:
        got = [m for m in read_maildir(maildir) if str(m["Subject"]).startswith(subject_start)]
        if recipients <= {str(m["To"]) for m in got}:
            return got
        time.sleep(1)
    raise SystemExit(f"mail {subject_start!r} did not reach {recipients} in {timeout:.0f} s")


def seed(run: str) -> dict[str, Any]:
    """People, a coalition and three groups in three countries, and alert subscriptions."""
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from actions import services as action_services
    from directory import services as directory_services
    from places.models import Place, PlaceKind

    coordinator = User.objects.create_user(
        f"coordinator-{run}@hub.test",
        PASSWORD,
        is_site_coordinator=True,
        email_verified_at=timezone.now(),
    )
    coalition = directory_services.organization_create(
        user=coordinator,
        name=f"Tenant Unions International {run}",
        kind="coalition",
        home_place=Place.objects.get(kind=PlaceKind.WORLD),
    )
    homes = []
    for iso in ("US", "CA", "DE"):
        country = Place.objects.get(kind=PlaceKind.COUNTRY, iso_code=iso)
        home = (
            Place.objects.filter(kind=PlaceKind.LOCALITY, lft__gt=country.lft, rgt__lt=country.rgt)
            .order_by("-population", "id")
            .first()
        )
        assert home is not None, f"no localities loaded for {iso}"
        homes.append(home)
    groups = []
    for i, home in enumerate(homes):
        # Bench accounts skip the mailed links a person would follow: their addresses count
        # as confirmed, so they may act for their groups.
        admin = User.objects.create_user(
            f"admin{i + 1}-{run}@hub.test", PASSWORD, email_verified_at=timezone.now()
        )
        org = directory_services.organization_create(
            user=admin,
            name=f"{home.name} Tenants {run}",
            home_place=home,
            issue_areas=["housing"],
        )
        action_services.subscription_create(user=admin, issue_areas=["housing"], place=None)
        groups.append({"admin": admin.email, "org": org, "home": home.name})
    reader = User.objects.create_user(f"reader-{run}@hub.test", PASSWORD)
    action_services.subscription_create(user=reader, issue_areas=["housing"], place=None)
    return {
        "coordinator": coordinator.email,
        "coalition": coalition,
        "groups": groups,
        "reader": reader.email,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, required=True, help="the MTA's Maildir")
    args = parser.parse_args()
    run = time.strftime("%H%M%S")
    site = f"http://127.0.0.1:{args.port}"
    os.environ.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(args.smtp_port),
        SITE_URL=site,
        DEFAULT_FROM_EMAIL="Commonweal hub <hub@hub.test>",
    )
    cast = seed(run)
    SHOTS.mkdir(parents=True, exist_ok=True)
    py = str(ROOT / ".venv" / "bin" / "python")
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed when the run ends
        "w", prefix="act-e2e-", suffix=".log", delete=False
    )
    say(f"server and worker log: {log.name}")
    server = subprocess.Popen(  # noqa: S603
        [py, "-m", "commonweal.cli", "serve", "--port", str(args.port), "--workers", "1"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(  # noqa: S603
        [py, "-m", "commonweal.cli", "db_worker", "--interval", "1", "--worker-id", "e2e"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(args.port)
        drive(site, cast, args.maildir, run)
    finally:
        for proc in (server, worker):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (server, worker):
            proc.wait(timeout=30)
        log.close()


def drive(site: str, cast: dict[str, Any], maildir: Path, run: str) -> None:
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from actions.models import CallState, CallToAction, Commitment

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--headless", "--disable-gpu"],
        )

        def signed_in(who: str) -> Any:
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.goto(f"{site}/accounts/login/")
            page.fill("input[name=username]", who)
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit], main form input[type=submit]")
            page.wait_for_load_state()
            return page

        # 1. The coordinator issues a call that needs three groups.
        coordinator = signed_in(cast["coordinator"])
        coordinator.goto(f"{site}/actions/new/")
        now = timezone.localtime()
        coordinator.select_option("#id_coalition", str(cast["coalition"].pk))
        title = f"Global day for tenants {run}"
        coordinator.fill("#id_title", title)
        coordinator.fill("#id_description", "Hold a rally at your city hall for rent control.")
        coordinator.check("input[name=issue_areas][value=housing]")
        coordinator.fill("#id_scope", "World")
        coordinator.fill("#id_starts_at", (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        coordinator.fill("#id_deadline", (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
        coordinator.fill("#id_min_organizations", "3")
        coordinator.screenshot(path=str(SHOTS / "1-issue-call.png"), full_page=True)
        coordinator.click("main form button[type=submit]")
        coordinator.wait_for_load_state()
        call = CallToAction.objects.get(title=title)
        say(f"call issued: {site}{call.get_absolute_url()} state={call.state}")

        # 2. Three groups' admins commit, each with a local event.
        for i, group in enumerate(cast["groups"]):
            page = signed_in(group["admin"])
            page.goto(f"{site}/actions/{call.slug}/commit/")
            page.select_option("#id_organization", str(group["org"].pk))
            page.fill("#id_expected_turnout", str(40 + 10 * i))
            page.fill("#id_event_date", (now + timedelta(days=3)).strftime("%Y-%m-%d"))
            page.fill("#id_venue", f"City hall, {group['home']}")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            call.refresh_from_db()
            say(f"{group['org'].name} committed: {call.active_count} of 3, state={call.state}")
            if i == 1:
                page.screenshot(path=str(SHOTS / "2-gathering.png"), full_page=True)
            group["page"] = page
        call.refresh_from_db()
        assert call.state == CallState.GO, call.state
        say(f"the call went by itself at {call.went_at:%H:%M:%S}")
        coordinator.goto(f"{site}/actions/{call.slug}/")
        coordinator.screenshot(path=str(SHOTS / "3-call-went.png"), full_page=True)

        # 3. The go notice reaches every committer's mailbox through the MTA.
        admins = {g["admin"] for g in cast["groups"]}
        t0 = time.time()
        notices = wait_for_mail(maildir, "It's on:", admins)
        say(f"go notice in the mailbox for {len(admins)} admins after {time.time() - t0:.1f} s")

        # 4. The coordinator sends an alert; subscribers get it.
        coordinator.goto(f"{site}/actions/alerts/send/")
        subject = f"Comment period closes Friday {run}"
        coordinator.fill("#id_subject", subject)
        coordinator.fill("#id_body", "Send your comment on the rent rules before Friday, 5 pm.")
        coordinator.check("input[name=issue_areas][value=housing]")
        coordinator.click("main form button[type=submit]")
        coordinator.wait_for_load_state()
        t0 = time.time()
        alerts = wait_for_mail(maildir, subject, admins | {cast["reader"]})
        say(f"alert in the mailbox for {len(alerts)} subscribers after {time.time() - t0:.1f} s")
        coordinator.reload()
        coordinator.screenshot(path=str(SHOTS / "4-alert-delivery.png"), full_page=True)

        # 5. After the action: every group reports, and the totals roll up.
        for i, group in enumerate(cast["groups"]):
            page = group["page"]
            commitment = Commitment.objects.get(call=call, organization=group["org"])
            page.goto(f"{site}/actions/{call.slug}/commitments/{commitment.pk}/report/")
            page.check("input[name=held][value=yes]")
            page.fill("#id_turnout", str(35 + 20 * i))
            page.fill("#id_outcome", "The council agreed to hear the proposal.")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
        coordinator.goto(f"{site}/actions/{call.slug}/after/")
        coordinator.screenshot(path=str(SHOTS / "5-after-action.png"), full_page=True)
        after = coordinator.inner_text("main")
        rollup = coordinator.request.get(f"{site}/actions/{call.slug}/rollup.json").json()
        browser.close()

    say("roll-up:", {k: rollup[k] for k in ("state", "total")}, rollup["counts"].get("country"))
    reported = sum(c.turnout or 0 for c in Commitment.objects.filter(call=call))
    say(f"reported turnout {reported} (page shows it: {str(reported) in after})")
    say("\nmailbox (read from the Maildir):")
    shown = [m for m in notices if m["To"] == cast["groups"][0]["admin"]][:1]
    shown += [m for m in alerts if m["To"] == cast["reader"]][:1]
    for m in shown:
        say("-" * 72)
        for h in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
            if m[h]:
                say(f"{h}: {m[h]}")
        say("")
        say(m.get_content().strip())
    say("-" * 72)
    say(f"screenshots in {SHOTS}")


if __name__ == "__main__":
    main()
