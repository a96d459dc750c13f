"""The HTTP API: places, issue areas, organizations, coalitions and memberships.

Reads are public and show only public listings. Writes (new listings, membership requests and
answers) use the browser session, with Django's CSRF protection, and go through the same
services as pages.
Every error names the field it is about; nothing private is ever serialized.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Path, Query, Schema
from ninja.security import django_auth

from api import schemas as s
from api.docs import DescribedAPI, SessionSwagger
from api.inputs import has_nul, is_web_address
from api.limits import TOO_MANY, WRITES
from api.outputs import links_out, service_area_fields, service_areas_by_organization
from coalitions import selectors as coalition_selectors
from coalitions import services as coalition_services
from coalitions.models import Membership
from commonweal.paging import SEEKABLE_ORDERS, Seek, seek_filter
from directory import permissions
from directory import services as directory_services
from directory.freshness import freshness_of
from directory.models import IssueArea, Organization, OrganizationKind
from directory.selectors import (
    directory_counts,
    get_organization_for_user,
    issue_areas_list,
    organization_search,
)
from directory.serving import organization_search_serving
from places.models import OVERLAY_KINDS, Place

api = DescribedAPI(
    title="Commonweal API",
    version="1",
    description=(
        "Places, organizations, issue areas and coalitions listed on this hub. Lists are "
        'paginated with `limit` and `offset` and answer `{"items": [...], "count": N}`; '
        "organizations also page by `after` (the last id seen), which reaches every result. "
        "Writes use your signed-in browser session."
    ),
    urls_namespace="api",
    # The interactive docs load their scripts from a CDN unless ninja's own static files are
    # installed; a hub promises visitors no third-party requests, so docs need the local copy
    # (settings.INSTALLED_APPS has it). They live at /api/ itself, as the README says.
    docs_url="/" if "ninja" in settings.INSTALLED_APPS else None,
    docs=SessionSwagger(),
)

MAX_LIMIT = 100
# Deep offsets make the database walk every earlier row; narrower filters are the way there.
MAX_OFFSET = 10_000


class FieldError(Exception):
    """Bad input the schema could not catch (e.g. a slug that names nothing)."""

    def __init__(self, field: str, message: str, *, where: str = "query", status: int = 400):
        super().__init__(message)
        self.field, self.message, self.where, self.status = field, message, where, status


def _errors(request: HttpRequest, status: int, items: list[dict[str, Any]]) -> HttpResponse:
    return api.create_response(request, {"detail": items}, status=status)


@api.exception_handler(FieldError)
def _field_error(request: HttpRequest, exc: FieldError) -> HttpResponse:
    return _errors(
        request,
        exc.status,
        [{"loc": [exc.where, exc.field], "msg": exc.message, "type": "value_error"}],
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        items = [
            {"loc": [field], "msg": " ".join(str(m) for m in messages), "type": "value_error"}
            for field, messages in exc.message_dict.items()
        ]
    else:
        items = [{"loc": [], "msg": " ".join(exc.messages), "type": "value_error"}]
    return _errors(request, 400, items)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


class PageIn(Schema):
    limit: int = Field(25, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PlacePage(Schema):
    items: list[s.PlaceOut]
    count: int


class OrganizationPage(Schema):
    items: list[s.OrganizationOut]
    count: int


class MembershipPage(Schema):
    items: list[s.MembershipOut]
    count: int


def _page(qs: QuerySet, page: PageIn) -> tuple[list[Any], int]:
    items = list(qs[page.offset : page.offset + page.limit])
    # A short first page already tells the total without a second query.
    if page.offset == 0 and len(items) < page.limit:
        return items, len(items)
    return items, qs.count()


def _public() -> AnonymousUser:
    # Hidden listings stay out of the API for everyone, their own admins included.
    return AnonymousUser()


def _place(slug: str, field: str) -> Place | None:
    if not slug:
        return None
    place = Place.objects.filter(slug=slug).first()
    if place is None:
        raise FieldError(field, f"There is no place “{slug}”.")
    return place


def _issue(slug: str, field: str = "issue") -> IssueArea | None:
    if not slug:
        return None
    issue = IssueArea.objects.filter(slug=slug).first()
    if issue is None:
        raise FieldError(field, f"There is no issue area “{slug}”.")
    return issue


def _issue_slugs_by_bit() -> dict[int, str]:
    return dict(IssueArea.objects.values_list("bit", "slug"))


def _place_ref(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"slug": place.slug, "name": place.name, "kind": place.kind}


def _org_ref(org: Organization) -> dict[str, Any]:
    return {"slug": org.slug, "name": org.name, "kind": org.kind}


def _distance(org: Organization) -> float | None:
    distance = getattr(org, "distance_km", None)  # only present on searches near a place
    return round(distance, 2) if distance is not None else None


def _org_out(
    org: Organization, bits: dict[int, str], areas: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    mask = org.issue_mask
    if areas is None:
        areas = service_areas_by_organization([org]).get(org.pk, [])
    return {
        "id": org.pk,
        "slug": org.slug,
        "name": org.name,
        "kind": org.kind,
        "description": org.description,
        "issue_areas": sorted(slug for bit, slug in bits.items() if mask & (1 << bit)),
        "home_place": _place_ref(org.home_place),
        "latitude": org.latitude,
        "longitude": org.longitude,
        "website": org.website,
        "social_links": {str(k): str(v) for k, v in (org.social_links or {}).items()},
        "public_email": org.public_email,
        "public_phone": org.public_phone,
        "languages": [str(x) for x in (org.languages or [])],
        "status": org.status,
        "last_confirmed_at": org.last_confirmed_at,
        **_freshness(org),
        "is_sample": org.is_sample,
        "distance_km": _distance(org),
        "links": links_out(org.links),
        **service_area_fields(areas),
    }


def _freshness(org: Organization) -> dict[str, str]:
    fresh = freshness_of(org)
    return {"freshness": fresh.level, "freshness_label": fresh.label}


def _orgs_out(orgs: list[Organization], bits: dict[int, str]) -> list[dict[str, Any]]:
    areas = service_areas_by_organization(orgs)
    return [_org_out(o, bits, areas.get(o.pk, [])) for o in orgs]


def _org_page(qs: QuerySet, page: PageIn) -> dict[str, Any]:
    items, count = _page(qs.select_related("home_place"), page)
    bits = _issue_slugs_by_bit()
    return {"items": _orgs_out(list(items), bits), "count": count}


def _membership_out(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "coalition": _org_ref(m.coalition),
        "member": _org_ref(m.member),
        "status": m.status,
        "created_at": m.created_at,
        "decided_at": m.decided_at,
    }


# Places ---------------------------------------------------------------------------------


@api.get("/places", response=PlacePage, tags=["places"], summary="List places")
def places_list(request: HttpRequest, filters: Query[s.PlaceFilters], page: Query[PageIn]) -> Any:
    """The places directly inside `parent` (or the top of the tree), or every region of `kind`."""
    qs = Place.objects.select_related("parent").order_by("name", "id")
    parent = _place(filters.parent, "parent")
    if parent is not None:
        if parent.is_overlay:
            qs = parent.members.select_related("parent").order_by("name", "id")
        else:
            qs = qs.filter(parent=parent)
    elif filters.kind is None:
        qs = qs.filter(parent__isnull=True)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    items, count = _page(qs, page)
    return {"items": items, "count": count}


@api.get("/places/{slug}", response=s.PlaceDetailOut, tags=["places"], summary="One place")
def place_detail(request: HttpRequest, slug: str) -> Any:
    place = Place.objects.select_related("parent").filter(slug=slug).first()
    if place is None:
        raise FieldError("slug", f"There is no place “{slug}”.", where="path", status=404)
    ancestors = place.ancestors()
    chain = [p.pk for p in ancestors] + [place.pk]
    regions = (
        Place.objects.filter(kind__in=OVERLAY_KINDS, members__in=chain).distinct().order_by("name")
        if not place.is_overlay
        else Place.objects.none()
    )
    counts = directory_counts(place)
    return {
        **{f: getattr(place, f) for f in ("slug", "name", "kind", "iso_code", "depth")},
        **{f: getattr(place, f) for f in ("latitude", "longitude", "population")},
        "parent": place.parent.slug if place.parent else None,
        "ancestors": [_place_ref(p) for p in ancestors],
        "members": [_place_ref(p) for p in place.members.order_by("name")]
        if place.is_overlay
        else [],
        "regions": [_place_ref(p) for p in regions],
        "organizations": counts.get("organizations", 0),
        "coalitions": counts.get("coalitions", 0),
    }


# Issue areas ----------------------------------------------------------------------------


@api.get("/issue-areas", response=list[s.IssueAreaOut], tags=["issue areas"], summary="Issue areas")
def issue_areas(request: HttpRequest) -> Any:
    result = []
    for area in issue_areas_list():
        related = [link.to_issue for link in area.links_out.all()]
        related += [link.from_issue for link in area.links_in.all()]
        result.append(
            {
                "slug": area.slug,
                "name": area.name,
                "description": area.description,
                "related": [
                    {"slug": r.slug, "name": r.name} for r in sorted(related, key=lambda r: r.name)
                ],
            }
        )
    return result


# Organizations --------------------------------------------------------------------------


@api.get(
    "/organizations",
    response=s.OrganizationSearchPage,
    tags=["organizations"],
    summary="Search organizations",
)
def organizations_list(
    request: HttpRequest, filters: Query[s.OrganizationFilters], page: Query[PageIn]
) -> Any:
    """Organizations matching all the filters, by name; with `near`, nearest first. When very
    many match words alone, the newest come first."""
    place, issue = _place(filters.place, "place"), _issue(filters.issue)
    kind, status = filters.kind or "", filters.status or ""
    qs = organization_search(
        user=_public(),
        q=filters.q,
        place=place,
        issue=issue,
        kind=kind,
        status=status,
        near=_place(filters.near, "near"),
        radius_km=filters.radius_km,
    )
    if filters.after is not None:
        found = _org_page_after(qs, filters.after, page)
    else:
        found = _org_page(qs, page)
    if place is not None and not filters.near:
        serving, total = organization_search_serving(
            user=_public(), place=place, q=filters.q, issue=issue, kind=kind, status=status
        )
        first = filters.after is None and not page.offset
        found["serving_elsewhere"] = _orgs_out(serving, _issue_slugs_by_bit()) if first else []
        found["serving_elsewhere_count"] = total
    return found


def _org_page_after(qs: Any, after: int, page: PageIn) -> dict[str, Any]:
    """The page that starts after organization `after`: the next page found by key, so a
    client can walk every result where `offset` stops at MAX_OFFSET."""
    order = getattr(qs, "order", "name")
    if order not in SEEKABLE_ORDERS:
        raise FieldError("after", "Results nearest first are paged with offset.")
    if page.offset:
        raise FieldError("offset", "Give either after or offset, not both.")
    where = seek_filter(qs, order, Seek(pk=after))
    if where is None:
        raise FieldError("after", f"There is no organization {after} to start after.")
    items = list(qs.filter(where).select_related("home_place")[: page.limit])
    bits = _issue_slugs_by_bit()
    return {"items": _orgs_out(items, bits), "count": qs.count()}


def _org(key: str) -> Organization:
    return get_organization_for_user(_public(), key)


def _checked_link(value: str, field: str) -> str:
    # Only web addresses: a javascript: or data: link would run in whoever follows it.
    if not value:
        return value
    if not is_web_address(value):
        raise FieldError(field, "Give an address starting with http:// or https://.", where="body")
    return value


@api.post(
    "/organizations",
    response={201: s.OrganizationOut, **TOO_MANY},
    auth=django_auth,
    throttle=WRITES,
    tags=["organizations"],
    summary="Add an organization",
)
def organization_add(request: HttpRequest, body: s.OrganizationIn) -> Any:
    """List a group. Whoever adds it becomes its first admin and can edit it from then on."""
    # PostgreSQL cannot store a NUL character, and no name or text needs one.
    for field, value in body.dict().items():
        if has_nul(value):
            raise FieldError(field, "Remove the NUL character from this text.", where="body")
    home_place = None
    if body.home_place:
        home_place = Place.objects.filter(slug=body.home_place).first()
        if home_place is None:
            raise FieldError("home_place", f"There is no place “{body.home_place}”.", where="body")
    for code in body.languages:
        if len(code) > 35:
            raise FieldError("languages", f"“{code[:35]}…” is not a language code.", where="body")
    links = {}
    for name, url in body.social_links.items():
        if not name or len(name) > 40:
            raise FieldError(
                "social_links", "Name each link in 40 characters or fewer.", where="body"
            )
        links[name] = _checked_link(url, "social_links")
    org = directory_services.organization_create(
        user=request.user,
        name=body.name,
        kind=body.kind,
        description=body.description,
        home_place=home_place,
        issue_areas=body.issue_areas,
        website=_checked_link(body.website, "website"),
        social_links=links,
        public_email=body.public_email,
        public_phone=body.public_phone,
        languages=body.languages,
        status=body.status,
        awaits_vouches=True,
    )
    return 201, _org_out(org, _issue_slugs_by_bit())


@api.get(
    "/organizations/{key}",
    response=s.OrganizationOut,
    tags=["organizations"],
    summary="One organization",
)
def organization_detail(request: HttpRequest, key: str) -> Any:
    """`key` is the organization's slug or id."""
    return _org_out(_org(key), _issue_slugs_by_bit())


