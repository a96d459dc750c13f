"""Every URL pattern, tried by people who own nothing on the page.

The patterns come from the URL resolver itself, so a new view is tried the day it is added. Each is
filled in with the ids and slugs of objects that belong to other people (a hidden listing with a
private contact, a coalition and its assembly with a secret ballot, a sensitive request for help,
an introduction, a plan) and sent GET and POST by an anonymous visitor and by a signed-in outsider.
No answer may carry a private value, and no POST may change data unless the pattern is one anyone
may use (signing up, signing in, listing a group of one's own), named below with its reason.
A pattern whose parts cannot be filled in from the small world must be listed in EXPLICIT with
the values to use; a pattern that is neither fillable nor listed fails the test.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import RegionalCoordinator, User
from actions import services as action_services
from assemblies import services as assembly_services
from assemblies.models import Meeting, Method
from assemblies.tests.conftest import city_coalition
from commonground import services as commonground_services
from commonweal.tests import listings as shared
from connections import services as connection_services
from directory import services as directory_services
from directory.models import Organization
from outreach import services as outreach_services
from places.models import Place
from plans import services as plan_services
from plans.tests.conftest import adopt
from programs import services as program_services
from solidarity import services as solidarity_services

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "hidden-shelter-keeper@example.org"  # noqa: S105 - a contact, not a password
SECRET_PHONE = "+1 503 555 0199"  # noqa: S105
MEMBER_EMAIL = "tenants-private-line@example.org"
MEMBER_PHONE = "+1 503 555 0142"
PLEDGER_EMAIL = "pledger-private@example.org"
ALERTS_EMAIL = "alerts-private@example.org"
PRIVATE_VALUES = [
    SECRET_EMAIL,
    SECRET_PHONE,
    MEMBER_EMAIL,
    MEMBER_PHONE,
    PLEDGER_EMAIL,
    ALERTS_EMAIL,
]

# One form's worth of plausible values: enough for most forms to pass validation, so a view that
# forgets its permission check actually writes, and the test sees it.
POST_DATA = {
    "reason": "An outsider tries this.",
    "message": "An outsider tries this.",
    "note": "An outsider tries this.",
    "title": "Outsider's title",
    "body": "Outsider's text",
    "text": "Outsider's text",
    "name": "Outsider Group",
    "email": "outsider-form@example.org",
    "answer": "accept",
    "decision": "accept",
    "accept": "1",
    "approve": "1",
    "confirm": "1",
    "stage": "contacted",
    "status": "done",
    "progress": "100",
    "vote": "1",
    "choice": "agree",
    "kind": "volunteers",
    "level": "city",
    "place": "Portland",
    "organization": "",
    "quantity": "3",
}

# Patterns whose parts the world cannot supply by name, with the values to use and why.
EXPLICIT: dict[str, dict[str, str]] = {
    # Django admin's regex patterns: an app's index and the catch-all for unknown admin paths.
    "admin:app_list": {"app_label": "directory"},
    "admin:<catch_all>": {"url": "directory/organization/nothing/"},
    "admin:view_on_site": {"content_type_id": "1", "object_id": "1"},
    "admin:auth_user_password_change": {"id": "1"},
}
# Objects the small world does not make (they need a long story of their own: a cluster lead,
# an import run, a delegate, a suspension...). These patterns are tried with an id no one owns
# yet, which still proves they answer an outsider without an error or a write.
for _name in [
    "coalitions:lead_answer",
    "coalitions:lead_step_down",
    "coalitions:lead_withdraw",
    "actions:alert",
    "vouching:review_decide",
    "vouching:pending_decide",
    "assemblies:endorse",
    "assemblies:answer",
    "assemblies:delegate",
    "assemblies:mandate",
    "assemblies:report",
    "assemblies:recall",
    "programs:section_amend",
    "resolution:pair",
    "sources:run",
    "sources:run_status",
    "sources:run_confirm",
    "sources:run_cancel",
    "sources:run_undo",
    "sources:run_mapping",
    "outbox:message",
    "outbox:retry",
]:
    EXPLICIT[_name] = {"pk": "1"}

# Patterns anyone may write through (a new account, a sign-in attempt, a group of one's own),
# and what they may change.
OPEN_WRITES: dict[str, str] = {
    "accounts/signup/": "anyone may open an account",
    "accounts/login/": "a failed sign-in is counted for the lockout and kept in the audit log",
    "accounts/logout/": "signing out ends one's own session",
    "accounts/password-reset/": "a reset request is counted against its limit",
    "accounts/verify/": "asking for a new confirmation link for one's own account",
    "directory/add/": "anyone signed in may list a group and becomes its admin",
    "api/organizations": "anyone signed in may list a group and becomes its admin",
    "coalitions/new/": "anyone signed in may start a coalition",
    "commonground/new/": "anyone signed in may start a conversation",
    "coalitions/notices/read/": "marks one's own notices read",
    "actions/alerts/": "anyone signed in may subscribe to alerts for themselves",
    "security/sessions/sign-out/": "signs out one of one's own sessions",
    "security/sessions/sign-out-everywhere/": "signs out all of one's own sessions",
    "security/webauthn/registration/begin/": "starts enrolling a key for one's own account",
}

# Tables a refused request may still touch: sessions, lockout counters, rate-limit caches and
# the audit log of refusals and failed sign-ins.
QUIET_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


@dataclass
class World:
    hidden: Organization
    coalition: Organization
    values: dict[str, Any]


def build_world(places: dict[str, Place], member: User) -> World:
    """A coalition of five groups with an assembly, everything in it owned by others."""
    shared.ensure_issue_areas()
    city = city_coalition(places["portland"], member)
    keeper = User.objects.create_user("keeper@example.org", "a-long-passphrase")
    hidden = directory_services.organization_create(
        user=keeper, name="Hidden Shelter Network", home_place=places["portland"]
    )
    Organization.objects.filter(pk=hidden.pk).update(is_hidden=True)
    hidden.refresh_from_db()
    directory_services.private_contact_update(
        user=keeper, organization=hidden, email=SECRET_EMAIL, phone=SECRET_PHONE
    )
    first = city.groups[0]
    directory_services.private_contact_update(
        user=city.admins[0], organization=first, email=MEMBER_EMAIL, phone=MEMBER_PHONE
    )
    question = assembly_services.question_create(
        user=member,
        assembly=city.assembly,
        title="Who holds the keys",
        method=Method.APPROVAL,
        secret=True,
        options=[("Ana", None), ("Ben", None)],
    )
    assembly_services.question_open(user=member, question=question)
    proposal = adopt(city.assembly, "Adopt the land trust")
    plan = plan_services.plan_open(user=member, proposal=proposal)
    plan_services.task_add(user=member, plan=plan, title="Find land", owner_group=first)
    Meeting.objects.create(
        assembly=city.assembly, title="General meeting", starts_at=timezone.now()
    )
    need = solidarity_services.request_create(
        user=city.admins[0],
        organization=first,
        title="House an evicted family",
        kind="housing",
        sensitive=True,
        visibility="coalitions",
    )
    second = city.groups[1]
    offer = solidarity_services.offer_create(
        user=city.admins[1], organization=second, title="A van on weekends", kind="equipment"
    )
    solidarity_services.pledge_make(
        user=city.admins[1],
        request=need,
        organization=second,
        amount=Decimal(1),
        offer=offer,
        contact_email=PLEDGER_EMAIL,
    )
    debate = assembly_services.proposal_submit(
        user=city.admins[0], assembly=city.assembly, title="Rent strike fund", body="We pool."
    )
    assembly_services.amendment_propose(
        user=city.admins[1], proposal=debate, new_text="We pool and lend.", reason="Lending."
    )
    program_services.plank_propose(
        user=city.admins[0], assembly=city.assembly, title="Homes for all", text="Housing."
    )
    weaver = User.objects.create_user("weaver@example.org", "a-long-passphrase")
    RegionalCoordinator.objects.create(user=weaver, place=places["oregon"])
    outreach_services.outreach_entry_create(
        user=weaver, organization=hidden, place=places["oregon"]
    )
    outreach_services.claim_request_create(
        user=weaver, organization=hidden, message="I run this shelter."
    )
    action_services.subscription_create(
        user=city.admins[0], organization=first, email=ALERTS_EMAIL, issue_areas=["housing"]
    )
    connection_services.introduction_propose(
        user=city.admins[0], first=first, second=city.groups[1], reason="Both fight evictions."
    )
    now = timezone.now()
    call = action_services.call_create(
        user=member,
        coalition=city.coalition,
        title="Day of action for tenants",
        description="Rally at city hall.",
        scope=places["oregon"],
        starts_at=now + timedelta(days=14),
        deadline=now + timedelta(days=7),
        issue_areas=["housing"],
        min_organizations=3,
    )
    action_services.commitment_make(user=city.admins[2], call=call, organization=city.groups[2])
    commonground_services.conversation_create(
        user=member,
        title="What we agree on",
        organization=city.coalition,
        access="members",  # an open conversation takes anyone's statements, by design
    )
    return World(hidden, city.coalition, {"call": call, "group": first})


# Which object an `<int:pk>` (or `<slug>`) stands for, by the start of the path before it.
PK_MODELS = [
    ("coalitions/memberships/", "coalitions.Membership"),
    ("coalitions/coordinators/", "accounts.RegionalCoordinator"),
    ("coalitions/leads/", "coalitions.ClusterLead"),
    ("actions/alerts/subscriptions/", "actions.Subscription"),
    ("actions/alerts/", "actions.Alert"),
    ("actions/osdi/events/", "actions.CallToAction"),
    ("actions/<slug:slug>/commitments/", "actions.Commitment"),
    ("solidarity/requests/", "solidarity.SupportRequest"),
    ("solidarity/offers/", "solidarity.SupportOffer"),
    ("solidarity/pledges/", "solidarity.Pledge"),
    ("outreach/claims/", "outreach.ClaimRequest"),
    ("outreach/", "outreach.OutreachEntry"),
    ("connections/introductions/", "connections.Introduction"),
    ("vouching/review/", "vouching.Suspension"),
    ("vouching/pending/", "vouching.PendingAction"),
    ("commonground/", "commonground.Conversation"),
    ("assemblies/proposals/", "assemblies.Proposal"),
    ("assemblies/amendments/", "assemblies.Amendment"),
    ("assemblies/arguments/", "assemblies.Argument"),
    ("assemblies/questions/", "assemblies.Question"),
    ("assemblies/concerns/", "assemblies.Concern"),
    ("assemblies/delegates/", "assemblies.Delegate"),
    ("assemblies/meetings/", "assemblies.Meeting"),
    ("plans/decisions/", "assemblies.Question"),
    ("plans/tasks/", "plans.Task"),
    ("plans/", "plans.Plan"),
    ("programs/planks/", "programs.Plank"),
    ("programs/sections/", "programs.VisionSection"),
    ("duplicates/pairs/", "resolution.ReviewPair"),
    ("duplicates/organizations/", "directory.Organization"),
    ("sources/runs/", "sources.ImportRun"),
    ("outbox/", "outbox.OutboxMessage"),
    ("api/memberships/", "coalitions.Membership"),
    ("admin/", "directory.Organization"),
]

PART = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) of every pattern, through every include."""
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{ns}{p.name or '<catch_all>'}"


