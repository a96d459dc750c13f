"""What a coalition's page sums up over its members, kept member by member, so that a change to
a few members adjusts the sums instead of counting all of them again.

Counting a national alliance's 5,030 members took most of the first view after a change
(bench/connect, SQLite: reading them in name order ≈ 27 ms, their served places ≈ 45 ms).
A `Tally` holds what each public member adds (its name, home position, issue mask and served
places) and the totals; `tally_adjust` re-reads only the members that changed and moves the
totals by the difference. `tally_build` is the recount, which the adjusted tally must always
equal (coalitions/tests/test_tally.py checks that after random changes).
"""

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, Lookup, Q

from coalitions.models import Membership, MembershipStatus
from directory.models import Organization, OrganizationQuerySet
from places.models import OVERLAY_KINDS, Place


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`column = ANY(%s)` with the values as one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


# SQLite allows 32,766 parameters in one statement.
SQLITE_IDS_AT_MOST = 30_000


def _active_ids(coalition: Organization) -> list[int]:
    return list(
        Membership.objects.filter(coalition=coalition, status=MembershipStatus.ACTIVE)
        .order_by()
        .values_list("member_id", flat=True)
    )


def active_count(coalition: Organization) -> int:
    return Membership.objects.filter(coalition=coalition, status=MembershipStatus.ACTIVE).count()


def members_of(coalition: Organization) -> OrganizationQuerySet:
    """The public organizations that are active members of `coalition`, by name."""
    listings = Organization.objects.public()
    if connection.vendor == "postgresql":
        # PostgreSQL plans "listings joined to one coalition's memberships" as a full scan of
        # the listings once they number in the hundreds of thousands. Handed the member ids as
        # one array, it looks them up by key instead (bench/coalitions: a page of a coalition
        # of 5,000 among 205,000 listings, 155 ms → 17 ms in the database).
        return listings.filter(AnyOf(F("pk"), _active_ids(coalition))).order_by("name", "id")
    return listings.filter(
        coalition_links__coalition=coalition, coalition_links__status=MembershipStatus.ACTIVE
    ).order_by("name", "id")


def served_ranges_of(members: OrganizationQuerySet | list[int]) -> dict[int, set[tuple[int, int]]]:
    """Each member's served places as tree ranges (overlay regions left out: they are unions of
    other places, which are served in their own right)."""
    through = Organization.service_areas.through
    if isinstance(members, list):
        # Few ids (a change), or every member's on PostgreSQL: looked up by key.
        links = through.objects.filter(AnyOf(F("organization_id"), members))
        if connection.vendor != "postgresql":
            links = through.objects.filter(organization_id__in=members)
    else:
        links = through.objects.filter(organization_id__in=members.order_by().values("pk"))
    pairs = list(links.order_by().values_list("organization_id", "place_id"))
    if not pairs:
        return {}
    # Asked for the members' served place ids, then those places' ranges, PostgreSQL looks up
    # just theirs by key; joined in one query it scanned all 800,000 links (bench/connect:
    # about 190 → 35 ms in the database).
    place_ids = list({place for _, place in pairs})
    places = Place.objects.exclude(kind__in=OVERLAY_KINDS).order_by()
    if connection.vendor == "postgresql":
        places = places.filter(AnyOf(F("pk"), place_ids))
    else:
        places = places.filter(pk__in=place_ids)
    ranges = {pk: (lft, rgt) for pk, lft, rgt in places.values_list("pk", "lft", "rgt")}
    out: dict[int, set[tuple[int, int]]] = {}
    for org, place in pairs:
        if place in ranges:
            out.setdefault(org, set()).add(ranges[place])
    return out


@dataclass(frozen=True)
class Facts:
    """What one public member adds to its coalition's sums."""

    name: str
    lft: int | None
    mask: int
    served: frozenset[tuple[int, int]] = frozenset()


@dataclass
class Tally:
    # Every active member's id, hidden ones too: compared with a count of the memberships, it
    # catches a member deleted outright (its memberships go with it and nothing is stamped).
    active: set[int]
    facts: dict[int, Facts]
    # The public members' ids in name order, for the member list's pages.
    order: array  # type: ignore[type-arg]
    by_lft: Counter[int] = field(default_factory=Counter)
    by_mask: Counter[int] = field(default_factory=Counter)
    # How many members serve each place (by range): the coverage needs only which are served.
    served: Counter[tuple[int, int]] = field(default_factory=Counter)

    def add(self, facts: Facts, sign: int) -> None:
        if facts.lft is not None:
            self.by_lft[facts.lft] += sign
        if facts.mask:
            self.by_mask[facts.mask] += sign
        for place in facts.served:
            self.served[place] += sign

    def served_ranges(self) -> list[tuple[int, int]]:
        return [place for place, n in self.served.items() if n > 0]

    def same_as(self, other: "Tally") -> bool:
        """Equal sums (the totals without the places no member counts in any more)."""

        def counted(c: Counter[Any]) -> dict[Any, int]:
            return {k: n for k, n in c.items() if n}

        return (
            self.active == other.active
            and self.facts == other.facts
            and list(self.order) == list(other.order)
            and counted(self.by_lft) == counted(other.by_lft)
            and counted(self.by_mask) == counted(other.by_mask)
            and counted(self.served) == counted(other.served)
        )