@api.get(
    "/organizations/{key}/coalitions",
    response=OrganizationPage,
    tags=["coalitions"],
    summary="Coalitions an organization belongs to",
)
def organization_coalitions(request: HttpRequest, key: str, page: Query[PageIn]) -> Any:
    return _org_page(coalition_selectors.organization_coalitions(_org(key)), page)


@api.get(
    "/organizations/{key}/memberships",
    response=MembershipPage,
    tags=["coalitions"],
    summary="An organization's memberships, both ways",
)
def organization_memberships(request: HttpRequest, key: str, page: Query[PageIn]) -> Any:
    """Active memberships for everyone; pending ones too for the organization's own admins."""
    org = _org(key)
    items, count = _page(coalition_selectors.memberships_for_user(request.user, org), page)
    return {"items": [_membership_out(m) for m in items], "count": count}


# Coalitions -----------------------------------------------------------------------------


@api.get("/coalitions", response=OrganizationPage, tags=["coalitions"], summary="Search coalitions")
def coalitions_list(
    request: HttpRequest, filters: Query[s.CoalitionFilters], page: Query[PageIn]
) -> Any:
    place, issue, status = (
        _place(filters.place, "place"),
        _issue(filters.issue),
        filters.status or "",
    )
    qs = organization_search(
        user=_public(),
        q=filters.q,
        place=place,
        issue=issue,
        kind=OrganizationKind.COALITION,
        status=status,
    )
    return _org_page(qs, page)