def _pk(route: str, before: str) -> str | None:
    for start, label in PK_MODELS:
        if before.startswith(start) or before == start.rstrip("/"):
            row = apps.get_model(label).objects.order_by("pk").first()
            return str(row.pk) if row is not None else None
    return None


def _slug(world: World, before: str) -> str | None:
    call = world.values["call"]
    for start, value in [
        ("actions/places/", "portland"),
        ("actions/organizations/", world.hidden.slug),
        ("actions/", call.slug),
        ("places/", "portland"),
        ("api/places/", "portland"),
        ("overview/", "portland"),
        ("solidarity/campaigns/", "nothing-yet"),
        ("sources/", "nothing-yet"),
        ("coalitions/", world.coalition.slug),
        ("connections/coalitions/", world.coalition.slug),
        ("vouching/coalitions/", world.coalition.slug),
        ("solidarity/coalitions/", world.coalition.slug),
        ("assemblies/", world.coalition.slug),
        ("programs/", world.coalition.slug),
        ("plans/accountability/", world.coalition.slug),
        ("api/coalitions/", world.coalition.slug),
        ("coalitions/admins/", world.coalition.slug),
    ]:
        if before.startswith(start) and before.count("/") == start.count("/"):
            return value
    # Everything else that names a group by slug gets the hidden listing.
    return world.hidden.slug