def _facts_of(rows: Iterable[tuple[int, str, int | None, int]], served: dict[int, Any]) -> Any:
    for pk, name, lft, mask in rows:
        yield pk, Facts(name, lft, mask or 0, frozenset(served.get(pk, ())))


def tally_build(coalition: Organization) -> Tally:
    """The recount: every member read once, in name order."""
    members = members_of(coalition)
    rows = list(members.values_list("pk", "name", "place_lft", "issue_mask"))
    served: dict[int, Any] = {}
    if rows:
        # By key, the ids at hand (SQLite: 35 → 22 ms for 5,000 members), unless too many for
        # one statement's parameters there.
        few = connection.vendor == "postgresql" or len(rows) <= SQLITE_IDS_AT_MOST
        served = served_ranges_of([pk for pk, *_ in rows] if few else members)
    tally = Tally(
        active=set(_active_ids(coalition)),
        facts=dict(_facts_of(rows, served)),
        order=array("q", (pk for pk, *_ in rows)),
    )
    for facts in tally.facts.values():
        tally.add(facts, 1)
    return tally


def tally_adjust(
    tally: Tally,
    coalition: Organization,
    changed: Iterable[int],
    *,
    count: int | None = None,
) -> Tally | None:
    """The tally after the listings `changed` changed (their rows or their membership): the
    same object if nothing it sums is different, None if it cannot tell (recount then).

    `count` is the coalition's number of active memberships, if the caller has it."""
    changed = list(changed)
    now_active = set(
        Membership.objects.filter(
            coalition=coalition, status=MembershipStatus.ACTIVE, member_id__in=changed
        ).values_list("member_id", flat=True)
    )
    touched = now_active | (tally.active & set(changed))
    if count is None:
        count = active_count(coalition)
    if not touched:
        return tally if count == len(tally.active) else None
    rows = list(
        Organization.objects.public()
        .filter(pk__in=now_active)
        .values_list("pk", "name", "place_lft", "issue_mask")
    )
    served = served_ranges_of([pk for pk, *_ in rows]) if rows else {}
    fresh = dict(_facts_of(rows, served))
    adjusted = Tally(
        active=(tally.active - touched) | now_active,
        facts=dict(tally.facts),
        order=tally.order,
        by_lft=Counter(tally.by_lft),
        by_mask=Counter(tally.by_mask),
        served=Counter(tally.served),
    )
    if count != len(adjusted.active):
        return None
    if adjusted.active == tally.active and all(
        tally.facts.get(pk) == fresh.get(pk) for pk in touched
    ):
        # Stamped again (or within the look back) but nothing it sums is different.
        return tally
    reordered = False
    for pk in touched:
        old, new = adjusted.facts.pop(pk, None), fresh.get(pk)
        if old is not None:
            adjusted.add(old, -1)
        if new is not None:
            adjusted.facts[pk] = new
            adjusted.add(new, 1)
        reordered |= (old is None) != (new is None) or (
            old is not None and new is not None and old.name != new.name
        )
    if reordered:
        adjusted.order = _ordered(coalition, adjusted, touched, fresh)
    return adjusted


def _ordered(
    coalition: Organization, tally: Tally, touched: set[int], fresh: dict[int, Facts]
) -> array:  # type: ignore[type-arg]
    """The member list's order after members joined, left or were renamed."""
    kept = [pk for pk in tally.order if pk not in touched]
    if not any(pk in fresh for pk in touched):
        # Only departures: the others keep their order.
        return array("q", kept)
    if connection.vendor == "sqlite":
        # SQLite orders names by their bytes (no collation is declared), which is the order
        # of Python's strings: sorted here, as `ORDER BY name, id` would.
        facts = tally.facts
        return array("q", sorted(facts, key=lambda pk: (facts[pk].name, pk)))
    # Elsewhere where a new name goes is the database's collation to say. One joined or
    # renamed member goes after as many of the others as the database orders before it (a
    # count, without sending 5,000 rows back); more are read again in order.
    placed = [pk for pk in touched if pk in fresh]
    if len(placed) == 1 and kept:
        pk, name = placed[0], fresh[placed[0]].name
        before = (
            Organization.objects.filter(AnyOf(F("pk"), kept))
            .filter(Q(name__lt=name) | Q(name=name, pk__lt=pk))
            .count()
        )
        return array("q", [*kept[:before], pk, *kept[before:]])
    return array("q", members_of(coalition).values_list("pk", flat=True))