def _coalition(key: str) -> Organization:
    org = _org(key)
    if not org.is_coalition:
        raise Http404(f"“{key}” is not a coalition.")
    return org


@api.get(
    "/coalitions/{key}", response=s.OrganizationOut, tags=["coalitions"], summary="One coalition"
)
def coalition_detail(request: HttpRequest, key: str) -> Any:
    return _org_out(_coalition(key), _issue_slugs_by_bit())


@api.get(
    "/coalitions/{key}/members",
    response=OrganizationPage,
    tags=["coalitions"],
    summary="A coalition's members",
)
def coalition_members(request: HttpRequest, key: str, page: Query[PageIn]) -> Any:
    return _org_page(coalition_selectors.coalition_members(_coalition(key)), page)


class GraphIn(Schema):
    depth: int = Field(2, ge=0, le=coalition_selectors.MAX_GRAPH_DEPTH)


@api.get(
    "/coalitions/{key}/graph",
    response=s.CoalitionGraphOut,
    tags=["coalitions"],
    summary="Coalitions of coalitions around one",
)
def coalition_graph(request: HttpRequest, key: str, params: Query[GraphIn]) -> Any:
    graph = coalition_selectors.coalition_graph(_coalition(key), params.depth)
    slug = {pk: org.slug for pk, org in graph.nodes.items()}
    return {
        "root": graph.root.slug,
        "nodes": [_org_ref(org) for org in graph.nodes.values()],
        "levels": {slug[pk]: level for pk, level in graph.levels.items() if pk in slug},
        "edges": [(slug[c], slug[m]) for c, m in graph.edges],
        "truncated": graph.truncated,
    }


