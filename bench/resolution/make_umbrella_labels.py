"""Write umbrella_labels.csv: judged pairs of the European solidarity-economy list, where many
local groups give their network's site as their link.

The pairs: every two records of the list that share a link (after the hub's link cleaning),
and every two with the same cleaned name. Each was read side by side (name, city, links). The
judgements are written below as rules over the two cleaned names; a pair no rule names is the
same group when the names are the same and different groups when they differ, which held for
every pair read but one pair of namesakes, named below (chapters of one network name their town or region: "Slow Food - Convivium
Pfalz", "Weltladen Lienz", "Mozaïk RH Occitanie", "Fair-Teiler: Bio Werkstatt").

    .venv/bin/python -m bench.resolution.make_umbrella_labels
"""

from __future__ import annotations

import csv
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from bench.resolution.data import UMBRELLA_FILES, load, split_uid

OUT = Path(__file__).with_name("umbrella_labels.csv")

# Differently named records of one group: (name a, name b, why), cleaned names, exact.
SAME: list[tuple[str, str, str]] = [
    (
        "gemeinwohl okonomie oberosterreich",
        "gemeinwohlokonomie oberosterreich",
        "one regional group, name spelled two ways",
    ),
    (
        "gemeinwohl okonomie salzburg",
        "gemeinwohlokonomie regionalgruppe salzburg",
        "the Salzburg regional group, its own subdomain",
    ),
    (
        "gemeinwohl okonomie wien",
        "gemeinwohlokonomie regionalgruppe wien",
        "the Vienna regional group, its own subdomain",
    ),
    (
        "klimabundnis regionalstelle steiermark",
        "klimabrundnis steiermark",
        "the Styrian office, typo in one name",
    ),
    ("the fairtrade foundation", "fairtrade foundation", "same foundation and site"),
    (
        "social enterprise link",
        "social enterprise link wessex cic",
        "same company (CIC), Portsmouth/Southsea",
    ),
    ("able willing", "able and willing", "same charity in Hove"),
    ("beacon", "ethical legal services trading as beacon", "trading name"),
    (
        "cerai",
        "centro de estudios rurales y de agricultura internacional",
        "CERAI is the acronym; two offices",
    ),
    ("beescoop", "bees coop", "same cooperative supermarket in Brussels"),
    (
        "admr aide a domicile en milieu rural",
        "aide a domicile en milieu rural",
        "ADMR is the acronym",
    ),
]
# Same cleaned name, different groups.
DIFFERENT_SAME_NAME = {
    "slow food": "two conviviums whose names lost their town",
    # Labelled "same" before by the same-name rule; read again against the rows: a cycling
    # co-operative in Bologna (dynamo.bo.it) and a WWF oasis at Limestre (dynamocamp.org),
    # nothing in common but the word.
    "dynamo": "a Bologna cycling co-operative and a WWF oasis in Tuscany, two organizations",
}


def judge(a: str, b: str) -> tuple[bool, str]:
    for x, y, why in SAME:
        if {a, b} == {x, y}:
            return True, why
    if a == b:
        if a in DIFFERENT_SAME_NAME:
            return False, DIFFERENT_SAME_NAME[a]
        return True, "same name and shared link or same town"
    return False, "different names: different chapters, shops or groups"


def main() -> None:
    records, shown = load(UMBRELLA_FILES)
    by_link: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    names = {r["unique_id"]: r["name_clean"] or "" for r in records}
    for r in records:
        for link in [*(r["websites"] or ()), *(r["facebook"] or ())]:
            by_link[link].append(r["unique_id"])
        if r["name_clean"]:
            by_name[r["name_clean"]].append(r["unique_id"])
    pairs: dict[tuple[int, int], str] = {}
    for link, ids in by_link.items():
        for a, b in combinations(sorted(set(ids)), 2):
            pairs.setdefault((a, b), f"shared link {link}")
    for ids in by_name.values():
        for a, b in combinations(sorted(set(ids)), 2):
            pairs.setdefault((a, b), "same name")
    counts = {link: len({names[i] for i in ids}) for link, ids in by_link.items()}
    rows = []
    for (a, b), found in sorted(pairs.items()):
        same, why = judge(names[a], names[b])
        sa, ka = split_uid(a)
        sb, kb = split_uid(b)
        link = found.removeprefix("shared link ")
        rows.append(
            {
                "source_a": sa,
                "key_a": ka,
                "source_b": sb,
                "key_b": kb,
                "same": int(same),
                "why": why,
                "found_by": "shared link" if found.startswith("shared") else found,
                "link": link if found.startswith("shared") else "",
                "names_with_link": counts.get(link, ""),
                "name_a": shown[a]["name"],
                "city_a": shown[a]["city"],
                "name_b": shown[b]["name"],
                "city_b": shown[b]["city"],
            }
        )
    with OUT.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    same = sum(r["same"] for r in rows)
    print(f"{len(rows)} pairs: {same} same, {len(rows) - same} different → {OUT.name}")


if __name__ == "__main__":
    main()
