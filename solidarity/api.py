"""The HTTP API's part for support between groups: open public requests and offers, as the pages
show them to a visitor who is signed out. Sensitive and private requests are never in it, and
contacts never are: a person's address is shared only between two groups that agreed."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from solidarity import selectors
from solidarity.models import Kind

router = Router(tags=["support"])
MAX_LIMIT = 100


class PostingFilters(Schema):
    kind: str | None = None
    limit: int = 50
    offset: int = 0


class RequestOut(Schema):
    id: int
    title: str
    kind: str
    quantity: Decimal | None
    currency: str
    unit: str
    pledged: Decimal
    received: Decimal
    organization: str
    place: str | None
    remote: bool
    needed_by: date | None
    urgency: int
    url: str


class OfferOut(Schema):
    id: int
    title: str
    kind: str
    organization: str
    place: str | None
    remote: bool
    url: str


class RequestPage(Schema):
    items: list[RequestOut]
    count: int


class OfferPage(Schema):
    items: list[OfferOut]
    count: int


def _window(qs: Any, f: PostingFilters) -> tuple[Any, int]:
    if f.kind in Kind.values:
        qs = qs.filter(kind=f.kind)
    limit = max(1, min(f.limit, MAX_LIMIT))
    offset = max(0, min(f.offset, 10_000))
    return qs[offset : offset + limit], qs.count()


@router.get("/requests", response=RequestPage, summary="Open public requests for help")
def requests_list(request: HttpRequest, filters: Query[PostingFilters]) -> Any:
    rows, count = _window(selectors.public_requests().order_by("-urgency", "due_on", "id"), filters)
    return {
        "items": [
            {
                **{
                    k: getattr(r, k)
                    for k in (
                        "id",
                        "title",
                        "kind",
                        "quantity",
                        "currency",
                        "unit",
                        "pledged",
                        "received",
                        "remote",
                        "needed_by",
                        "urgency",
                    )
                },
                "organization": r.organization.name,
                "place": r.place.name if r.place else None,
                "url": r.get_absolute_url(),
            }
            for r in rows
        ],
        "count": count,
    }


@router.get("/offers", response=OfferPage, summary="Public offers of help")
def offers_list(request: HttpRequest, filters: Query[PostingFilters]) -> Any:
    rows, count = _window(selectors.public_offers().order_by("-created_at", "-id"), filters)
    return {
        "items": [
            {
                "id": o.id,
                "title": o.title,
                "kind": o.kind,
                "organization": o.organization.name,
                "place": o.place.name if o.place else None,
                "remote": o.remote,
                "url": o.get_absolute_url(),
            }
            for o in rows
        ],
        "count": count,
    }