# Memberships (signed in) -----------------------------------------------------------------


@api.post(
    "/memberships",
    response={201: s.MembershipOut, **TOO_MANY},
    auth=django_auth,
    throttle=WRITES,
    tags=["coalitions"],
    summary="Ask to join, or invite to join, a coalition",
)
def membership_request(request: HttpRequest, body: s.MembershipRequestIn) -> Any:
    """As an admin of `member`, ask `coalition` to accept it; as an admin of `coalition`, invite
    `member`. The other side then accepts or declines."""
    user = request.user

    def find(key: str, field: str) -> Organization:
        try:
            return get_organization_for_user(user, key)
        except Http404:
            raise FieldError(
                field, f"There is no organization “{key}”.", where="body", status=404
            ) from None

    membership = coalition_services.membership_request(
        user=user, coalition=find(body.coalition, "coalition"), member=find(body.member, "member")
    )
    return 201, _membership_out(membership)


def _membership_for_user(user: Any, pk: int) -> Membership:
    m = Membership.objects.select_related("coalition", "member").filter(pk=pk).first()
    if m is None or not (
        permissions.is_organization_admin(user, m.coalition)
        or permissions.is_organization_admin(user, m.member)
    ):
        raise Http404("No such membership.")
    return m


@api.get(
    "/memberships/awaiting",
    response=list[s.MembershipOut],
    auth=django_auth,
    tags=["coalitions"],
    summary="Requests and invitations waiting for your answer",
)
def memberships_awaiting(request: HttpRequest) -> Any:
    return [
        _membership_out(m) for m in coalition_selectors.memberships_awaiting(request.user)[:200]
    ]


