"""Every write about duplicates: resolving records into organizations, and coordinators'
merges, splits and decisions, which each later resolution respects."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.services import audit_record
from directory.models import Organization, OrganizationAdmin, PrivateContact
from directory.services import directory_touch
from resolution.blocking import Blocking, link_counts
from resolution.features import record_features
from resolution.models import (
    MatchDecision,
    OrganizationMerge,
    RecordLink,
    ResolutionRun,
    ReviewPair,
    ReviewStatus,
)
from resolution.permissions import can_resolve
from sources.models import FieldProvenance, Origin, SourceRecord
from sources.services import (
    organization_apply_records,
    organizations_apply_records,
    organizations_for_records,
)

if TYPE_CHECKING:
    from resolution import engine


def _engine() -> Any:
    # The model's libraries (splink, DuckDB) load when records are resolved, not in every web
    # process that merely shows listings.
    from resolution import engine

    return engine


_FIELDS = (
    "pk",
    "source_id",
    "identity",
    "organization_id",
    "raw",
    "name",
    "city",
    "region",
    "region_code",
    "postcode",
    "latitude",
    "longitude",
    "website",
    "facebook",
    "email_clean",
)

TRAINED_MODEL = "resolution-model.json"
# The parsed model, keyed by its file and modification time, so it is read once per process.
_model_cache: dict[str, Any] = {}


def model_path() -> Path:
    """Where the model is read from: settings.RESOLUTION_MODEL if set, else one trained on
    this hub's own records (`commonweal resolve --train`), else the one shipped with the app
    (trained on the Mutual Aid Hub lists, see bench/resolution)."""
    configured = getattr(settings, "RESOLUTION_MODEL", "")
    if configured:
        return Path(configured)
    trained = Path(settings.VAR_DIR) / TRAINED_MODEL
    # The shipped model's path without importing the engine: pages read the model's prior.
    return trained if trained.exists() else Path(__file__).with_name("model.json")


def current_model() -> dict[str, Any]:
    path = model_path()
    key = f"{path}:{path.stat().st_mtime_ns}"
    if key not in _model_cache:
        _model_cache.clear()
        _model_cache[key] = json.loads(path.read_text())
    return _model_cache[key]


def model_train() -> Path:
    """Train the model on every record the hub holds and keep it for later resolutions."""
    rows = list(SourceRecord.objects.order_by("pk").values(*_FIELDS))
    if len(rows) < 200:
        raise ValueError(f"too few records to train on ({len(rows)}; at least 200 are needed)")
    model = _engine().train([features_of(r) for r in rows])
    path = Path(settings.VAR_DIR) / TRAINED_MODEL
    path.write_text(json.dumps(model, indent=1) + "\n")
    return path


def features_of(row: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "name": row["name"],
        "city": row["city"],
        "state": row["region_code"].split("-")[-1] if row["region_code"] else row["region"],
        "postcode": row["postcode"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "website": row["website"],
        "facebook": row["facebook"],
        "email": row["email_clean"],
    }
    raw = row["raw"] if isinstance(row["raw"], dict) else {}
    return record_features(row["pk"], fields, raw)


@dataclass
class Resolution:
    records: int = 0
    organizations_created: int = 0
    records_moved: int = 0
    organizations_removed: int = 0
    review_pairs: int = 0


def _decision_links(
    identities: dict[tuple[int, str], int],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    must: list[tuple[int, int]] = []
    cannot: list[tuple[int, int]] = []
    for d in MatchDecision.objects.all().only(
        "source_a_id", "identity_a", "source_b_id", "identity_b", "same"
    ):
        a = identities.get((d.source_a_id, d.identity_a))
        b = identities.get((d.source_b_id, d.identity_b))
        if a is not None and b is not None:
            (must if d.same else cannot).append((a, b))
    return must, cannot


def _authorize(by: Any, *orgs: Organization | None) -> None:
    """A person acting on duplicates needs authority over every organization touched; `None`
    is the hub itself (imports, the command line)."""
    if by is None:
        return
    if not all(can_resolve(by, org) for org in orgs):
        raise PermissionDenied("not a coordinator of every organization involved")


def _removable(org_ids: set[int]) -> list[int]:
    """Organizations left without records that nobody has claimed, corrected or given a
    private contact: those are kept (hidden when empty), never deleted."""
    if not org_ids:
        return []
    keep = (
        set(
            OrganizationAdmin.objects.filter(organization_id__in=org_ids).values_list(
                "organization_id", flat=True
            )
        )
        | set(
            PrivateContact.objects.filter(organization_id__in=org_ids).values_list(
                "organization_id", flat=True
            )
        )
        | set(
            FieldProvenance.objects.filter(organization_id__in=org_ids)
            .exclude(origin=Origin.IMPORT)
            .values_list("organization_id", flat=True)
        )
    )
    still = set(
        SourceRecord.objects.filter(organization_id__in=org_ids).values_list(
            "organization_id", flat=True
        )
    )
    return sorted(org_ids - keep - still)


def _hide_emptied(org_ids: set[int]) -> None:
    """Organizations the model emptied that keep something of their own (a private contact,
    a correction) but no admins: hidden rather than deleted, ready for a split."""
    if not org_ids:
        return
    empty = set(org_ids) - set(
        SourceRecord.objects.filter(organization_id__in=org_ids).values_list(
            "organization_id", flat=True
        )
    )
    claimed = set(
        OrganizationAdmin.objects.filter(organization_id__in=empty).values_list(
            "organization_id", flat=True
        )
    )
    Organization.objects.filter(pk__in=empty - claimed).update(
        is_hidden=True, updated_at=timezone.now()
    )


@transaction.atomic
def records_resolve(*, model: dict[str, Any] | None = None) -> Resolution:
    """Group every imported record into organizations.

    All records are scored together, so a record imported today can join a group imported a
    year ago. A cluster keeps the organization most of its records already have; records
    without one join it, and a cluster with none gets a new organization. Coordinators'
    decisions are applied on top of the model, so a split stays split and a merge stays merged.
    """
    rows = list(SourceRecord.objects.order_by("pk").values(*_FIELDS))
    result = Resolution(records=len(rows))
    if not rows:
        return result
    by_pk = {r["pk"]: r for r in rows}
    identities = {(r["source_id"], r["identity"]): r["pk"] for r in rows}
    engine = _engine()
    features = [features_of(r) for r in rows]
    unplaced = [r["pk"] for r in rows if r["organization_id"] is None]
    # Scoring runs in DuckDB, outside Python's lock, so it goes on beside the one thing that
    # does not depend on it: every record without an organization gets one of its own. Records
    # the model then groups with others move to their group's organization below, and the
    # organizations they leave empty are removed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scoring = pool.submit(engine.find_pairs, features, model or current_model())
        result.organizations_created = organizations_for_records(record_ids=unplaced)
        pairs, blocking = scoring.result()
    _run_write(blocking)
    evidence = _Evidence(features)
    for i in range(0, len(unplaced), 5000):
        for pk, org_id in SourceRecord.objects.filter(pk__in=unplaced[i : i + 5000]).values_list(
            "pk", "organization_id"
        ):
            by_pk[pk]["organization_id"] = org_id
    fresh = {by_pk[pk]["organization_id"] for pk in unplaced} - {None}
    must, cannot = _decision_links(identities)
    clusters = engine.cluster(
        by_pk, pairs, threshold=engine.MATCH_THRESHOLD, must_link=must, cannot_link=cannot
    )
    members: dict[int, list[int]] = defaultdict(list)
    for pk, root in clusters.items():
        members[root].append(pk)

    # A cluster keeps the organization most of its records have; on a tie the oldest, so a
    # record imported today joins the listing its group has had for a year.
    target: dict[int, int] = {}
    for root, pks in members.items():
        counts = Counter(by_pk[pk]["organization_id"] for pk in pks if by_pk[pk]["organization_id"])
        if not counts:
            raise RuntimeError(f"record {root} has no organization after resolution")
        target[root] = min(counts, key=lambda o: (-counts[o], o))

    moves: dict[int, list[int]] = defaultdict(list)
    left: set[int] = set()
    for root, pks in members.items():
        org_id = target[root]
        for pk in pks:
            current = by_pk[pk]["organization_id"]
            if current != org_id:
                moves[org_id].append(pk)
                if current is not None:
                    left.add(current)
    for org_id, pks in moves.items():
        for i in range(0, len(pks), 5000):
            SourceRecord.objects.filter(pk__in=pks[i : i + 5000]).update(organization_id=org_id)
        result.records_moved += len(pks)
    removable = _removable(left)
    if removable:
        for i in range(0, len(removable), 1000):
            Organization.objects.filter(pk__in=removable[i : i + 1000]).delete()
        result.organizations_removed = len(removable)
    _hide_emptied(left - set(removable))
    result.organizations_created -= len(fresh & set(removable))
    organizations_apply_records(organization_ids=sorted((set(moves) | left) - set(removable)))

    _links_write(clusters, members, pairs, must, evidence)
    organization_of = {pk: target[root] for pk, root in clusters.items()}
    result.review_pairs = _review_pairs_write(organization_of, pairs, must + cannot, evidence)
    if moves or removable:
        directory_touch()
    return result


RUNS_KEPT = 20


def _run_write(blocking: Blocking) -> None:
    """Keep what this run compared and what it left out, for the review queue."""
    ResolutionRun.objects.create(
        records=blocking.records,
        pairs_compared=blocking.pairs_compared,
        pairs_unbounded=blocking.pairs_unbounded,
        capped_total=blocking.capped_total,
        capped_blocks=[
            {
                "kind": b.kind,
                "value": b.value,
                "records": b.records,
                "pairs": b.pairs,
                "compared": b.compared,
            }
            for b in blocking.capped
        ],
    )
    old = ResolutionRun.objects.values_list("pk", flat=True)[RUNS_KEPT:]
    ResolutionRun.objects.filter(pk__in=list(old)).delete()


class _Evidence:
    """A pair's explanation as stored for the pages: each comparison's weight and level, and
    for a shared link or e-mail which one and how many differently named records carry it."""

    def __init__(self, features: list[dict[str, Any]]) -> None:
        self.by_uid = {f["unique_id"]: f for f in features}
        self.counts = link_counts(features)

    def of(self, pair: engine.Pair) -> dict[str, list[Any]]:
        out = {k: list(v) for k, v in pair.explanation.items()}
        for comparison, detail in _engine().link_evidence(pair, self.by_uid, self.counts).items():
            if comparison in out:
                out[comparison].append(detail)
        return out


def _links_write(
    clusters: dict[int, int],
    members: dict[int, list[int]],
    pairs: list[engine.Pair],
    must: list[tuple[int, int]],
    evidence: _Evidence,
) -> None:
    best: dict[int, engine.Pair] = {}
    for pair in pairs:
        if clusters[pair.left] != clusters[pair.right]:
            continue
        for pk in (pair.left, pair.right):
            if pk not in best or pair.probability > best[pk].probability:
                best[pk] = pair
    decided: dict[int, int] = {}
    for a, b in must:
        if clusters.get(a) is not None and clusters.get(a) == clusters.get(b):
            decided.setdefault(a, b)
            decided.setdefault(b, a)
    links: list[RecordLink] = []
    for pks in members.values():
        if len(pks) < 2:
            continue
        for pk in pks:
            if pk in decided:
                links.append(RecordLink(record_id=pk, matched_with_id=decided[pk], decided=True))
            elif pk in best:
                pair = best[pk]
                links.append(
                    RecordLink(
                        record_id=pk,
                        matched_with_id=pair.right if pair.left == pk else pair.left,
                        probability=pair.probability,
                        explanation=evidence.of(pair),
                    )
                )
    RecordLink.objects.all().delete()
    RecordLink.objects.bulk_create(links, batch_size=1000)


def _review_pairs_write(
    organization_of: dict[int, int],
    pairs: list[engine.Pair],
    decided: list[tuple[int, int]],
    evidence: _Evidence,
) -> int:
    """Open a review for each two organizations an uncertain pair links, through its most
    likely pair (a coordinator answers about groups, not about each of their rows); drop open
    reviews the model no longer doubts. Reviews a coordinator closed stay as they are."""
    done = {tuple(sorted(p)) for p in decided}
    strongest: dict[tuple[int, int], engine.Pair] = {}
    for p in pairs:
        a, b = organization_of[p.left], organization_of[p.right]
        if p.probability >= _engine().MATCH_THRESHOLD or a == b or (p.left, p.right) in done:
            continue
        key = (min(a, b), max(a, b))
        if key not in strongest or p.probability > strongest[key].probability:
            strongest[key] = p
    wanted = {(p.left, p.right): p for p in strongest.values()}
    existing = {
        (r.record_a_id, r.record_b_id): r
        for r in ReviewPair.objects.all().only("id", "record_a_id", "record_b_id", "status")
    }
    stale = [
        r.pk for key, r in existing.items() if r.status == ReviewStatus.OPEN and key not in wanted
    ]
    ReviewPair.objects.filter(pk__in=stale).delete()
    new = [
        ReviewPair(
            record_a_id=a,
            record_b_id=b,
            probability=p.probability,
            explanation=evidence.of(p),
        )
        for (a, b), p in wanted.items()
        if (a, b) not in existing
    ]
    ReviewPair.objects.bulk_create(new, batch_size=1000)
    return ReviewPair.objects.filter(status=ReviewStatus.OPEN).count()


def _decision_set(*, a: SourceRecord, b: SourceRecord, same: bool, by: Any, reason: str) -> None:
    first, second = sorted((a, b), key=lambda r: (r.source_id, r.identity))
    MatchDecision.objects.update_or_create(
        source_a_id=first.source_id,
        identity_a=first.identity,
        source_b_id=second.source_id,
        identity_b=second.identity,
        defaults={
            "same": same,
            "reason": reason,
            "decided_by": by if getattr(by, "is_authenticated", False) else None,
            "decided_at": timezone.now(),
        },
    )


def _reviews_close(record_ids: list[int], other_ids: list[int], status: str, by: Any) -> None:
    ReviewPair.objects.filter(
        Q(record_a_id__in=record_ids, record_b_id__in=other_ids)
        | Q(record_a_id__in=other_ids, record_b_id__in=record_ids),
        status=ReviewStatus.OPEN,
    ).update(
        status=status,
        decided_by=by if getattr(by, "is_authenticated", False) else None,
        decided_at=timezone.now(),
    )


@transaction.atomic
def organizations_merge(
    *, keep: Organization, other: Organization, by: Any, reason: str = ""
) -> Organization:
    """Put every record of `other` into `keep`, and remember it: each moved record is decided
    the same as one of `keep`'s records, so no later import pulls them apart. `other` is
    hidden, not deleted: its private contact, admins and provenance stay for a split."""
    if keep.pk == other.pk:
        raise ValueError("an organization cannot be merged with itself")
    _authorize(by, keep, other)
    anchor = SourceRecord.objects.filter(organization=keep).order_by("pk").first()
    moved = list(SourceRecord.objects.filter(organization=other).order_by("pk"))
    if anchor is None or not moved:
        raise ValueError("both organizations need imported records to be merged")
    for record in moved:
        _decision_set(a=anchor, b=record, same=True, by=by, reason=reason)
    kept_ids = list(SourceRecord.objects.filter(organization=keep).values_list("pk", flat=True))
    moved_ids = [r.pk for r in moved]
    SourceRecord.objects.filter(pk__in=moved_ids).update(organization=keep)
    _reviews_close(kept_ids, moved_ids, ReviewStatus.MERGED, by)
    RecordLink.objects.filter(record_id__in=moved_ids).delete()
    RecordLink.objects.bulk_create(
        [RecordLink(record_id=pk, matched_with_id=anchor.pk, decided=True) for pk in moved_ids]
    )
    RecordLink.objects.get_or_create(
        record_id=anchor.pk, defaults={"matched_with_id": moved_ids[0], "decided": True}
    )
    organization_apply_records(organization=keep)
    OrganizationMerge.objects.create(
        kept=keep,
        merged=other,
        record_ids=moved_ids,
        was_visible=not other.is_hidden,
        merged_by=by if getattr(by, "is_authenticated", False) else None,
    )
    Organization.objects.filter(pk=other.pk).update(is_hidden=True, updated_at=timezone.now())
    audit_record(
        actor=by,
        action="organization.merge",
        target=keep,
        data={"merged": other.pk, "records": moved_ids, "reason": reason},
    )
    directory_touch()
    return keep


def _merge_to_undo(org: Organization, split_ids: list[int]) -> OrganizationMerge | None:
    """The merge that brought exactly these records (or some of them) into `org`, if the
    organization they came from is still there to take them back."""
    wanted = set(split_ids)
    for merge in OrganizationMerge.objects.filter(kept=org, undone_at__isnull=True):
        if wanted <= set(merge.record_ids):
            return merge
    return None


@transaction.atomic
def records_split(*, records: list[SourceRecord], by: Any, reason: str = "") -> Organization:
    """Take records out of their organization into a new one of their own, and remember it:
    each is decided not the same as every record that stays."""
    if not records:
        raise ValueError("choose at least one record to split off")
    org_ids = {r.organization_id for r in records}
    org_id = org_ids.pop() if len(org_ids) == 1 else None
    if org_id is None:
        raise ValueError("the records to split off must belong to one organization")
    org = Organization.objects.get(pk=org_id)
    split_ids = [r.pk for r in records]
    undo = _merge_to_undo(org, split_ids)
    _authorize(by, org, *([undo.merged] if undo else []))
    staying = list(SourceRecord.objects.filter(organization=org).exclude(pk__in=split_ids))
    if not staying:
        raise ValueError("at least one record must stay in the organization")
    for record in records:
        for other in staying:
            _decision_set(a=record, b=other, same=False, by=by, reason=reason)
    for a, b in zip(records, records[1:], strict=False):
        _decision_set(a=a, b=b, same=True, by=by, reason=reason)
    if undo is not None:
        # Records a merge brought in go back to the organization they came from, with its
        # private contact, admins and provenance as they were.
        new_org_id = undo.merged_id
        SourceRecord.objects.filter(pk__in=split_ids).update(organization_id=new_org_id)
        if undo.was_visible:
            Organization.objects.filter(pk=new_org_id).update(
                is_hidden=False, updated_at=timezone.now()
            )
        if set(undo.record_ids) <= set(split_ids):
            undo.undone_at = timezone.now()
            undo.save(update_fields=["undone_at"])
    else:
        SourceRecord.objects.filter(pk__in=split_ids).update(organization=None)
        organizations_for_records(record_ids=[split_ids[0]])
        new_org_id = SourceRecord.objects.values_list("organization_id", flat=True).get(
            pk=split_ids[0]
        )
        if new_org_id is None:
            raise ValueError("the records to split off could not be given a new organization")
        SourceRecord.objects.filter(pk__in=split_ids).update(organization_id=new_org_id)
    new_org = Organization.objects.get(pk=new_org_id)
    organization_apply_records(organization=new_org)
    organization_apply_records(organization=org)
    staying_ids = [r.pk for r in staying]
    _reviews_close(split_ids, staying_ids, ReviewStatus.KEPT_APART, by)
    RecordLink.objects.filter(record_id__in=split_ids).delete()
    if len(staying_ids) == 1:
        RecordLink.objects.filter(record_id=staying_ids[0]).delete()
    audit_record(
        actor=by,
        action="organization.split",
        target=org,
        data={
            "records": split_ids,
            "new_organization": new_org_id,
            # The records went back to the organization a merge had hidden.
            "restored": undo is not None,
            "reason": reason,
        },
    )
    directory_touch()
    return new_org


@transaction.atomic
def pair_decide(*, pair: ReviewPair, same: bool, by: Any, reason: str = "") -> ReviewPair:
    """A coordinator's answer to a review: merge the two organizations, or keep them apart."""
    a = SourceRecord.objects.select_related("organization").get(pk=pair.record_a_id)
    b = SourceRecord.objects.select_related("organization").get(pk=pair.record_b_id)
    _authorize(by, a.organization, b.organization)
    if same:
        if a.organization and b.organization and a.organization_id != b.organization_id:
            organizations_merge(keep=a.organization, other=b.organization, by=by, reason=reason)
        _decision_set(a=a, b=b, same=True, by=by, reason=reason)
    else:
        if a.organization_id and a.organization_id == b.organization_id:
            records_split(records=[b], by=by, reason=reason)
        _decision_set(a=a, b=b, same=False, by=by, reason=reason)
    pair.status = ReviewStatus.MERGED if same else ReviewStatus.KEPT_APART
    pair.decided_by = by if getattr(by, "is_authenticated", False) else None
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair
