"""Ballot files: PrefLib (.soc/.soi/.toc/.toi) and Pabulib (.pb), read and written.

An assembly that voted on paper uploads its ballots in one of these formats, and anyone who
may see a round's ballots can download them anonymised in the same formats, so every tally
can be reproduced with other tools. Reading never trusts the file's own counts: nothing is
allocated from a declared number, identical ballots stay one weighted `Ballot`, and every
problem is a `DecideError` that says what is wrong and where.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .base import Ballot, DecideError

# Far above any real ward, budget or PrefLib file, low enough that a hostile upload cannot
# make the reader hold gigabytes.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_VOTERS = 10**10
PREFLIB_TYPES = ("soc", "soi", "toc", "toi")


@dataclass
class Election:
    """What a ballot file holds, ready for `decide`."""

    kind: str  # "ordinal", "approval", "cumulative" or "scoring"
    candidates: list[str]
    ballots: list[Ballot]
    names: dict[str, str] = field(default_factory=dict)
    title: str = ""
    costs: dict[str, Decimal] | None = None
    budget: Decimal | None = None
    rule: str = ""  # Pabulib META `rule` (greedy, equalshares/add1...)
    meta: dict[str, str] = field(default_factory=dict)
    selected: list[str] = field(default_factory=list)  # Pabulib `selected` column
    source_format: str = ""  # soc/soi/toc/toi/pb

    @property
    def voters(self) -> int:
        return sum(b.weight for b in self.ballots)


def read_text(data: bytes, *, what: str = "The file") -> str:
    """Bytes to text, refusing what is not UTF-8 text rather than guessing."""
    if len(data) > MAX_FILE_BYTES:
        raise DecideError(f"{what} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in data:
        raise DecideError(f"{what} contains NUL bytes: it is not a text ballot file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecideError(
            f"{what} is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8."
        ) from exc
    return text


def load(path: str | Path) -> Election:
    """Read a ballot file, choosing the format by its extension."""
    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    if ext not in (*PREFLIB_TYPES, "pb"):
        raise DecideError(
            f"{p.name}: unknown ballot file type; expected .soc, .soi, .toc, .toi or .pb."
        )
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DecideError(f"{p.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        data = p.read_bytes()
    except OSError as exc:
        raise DecideError(f"{p.name}: cannot be read ({exc.strerror}).") from exc
    text = read_text(data, what=p.name)
    if ext == "pb":
        return parse_pabulib(text)
    return parse_preflib(text, data_type=ext)


# --- PrefLib -------------------------------------------------------------------------------

_COUNT_LINE = re.compile(r"^\s*(\d+)\s*:(.*)$")


def _parse_order(body: str, lineno: int) -> tuple[tuple[str, ...], ...]:
    """`1,2,{3,4},5` -> (("1",), ("2",), ("3", "4"), ("5",))."""
    groups: list[tuple[str, ...]] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch in " \t,":
            i += 1
            continue
        if ch == "{":
            end = body.find("}", i)
            if end < 0:
                raise DecideError(f"Line {lineno}: a tie group opened with {{ is never closed.")
            members = tuple(x.strip() for x in body[i + 1 : end].split(",") if x.strip())
            if not members:
                raise DecideError(f"Line {lineno}: an empty tie group {{}}.")
            groups.append(members)
            i = end + 1
            continue
        end = i
        while end < n and body[end] not in ",{":
            end += 1
        token = body[i:end].strip()
        if token:
            groups.append((token,))
        i = end
    return tuple(groups)


def parse_preflib(text: str, *, data_type: str = "") -> Election:
    """PrefLib's current format: `# KEY: value` headers, then `count: order` lines."""
    meta: dict[str, str] = {}
    names: dict[str, str] = {}
    counts: Counter[tuple[tuple[str, ...], ...]] = Counter()
    total = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                key = key.strip().upper()
                value = value.strip()
                if key.startswith("ALTERNATIVE NAME "):
                    names[key.removeprefix("ALTERNATIVE NAME ").strip()] = value
                else:
                    meta[key] = value
            continue
        match = _COUNT_LINE.match(line)
        if not match:
            raise DecideError(
                f"Line {lineno}: expected 'count: ranking' such as '12: 1,3,{{2,4}}', "
                f"found {line[:40]!r}."
            )
        count = int(match.group(1))
        total += count
        if total > MAX_VOTERS:
            raise DecideError(f"Line {lineno}: more than {MAX_VOTERS:,} voters in one file.")
        order = _parse_order(match.group(2), lineno)
        if count:
            counts[order] += count
    data_type = (meta.get("DATA TYPE") or data_type).lower()
    if data_type and data_type not in PREFLIB_TYPES:
        raise DecideError(f"PrefLib data type {data_type!r} is not a ranking (soc/soi/toc/toi).")
    declared_m = _declared_int(meta, "NUMBER ALTERNATIVES")
    if declared_m is not None:
        candidates = [str(i) for i in range(1, declared_m + 1)]
        if declared_m > 100_000:
            raise DecideError("The file declares more than 100,000 alternatives.")
    else:
        seen = dict.fromkeys(names)
        for order in counts:
            for group in order:
                seen.update(dict.fromkeys(group))
        candidates = sorted(seen, key=lambda c: (len(c), c))
    known = set(candidates)
    ballots: list[Ballot] = []
    for order, count in counts.items():
        flat = [c for g in order for c in g]
        unknown = [c for c in flat if c not in known]
        if unknown:
            raise DecideError(f"A ranking names alternative {unknown[0]!r}, which is not declared.")
        if len(flat) != len(set(flat)):
            raise DecideError(f"A ranking lists alternative {flat[0]!r}... more than once.")
        if data_type in ("soc", "soi") and any(len(g) > 1 for g in order):
            raise DecideError(f"A .{data_type} file holds strict orders, but a line has a tie.")
        if data_type in ("soc", "toc") and len(flat) != len(candidates):
            raise DecideError(
                f"A .{data_type} file holds complete orders, but a line leaves some out."
            )
        ballots.append(Ballot(ranking=order, weight=count))
    declared_n = _declared_int(meta, "NUMBER VOTERS")
    if declared_n is not None and declared_n != total:
        raise DecideError(
            f"The file declares {declared_n:,} voters but its lines hold {total:,}; "
            "it is incomplete or altered."
        )
    return Election(
        kind="ordinal",
        candidates=candidates,
        ballots=ballots,
        names={c: names.get(c, "") for c in candidates if names.get(c)},
        title=meta.get("TITLE", ""),
        meta=meta,
        source_format=data_type,
    )


