"""Issue areas suggested automatically from an organization's name and description.

Two methods, both offline:

- `model`: the all-MiniLM-L6-v2 sentence model (directory/embedding.py) embeds each issue area
  (its name, description and the terms below) and each organization; an organization gets the
  areas whose cosine similarity clears a threshold calibrated on hand-labelled real listings
  (bench/tagging/). Used when the model's package is installed.
- `keywords`: word rules from the same terms, the fallback when it is not.

Only areas the tagger chose itself (`issue_areas_origin == "auto"`) or untagged listings are
ever rewritten: once a person has chosen an organization's areas, the tagger leaves them alone
through every later re-tag and re-import, until a coordinator hands them back.
"""

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from directory import embedding, permissions
from directory.models import IssueArea, IssueAreaOrigin, Organization
from directory.services import _resolve_issue_areas, directory_touch, issue_mask_of

# Calibrated on bench/tagging/labels.csv (see bench/tagging/README.md for the figures).
MODEL_THRESHOLD = 0.33
# Second and third areas must score nearly as well as the first: most groups work on one thing.
MODEL_MARGIN = 0.06
TOP_PROTOTYPES = 2
# A listing rarely works on more than a few areas; more tags would mostly be noise.
MAX_AREAS = 3
CHUNK = 500

# Extra words for the shipped areas: what the model reads beside each area's name and
# description, and what the keyword rules look for. Stems end in "*".
AREA_TERMS: dict[str, str] = {
    "housing": "housing, tenants, renters, tenant union, eviction, rent, landlord, homeless*, "
    "shelter, affordable homes, cohousing, squat*, vivienda, logement, wohn*",
    "labor": "labor, labour, union, unions, workers, worker centre, strike, wages, "
    "worker co-op*, employment, jobs, sindicat*, trabajador*",
    "climate": "climate, climate change, carbon, emissions, fossil fuel*, transition town*, "
    "global warming, climate justice, sustainab*",
    "health": "health, healthcare, clinic, medical, nurses, mental health, wellbeing, covid*, "
    "disease, hospital, salud, care workers",
    "criminal-justice": "police, policing, prison*, jail, bail, abolition, incarcerat*, courts, "
    "re-entry, criminal justice",
    "immigration": "immigra*, migrant*, refugee*, asylum, sanctuary, deportation, undocumented, "
    "newcomers, migrantes",
    "racial-justice": "racial justice, racism, anti-racis*, black lives, civil rights, "
    "people of colour, people of color, reparations, bipoc, latinx",
    "food": "food, food bank, food pantry, community garden*, farm*, farmers market, "
    "agricultur*, agroecolog*, organic, grocer*, bakery, meals, hunger, food coop, "
    "food sovereignty, csa, alimenta*, cosecha, producers, beekeep*",
    "transportation": "transit, bus, buses, bicycle*, bike*, cycling, walking, pedestrian*, "
    "transport*, riders, car sharing, road safety",
    "education": "education, school*, students, teachers, learning, training, university, "
    "literacy, tutoring, workshops, educaci*, capacitaci*",
    "mutual-aid": "mutual aid, neighbours helping neighbours, neighbors, community support, "
    "covid-19 support, solidarity network, care network, pod*, give-away, free store, "
    "sharing, time bank, barter, apoyo mutuo",
    "democracy": "democracy, voting, voters, elections, participatory budgeting, assembly, "
    "assemblies, citizens, civic, governance, socialis*, dsa, political",
    "disability-justice": "disabilit*, disabled, accessib*, deaf, blind, wheelchair, "
    "independent living, neurodivers*",
    "gender-justice": "women*, gender, feminis*, reproductive, abortion, domestic violence, "
    "mujeres, femmes, girls",
    "lgbtq-rights": "lgbt*, queer, trans, transgender, gay, lesbian, pride, two-spirit",
    "indigenous-rights": "indigenous, native, tribal, first nations, land back, treaty, "
    "aboriginal, indígena*, pueblos originarios",
    "environment-land": "environment*, ecolog*, conservation, nature, biodiversity, pollution, "
    "recycl*, waste, zero waste, permaculture, forest*, land, upcycl*, repair cafe",
    "peace": "peace, anti-war, antiwar, disarmament, nonviolen*, conflict resolution, "
    "militar*, nuclear weapons",
    "digital-rights": "digital rights, privacy, surveillance, open source, free software, "
    "internet, hackerspace, data protection, technology",
    "economic-justice": "economic justice, poverty, debt, cooperative*, co-op*, coop*, "
    "cooperativa*, solidarity economy, social economy, fair trade, credit union, "
    "microcredit, income, social enterprise, ethical finance, commons",
    "youth": "youth, young people, teens, teenagers, children, kids, students, jóvenes, "
    "juventud, young farmers",
    "elders": "elders, elderly, seniors, older people, older adults, aging, ageing, pension*, "
    "retirees",
    "arts-culture": "art, arts, artists, culture, cultural, music, theatre, theater, film, "
    "media, radio, storytelling, craft*, library, museum",
    "energy": "energy, renewable*, solar, wind power, electricity, utilities, energy "
    "cooperative, energy poverty, power",
    "water": "water, drinking water, watershed, rivers, shutoffs, sanitation, agua",
}

