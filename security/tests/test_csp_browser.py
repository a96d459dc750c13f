"""The Content-Security-Policy holds on every page the main roles reach, in Chromium.

The pages come from the URL resolver (every pattern without parameters) and from the fixtures'
objects, then from the links each page shows: one page per URL pattern and role, so a new view
is visited as soon as a page links to it. Any `securitypolicyviolation` event or console CSP
error fails the test, at desktop and phone width.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from accounts.models import RegionalCoordinator, User
from commonweal.tests import browser as shared_browser
from commonweal.tests import listings as shared
from directory.models import OrganizationAdmin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages per role; enough for every pattern the fixtures reach, a bound if links multiply.
MAX_PAGES = 90
# Not pages: the API's answers, downloads and the admin's many model lists (its index is kept).
SKIP_PREFIXES = (
    "/static/",
    "/favicon.ico",
    "/accounts/logout/",
    "/api/organizations",
    "/api/places",
    "/admin/",
)
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


def parameterless_paths() -> list[str]:
    """Every URL pattern of the hub that takes no parameters."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "(" not in route:
                path = "/" + (prefix + route).lstrip("^").rstrip("$")
                found.append(path.replace("\\Z", "").replace("^", ""))

    walk(get_resolver().url_patterns, "")
    return sorted({p for p in found if not p.startswith(SKIP_PREFIXES)} | {"/admin/"})


def pattern_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route or match.view_name


class Crawl:
    def __init__(self, browser: Any, base: str, width: int) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=False
        )
        self.context.add_init_script(WATCH)
        # Map tiles come from the internet, which tests do not reach.
        self.context.route(
            "**/*.png",
            lambda route: (
                route.abort() if "/static/" not in route.request.url else route.continue_()
            ),
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.console: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.console.append(m.text)
                if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
                else None
            ),
        )

    def visit(self, path: str) -> tuple[list[str], list[str]] | None:
        """Open one page; return its violations and the same-site links it shows (None for
        what is not a page: a download, a feed, JSON)."""
        self.console.clear()
        try:
            response = self.page.goto(self.base + path, wait_until="load")
        except Exception as error:  # a download aborts the navigation
            if "ERR_ABORTED" in str(error) or "Download is starting" in str(error):
                return None
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return None
        self.last_status = response.status
        self.page.wait_for_timeout(100)  # scripts that fetch after load (maps, HTMX)
        violations = list(self.page.evaluate("window.__cspViolations || []")) + self.console
        links = self.page.eval_on_selector_all(
            "a[href]", "els => els.map(a => a.getAttribute('href'))"
        )
        here = urlsplit(self.page.url)
        local = []
        for href in links:
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != here.netloc:
                continue
            if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
                continue
            local.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return [f"{path}: {v}" for v in violations], local

    def close(self) -> None:
        self.context.close()


def crawl(
    browser: Any, base: str, user: User | None, seeds: list[str]
) -> tuple[list[str], list[str]]:
    """Visit one page per URL pattern reachable from the seeds, at desktop width, then the same
    pages at phone width. Returns the pages visited and every violation seen."""
    visited: list[str] = []
    violations: list[str] = []
    seen_patterns: set[str] = set()
    answered: set[str] = set()
    queue = list(seeds)
    desktop = Crawl(browser, base, shared_browser.WIDTHS["desktop"])
    if user is not None:
        shared_browser.sign_in(desktop.page, base, user.email)
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        pattern = pattern_of(urlsplit(path).path)
        if pattern is None or pattern in seen_patterns:
            continue
        seen_patterns.add(pattern)
        result = desktop.visit(path)
        if result is None:
            continue
        found, links = result
        visited.append(path)
        if desktop.last_status < 300:
            answered.add(path)
        violations += found
        queue += links
    desktop.close()

    phone = Crawl(browser, base, shared_browser.WIDTHS["phone"])
    if user is not None:
        shared_browser.sign_in(phone.page, base, user.email)
    # Refusals and 404s are the same error page at every width; the phone sees the real pages.
    for path in [p for p in visited if p in answered]:
        result = phone.visit(path)
        violations += [f"(phone) {v}" for v in (result[0] if result else [])]
    phone.close()
    print(f"  {len(visited)} pages ({len(answered)} answered 2xx, the rest refusals or 404s)")
    return visited, violations


def test_no_page_breaks_the_content_security_policy(
    browser: Any,
    live_server: Any,
    places: Any,
    organizer: User,
    member: User,
    regional_coordinator: User,
    settings: Any,
) -> None:
    # The coordinator's own pages are under test here, not the enrolment (test_passkey_browser).
    settings.SECOND_FACTOR_ENFORCED = False
    orgs = shared.make_listings(places, organizer)
    OrganizationAdmin.objects.create(organization=orgs["coalition"], user=organizer)
    coordinator = regional_coordinator
    User.objects.filter(pk=coordinator.pk).update(
        is_site_coordinator=True, is_staff=True, is_superuser=True
    )
    coordinator.refresh_from_db()
    assert RegionalCoordinator.objects.filter(user=coordinator).exists()
    seeds = (
        parameterless_paths()
        + [f"/organizations/{org.slug}/" for org in orgs.values() if not org.is_hidden]
        + ["/security/", "/security/sessions/"]
    )

    # The watch itself works: an inline handler slipped into a page is caught.
    canary = Crawl(browser, live_server.url, shared_browser.WIDTHS["desktop"])
    canary.visit("/")
    canary.page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"/static/none.png\" onerror=\"window.x=1\">')"
    )
    canary.page.wait_for_timeout(300)
    assert canary.page.evaluate("window.__cspViolations.length") >= 1
    canary.close()

    report: dict[str, int] = {}
    problems: list[str] = []
    pages: set[str] = set()
    for role, user in [
        ("anonymous", None),
        ("member", member),
        ("group admin", organizer),
        ("coordinator", coordinator),
    ]:
        visited, violations = crawl(browser, live_server.url, user, seeds)
        report[role] = len(visited)
        pages.update(visited)
        problems += [f"[{role}] {v}" for v in violations]
    print(
        f"\nCSP crawl: pages per role {report}; {len(pages)} distinct pages; "
        f"{len(problems)} violations"
    )
    assert not problems, "\n".join(problems[:40])