def fill(world: World, route: str, name: str) -> str | None:
    """The path for a route with the world's values, or None when a part cannot be filled."""
    listed = EXPLICIT.get(name, {})
    if "(?P<" in route:
        if not listed:
            return None
        path = route
        for key, given in listed.items():
            path = re.sub(rf"\(\?P<{key}>[^)]*\)", given, path)
        return "/" + path.lstrip("^").rstrip("$").replace("\\", "")
    out, last = [], 0
    for m in PART.finditer(route):
        before = route[: m.start()]
        key = m["name"]
        value: str | None
        if key in listed:
            value = listed[key]
        elif key in ("pk", "object_id"):
            value = _pk(route, before)
        elif key == "group":
            value = str(world.values["group"].pk)
        elif key == "slug":
            value = _slug(world, before)
        elif key == "key":
            value = world.coalition.slug if "coalitions" in before else world.hidden.slug
        elif key == "issue":
            value = "housing"
        elif key in ("token", "uidb64"):
            value = "bm90LWEtcmVhbC10b2tlbg"  # a token the outsider guesses, never a real one
        elif key == "which":
            value = "votes"
        elif key == "fmt":
            value = "csv"
        else:
            value = None
        if value is None:
            return None
        out.append(route[last : m.start()] + value)
        last = m.end()
    out.append(route[last:])
    return "/" + "".join(out)