_SPLIT = re.compile(r"\s*,\s*")


@dataclass
class TagReport:
    method: str
    considered: int = 0
    changed: int = 0
    tagged: int = 0
    by_area: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # (organization id, name, [area slugs]) for the first few changes, shown by --dry-run.
    samples: list[tuple[int, str, list[str]]] = field(default_factory=list)


def organization_text(name: str, description: str) -> str:
    return f"{name}. {description}".strip() if description else name


_WORD = re.compile(r"\w+")

# One term: its words, the last possibly a stem ("fossil fuel*" → ("fossil", "fuel"), stem).
Term = tuple[tuple[str, ...], bool, str]


@cache
def _terms(key: tuple[tuple[str, str, str], ...]) -> dict[str, list[Term]]:
    """Every area's terms, indexed by their first word (or first word's stem) for quick lookup."""
    index: dict[str, list[Term]] = defaultdict(list)
    for slug, name, _ in key:
        for term in _SPLIT.split(f"{name}, {AREA_TERMS.get(slug, '')}".strip()):
            words = tuple(_WORD.findall(term.casefold()))
            if not words:
                continue
            index[words[0]].append((words, term.endswith("*"), slug))
    return dict(index)


def _stem_lengths(index: dict[str, list[Term]]) -> list[int]:
    return sorted({len(w) for w, terms in index.items() if any(t[1] for t in terms)})


def _matches(words: list[str], i: int, term: Term) -> bool:
    parts, stem, _ = term
    if i + len(parts) > len(words):
        return False
    for k, part in enumerate(parts):
        word = words[i + k]
        last = k == len(parts) - 1
        if not (word == part or (last and stem and word.startswith(part))):
            return False
    return True


def _area_key(areas: Sequence[IssueArea]) -> tuple[tuple[str, str, str], ...]:
    return tuple((a.slug, a.name, a.description) for a in areas)


def suggest_by_keywords(texts: Sequence[str], areas: Sequence[IssueArea]) -> list[list[str]]:
    """Areas whose terms occur in the text, most mentioned first. Words are looked up in an
    index rather than run through one large pattern, and each distinct word's candidate terms
    are found once: lists repeat the same few thousand words, so 100,000 listings take
    seconds."""
    key = _area_key(areas)
    index = _terms(key)
    lengths = _stem_lengths(index)
    candidates = _word_candidates(key)
    if len(candidates) > 200_000:
        candidates.clear()
    result = []
    for text in texts:
        words = _WORD.findall(text.casefold())
        hits: dict[str, int] = defaultdict(int)
        for i, word in enumerate(words):
            terms = candidates.get(word)
            if terms is None:
                # A key shorter than the word only matches stems.
                terms = [
                    term
                    for k in {word, *(word[:n] for n in lengths if n < len(word))}
                    for term in index.get(k, ())
                    if k == word or term[1]
                ]
                candidates[word] = terms
            for term in terms:
                if _matches(words, i, term):
                    hits[term[2]] += 1
        ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
        result.append([slug for slug, _ in ranked[:MAX_AREAS]])
    return result