def _declared_int(meta: Mapping[str, str], key: str) -> int | None:
    value = meta.get(key)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise DecideError(f"Header {key} should be a whole number, not {value[:20]!r}.")
    return int(value)


def write_preflib(
    candidates: Sequence[str],
    ballots: Iterable[Ballot],
    *,
    names: Mapping[str, str] | None = None,
    title: str = "",
) -> tuple[str, str]:
    """Ranked ballots as PrefLib text; returns (data type, text).

    PrefLib numbers alternatives 1..m, so candidates are numbered in the given order and
    their ids go in the ALTERNATIVE NAME lines when no name is given.
    """
    number = {c: str(i) for i, c in enumerate(candidates, start=1)}
    counts: Counter[tuple[tuple[str, ...], ...]] = Counter()
    for b in ballots:
        if b.weight:
            counts[tuple(tuple(sorted(g, key=list(candidates).index)) for g in b.ranking)] += (
                b.weight
            )
    ties = any(len(g) > 1 for order in counts for g in order)
    complete = all(sum(len(g) for g in order) == len(candidates) for order in counts)
    data_type = ("to" if ties else "so") + ("c" if complete else "i")
    lines = [
        f"# FILE NAME: ballots.{data_type}",
        f"# TITLE: {_one_line(title)}",
        f"# DATA TYPE: {data_type}",
        f"# NUMBER ALTERNATIVES: {len(candidates)}",
        f"# NUMBER VOTERS: {sum(counts.values())}",
        f"# NUMBER UNIQUE ORDERS: {len(counts)}",
    ]
    for c in candidates:
        label = (names or {}).get(c) or c
        lines.append(f"# ALTERNATIVE NAME {number[c]}: {_one_line(label)}")
    for order, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        parts = [
            number[g[0]] if len(g) == 1 else "{" + ",".join(number[c] for c in g) + "}"
            for g in order
        ]
        lines.append(f"{count}: {','.join(parts)}")
    return data_type, "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- Pabulib -------------------------------------------------------------------------------