def digest() -> dict[str, tuple[int, str]]:
    """Row count and latest update of every table (one query), to tell whether a request wrote."""
    parts = []
    for model in apps.get_models():
        table = model._meta.db_table
        if table in QUIET_TABLES or model._meta.label == "accounts.AuditEvent":
            continue
        field = "updated_at" if any(f.name == "updated_at" for f in model._meta.fields) else None
        latest = f"CAST(MAX({field}) AS TEXT)" if field else "''"
        parts.append(f"SELECT '{table}', COUNT(*), {latest} FROM {table}")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {row[0]: (row[1], row[2] or "") for row in cursor.fetchall()}


def leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [value for value in PRIVATE_VALUES if value in text]


@pytest.fixture
def world(places: dict[str, Place], member: User) -> World:
    return build_world(places, member)


def test_every_pattern_can_be_filled_or_is_listed(world: World) -> None:
    missing = [
        (name, route)
        for route, name in walk(get_resolver().url_patterns)
        if fill(world, route, name) is None
    ]
    assert not missing, f"fill these in from the world or list them in EXPLICIT: {missing}"


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_no_outsider_reads_private_values_or_writes(
    world: World, who: str, outsider: User, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = False  # hundreds of requests from one address in a second
    client = Client(raise_request_exception=False)
    if who == "outsider":
        client.force_login(outsider)
    routes = [
        (route, name, fill(world, route, name)) for route, name in walk(get_resolver().url_patterns)
    ]
    failures: list[str] = []
    sent = 0
    for route, name, path in routes:
        assert path is not None, name
        answer = client.get(path)
        sent += 1
        if found := leaks(answer.content):
            failures.append(f"GET {path} ({answer.status_code}) shows {found}")
        if answer.status_code >= 500:
            failures.append(f"GET {path} answered {answer.status_code}")
        before = digest()
        answer = client.post(path, POST_DATA)
        sent += 1
        after = digest()
        changed = sorted(t for t in after if after[t] != before.get(t))
        if found := leaks(answer.content):
            failures.append(f"POST {path} ({answer.status_code}) shows {found}")
        if answer.status_code >= 500:
            failures.append(f"POST {path} answered {answer.status_code}")
        if changed and route not in OPEN_WRITES:
            failures.append(f"POST {path} ({answer.status_code}) changed {changed}")
        if who == "outsider" and ("sign-out" in route or route == "accounts/logout/"):
            client.force_login(outsider)
    print(f"{who}: {len(routes)} patterns, {sent} requests")
    assert not failures, "\n".join(failures)