@cache
def _word_candidates(key: tuple[tuple[str, str, str], ...]) -> dict[str, list[Term]]:
    """word → the terms that may start at it, filled as words are met (one per area set)."""
    return {}


def area_prototypes(area: IssueArea) -> list[str]:
    """Short texts that each say what the area is about: its name, its description and each of
    its terms. An organization is compared with every one; one muddy average of them all
    matched far worse on the labelled listings."""
    terms = [t.strip().rstrip("*") for t in _SPLIT.split(AREA_TERMS.get(area.slug, ""))]
    return [text for text in (area.name, area.description, *terms) if text]


@cache
def _area_vectors(key: tuple[tuple[str, str, str], ...]) -> tuple[np.ndarray, np.ndarray]:
    texts: list[str] = []
    owner: list[int] = []
    for j, (slug, name, description) in enumerate(key):
        for text in area_prototypes(IssueArea(slug=slug, name=name, description=description)):
            texts.append(text)
            owner.append(j)
    return _embed_cached(texts), np.array(owner)


def _embed_cached(texts: list[str]) -> np.ndarray:
    """Embeddings of the area prototypes, kept in var/ so each run does not recompute the
    same few hundred texts; keyed by the texts themselves, so edited areas get new ones."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:24]
    path = Path(settings.VAR_DIR) / "tagging" / f"prototypes-{digest}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape == (len(texts), embedding.DIMENSIONS):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = embedding.get_model().embed(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    except OSError:
        pass  # a read-only var/ only costs the recomputation next time
    return vectors


def model_scores(texts: Sequence[str], areas: Sequence[IssueArea]) -> np.ndarray:
    """How close every text is to every area: the mean cosine similarity of the text's two
    nearest prototypes of the area. Shape (len(texts), len(areas))."""
    scores = np.zeros((len(texts), len(areas)), dtype=np.float32)
    if not texts:
        return scores
    vectors = embedding.get_model().embed(list(texts))
    prototypes, owner = _area_vectors(_area_key(areas))
    similarity = vectors @ prototypes.T
    for j in range(len(areas)):
        own = np.sort(similarity[:, owner == j], axis=1)[:, ::-1][:, :TOP_PROTOTYPES]
        scores[:, j] = own.mean(axis=1)
    return scores


def pick_areas(
    scores: np.ndarray,
    areas: Sequence[IssueArea],
    threshold: float = MODEL_THRESHOLD,
    margin: float = MODEL_MARGIN,
) -> list[list[str]]:
    """Areas that clear the threshold and come close to the organization's best area."""
    result = []
    for row in scores:
        best = np.argsort(-row)[:MAX_AREAS]
        top = row[best[0]]
        result.append(
            [areas[i].slug for i in best if row[i] >= threshold and row[i] >= top - margin]
        )
    return result


def default_method() -> str:
    return "model" if embedding.available() else "keywords"


def suggest(
    texts: Sequence[str], areas: Sequence[IssueArea], method: str | None = None
) -> list[list[str]]:
    method = method or default_method()
    if method == "keywords":
        return suggest_by_keywords(texts, areas)
    if method == "model":
        return pick_areas(model_scores(texts, areas), areas)
    raise ValueError(f"Unknown tagging method “{method}”: use model or keywords.")


def _candidates(
    *, organization_ids: Iterable[int] | None, only_untagged: bool
) -> "Any":  # a QuerySet of Organization
    qs = Organization.objects.exclude(issue_areas_origin=IssueAreaOrigin.COORDINATOR)
    if only_untagged:
        qs = qs.filter(issue_areas_origin=IssueAreaOrigin.NONE)
    if organization_ids is not None:
        qs = qs.filter(pk__in=list(organization_ids))
    return qs.order_by("pk")