# Ids beyond 64 bits would overflow the database's integer, so they are refused up front.
MembershipId = Path(..., ge=1, le=2**62)


@api.post(
    "/memberships/{pk}/accept",
    response={200: s.MembershipOut, **TOO_MANY},
    auth=django_auth,
    throttle=WRITES,
    tags=["coalitions"],
    summary="Accept",
)
def membership_accept(request: HttpRequest, pk: int = MembershipId) -> Any:
    m = _membership_for_user(request.user, pk)
    return _membership_out(coalition_services.membership_accept(user=request.user, membership=m))


@api.post(
    "/memberships/{pk}/decline",
    response={200: s.MembershipOut, **TOO_MANY},
    auth=django_auth,
    throttle=WRITES,
    tags=["coalitions"],
    summary="Decline",
)
def membership_decline(request: HttpRequest, pk: int = MembershipId) -> Any:
    m = _membership_for_user(request.user, pk)
    return _membership_out(coalition_services.membership_decline(user=request.user, membership=m))


@api.post(
    "/memberships/{pk}/leave",
    response={200: s.MembershipOut, **TOO_MANY},
    auth=django_auth,
    throttle=WRITES,
    tags=["coalitions"],
    summary="Leave, end or withdraw",
)
def membership_leave(request: HttpRequest, pk: int = MembershipId) -> Any:
    m = _membership_for_user(request.user, pk)
    return _membership_out(coalition_services.membership_leave(user=request.user, membership=m))