_SECTIONS = ("META", "PROJECTS", "VOTES")


def parse_decimal(value: str, *, where: str) -> Decimal:
    """A cost, budget or point count: `804828.79`, `804828,79` or `1 000`; finite, >= 0."""
    cleaned = value.strip().replace(" ", "").replace("\u00a0", "").replace("_", "")
    if "," in cleaned:
        if "." in cleaned:  # 1.246.670,50 or 1,246,670.50: the last mark is the decimal one
            thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
            cleaned = cleaned.replace(thousands, "").replace(",", ".")
        elif cleaned.count(",") > 1:  # 1,246,670
            cleaned = cleaned.replace(",", "")
        else:
            cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation as exc:
        raise DecideError(f"{where}: {value[:30]!r} is not a number.") from exc
    if not number.is_finite() or number < 0:
        raise DecideError(f"{where}: {value[:30]!r} is not a number zero or above.")
    return number


def parse_pabulib(text: str) -> Election:
    """Pabulib: META, PROJECTS and VOTES sections of `;`-separated rows."""
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    reader = csv.reader(io.StringIO(text), delimiter=";", quotechar='"')
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            head = row[0].strip().upper()
            if len(row) == 1 and head in _SECTIONS:
                if head in sections:
                    raise DecideError(f"The file has two {head} sections.")
                current = head
                sections[current] = []
                continue
            if current is None:
                raise DecideError("A Pabulib file starts with a META section.")
            sections[current].append([cell.strip() for cell in row])
    except csv.Error as exc:
        raise DecideError(f"Line {reader.line_num}: {exc}.") from exc
    for name in _SECTIONS:
        if not sections.get(name):
            raise DecideError(f"The file has no {name} section (or it is empty).")
    meta = _pb_meta(sections["META"])
    kind = meta.get("vote_type", "approval").lower()
    if kind not in ("approval", "cumulative", "scoring", "ordinal"):
        raise DecideError(f"Unknown vote_type {kind!r}.")
    costs, names, selected, order = _pb_projects(sections["PROJECTS"])
    budget = (
        parse_decimal(meta.get("budget", ""), where="META budget") if "budget" in meta else None
    )
    ballots = _pb_votes(sections["VOTES"], kind, set(order))
    declared = meta.get("num_votes", "")
    voters = sum(b.weight for b in ballots)
    if declared.isdigit() and int(declared) != voters:
        raise DecideError(
            f"META num_votes says {int(declared):,} votes but the VOTES section holds {voters:,}."
        )
    return Election(
        kind=kind,
        candidates=order,
        ballots=ballots,
        names=names,
        title=meta.get("description", ""),
        costs=costs,
        budget=budget,
        rule=meta.get("rule", ""),
        meta=meta,
        selected=selected,
        source_format="pb",
    )