def organizations_tag(
    *,
    organization_ids: Iterable[int] | None = None,
    only_untagged: bool = False,
    dry_run: bool = False,
    method: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TagReport:
    """Suggest issue areas for every listing not chosen by a person (or only untagged ones).

    Works in chunks, each written in its own short transaction: a coordinator's correction
    made while the tagger runs is re-checked under a row lock just before writing and wins.
    """
    method = method or default_method()
    report = TagReport(method=method)
    areas = list(IssueArea.objects.order_by("bit"))
    if not areas:
        return report
    by_slug = {a.slug: a for a in areas}
    ids = list(
        _candidates(organization_ids=organization_ids, only_untagged=only_untagged).values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = list(
            Organization.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "description", "issue_mask", "issue_areas_origin"
            )
        )
        suggestions = suggest([organization_text(r[1], r[2]) for r in rows], areas, method)
        wanted: dict[int, list[IssueArea]] = {}
        for (pk, name, _, mask, origin), slugs in zip(rows, suggestions, strict=True):
            chosen = [by_slug[s] for s in slugs]
            report.considered += 1
            report.tagged += bool(chosen)
            for slug in slugs:
                report.by_area[slug] += 1
            if issue_mask_of(chosen) != mask or origin != IssueAreaOrigin.AUTO:
                wanted[pk] = chosen
                report.changed += 1
                if len(report.samples) < 20:
                    report.samples.append((pk, name, slugs))
        if wanted and not dry_run:
            _write_auto_areas(wanted)
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    if report.changed and not dry_run:
        directory_touch()
    return report


@transaction.atomic
def _write_auto_areas(wanted: dict[int, list[IssueArea]]) -> None:
    # Locked and re-read: anything a person chose since the suggestions were made is left alone.
    ids = list(
        Organization.objects.select_for_update()
        .filter(pk__in=list(wanted))
        .exclude(issue_areas_origin=IssueAreaOrigin.COORDINATOR)
        .values_list("pk", flat=True)
    )
    if not ids:
        return
    through = Organization.issue_areas.through
    through.objects.filter(organization_id__in=ids).delete()
    through.objects.bulk_create(
        [through(organization_id=pk, issuearea_id=area.pk) for pk in ids for area in wanted[pk]]
    )
    by_mask: dict[int, list[int]] = defaultdict(list)
    for pk in ids:
        by_mask[issue_mask_of(wanted[pk])].append(pk)
    for mask, pks in by_mask.items():
        Organization.objects.filter(pk__in=pks).update(
            issue_mask=mask, issue_areas_origin=IssueAreaOrigin.AUTO, updated_at=timezone.now()
        )


def can_correct_issue_areas(user: Any, organization: Organization) -> bool:
    """The group's own admins, site coordinators and the coordinators of its region."""
    return (
        permissions.is_site_coordinator(user)
        or permissions.is_organization_admin(user, organization)
        or (
            organization.home_place is not None
            and permissions.is_regional_coordinator_for(user, organization.home_place)
        )
    )


@transaction.atomic
def organization_issue_areas_correct(
    *, user: Any, organization: Organization, issue_areas: Iterable[IssueArea | str]
) -> Organization:
    """A person's choice of areas: it replaces the suggestion and locks it against the tagger."""
    if not can_correct_issue_areas(user, organization):
        raise PermissionDenied("Only this group's admins and coordinators can correct its areas.")
    areas = _resolve_issue_areas(issue_areas)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    org.issue_areas.set(areas)
    org.issue_mask = issue_mask_of(areas)
    org.issue_areas_origin = IssueAreaOrigin.COORDINATOR
    Organization.objects.filter(pk=org.pk).update(
        issue_mask=org.issue_mask,
        issue_areas_origin=org.issue_areas_origin,
        updated_at=timezone.now(),
    )
    directory_touch()
    audit_record(
        actor=user,
        action="organization.issue_areas_correct",
        target=org,
        data={"issue_areas": sorted(a.slug for a in areas)},
    )
    return org


@transaction.atomic
def organization_issue_areas_unlock(*, user: Any, organization: Organization) -> Organization:
    """Hand the areas back to the tagger, which re-suggests them at once."""
    if not can_correct_issue_areas(user, organization):
        raise PermissionDenied("Only this group's admins and coordinators can change this.")
    Organization.objects.filter(pk=organization.pk).update(issue_areas_origin=IssueAreaOrigin.NONE)
    audit_record(actor=user, action="organization.issue_areas_unlock", target=organization)
    organizations_tag(organization_ids=[organization.pk])
    organization.refresh_from_db()
    return organization