def _pb_meta(rows: list[list[str]]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for row in rows[1:]:  # the first row is the `key;value` header
        if row and row[0]:
            meta[row[0].lower()] = row[1] if len(row) > 1 else ""
    return meta


def _pb_projects(
    rows: list[list[str]],
) -> tuple[dict[str, Decimal], dict[str, str], list[str], list[str]]:
    header = [h.lower() for h in rows[0]]
    if "project_id" not in header or "cost" not in header:
        raise DecideError("The PROJECTS section needs project_id and cost columns.")
    pid, pcost = header.index("project_id"), header.index("cost")
    pname = header.index("name") if "name" in header else None
    psel = header.index("selected") if "selected" in header else None
    costs: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    selected: list[str] = []
    for row in rows[1:]:
        if len(row) <= max(pid, pcost):
            raise DecideError(f"A PROJECTS row has too few columns: {';'.join(row)[:40]!r}.")
        project = row[pid]
        if not project:
            raise DecideError("A project has no project_id.")
        if project in costs:
            raise DecideError(f"Project {project!r} is listed twice.")
        costs[project] = parse_decimal(row[pcost], where=f"Cost of project {project!r}")
        if pname is not None and len(row) > pname:
            names[project] = row[pname]
        if psel is not None and len(row) > psel and row[psel] in ("1", "1.0"):
            selected.append(project)
    return costs, names, selected, list(costs)


def _pb_votes(rows: list[list[str]], kind: str, projects: set[str]) -> list[Ballot]:
    header = [h.lower() for h in rows[0]]
    if "vote" not in header:
        raise DecideError("The VOTES section needs a vote column.")
    pvote = header.index("vote")
    ppoints = header.index("points") if "points" in header else None
    if kind in ("cumulative", "scoring") and ppoints is None:
        raise DecideError(f"{kind.capitalize()} votes need a points column.")
    counts: Counter[tuple[object, ...]] = Counter()
    for n, row in enumerate(rows[1:], start=1):
        if len(counts) > MAX_VOTERS:
            raise DecideError("Too many votes in one file.")
        chosen = [p.strip() for p in row[pvote].split(",") if p.strip()] if len(row) > pvote else []
        unknown = [p for p in chosen if p not in projects]
        if unknown:
            raise DecideError(f"Vote {n} names project {unknown[0]!r}, which is not listed.")
        if len(chosen) != len(set(chosen)):
            raise DecideError(f"Vote {n} names a project twice.")
        if kind == "approval":
            counts[("a", frozenset(chosen))] += 1
        elif kind == "ordinal":
            counts[("o", tuple(chosen))] += 1
        else:
            raw = row[ppoints].split(",") if ppoints is not None and len(row) > ppoints else []
            if len(raw) != len(chosen):
                raise DecideError(f"Vote {n} gives {len(raw)} points for {len(chosen)} projects.")
            points = tuple(
                sorted(
                    (p, parse_decimal(x, where=f"Vote {n} points"))
                    for p, x in zip(chosen, raw, strict=True)
                )
            )
            counts[("s", points)] += 1
    ballots: list[Ballot] = []
    for key, count in counts.items():
        tag, body = key
        if tag == "a":
            ballots.append(Ballot(approvals=body, weight=count))  # type: ignore[arg-type]
        elif tag == "o":
            ranking = tuple((p,) for p in body)  # type: ignore[attr-defined]
            ballots.append(Ballot(ranking=ranking, weight=count))
        else:
            ballots.append(Ballot(scores=dict(body), weight=count))  # type: ignore[call-overload]
    return ballots


def write_pabulib(
    projects: Sequence[str],
    ballots: Iterable[Ballot],
    *,
    costs: Mapping[str, Decimal],
    budget: Decimal,
    kind: str = "approval",
    names: Mapping[str, str] | None = None,
    rule: str = "",
    description: str = "",
    selected: Iterable[str] = (),
) -> str:
    """A participatory budget's anonymised ballots as Pabulib text (voter ids are 1..n)."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    expanded: list[Ballot] = []
    for b in ballots:
        expanded.extend([b] * b.weight)
    out.write("META\n")
    w.writerow(["key", "value"])
    w.writerow(["description", _one_line(description)])
    w.writerow(["num_projects", len(projects)])
    w.writerow(["num_votes", len(expanded)])
    w.writerow(["budget", budget])
    w.writerow(["vote_type", kind])
    if rule:
        w.writerow(["rule", rule])
    out.write("PROJECTS\n")
    chosen = set(selected)
    w.writerow(["project_id", "cost", "name", "selected"])
    for p in projects:
        w.writerow([p, costs[p], _one_line((names or {}).get(p, "")), int(p in chosen)])
    out.write("VOTES\n")
    if kind in ("cumulative", "scoring"):
        w.writerow(["voter_id", "vote", "points"])
    else:
        w.writerow(["voter_id", "vote"])
    order = {p: i for i, p in enumerate(projects)}
    for n, b in enumerate(expanded, start=1):
        if kind == "ordinal":
            w.writerow([n, ",".join(b.ranked_candidates())])
        elif kind in ("cumulative", "scoring"):
            items = sorted(b.scores.items(), key=lambda kv: order[kv[0]])
            w.writerow([n, ",".join(p for p, _ in items), ",".join(str(s) for _, s in items)])
        else:
            w.writerow([n, ",".join(sorted(b.approvals, key=order.__getitem__))])
    return out.getvalue()
