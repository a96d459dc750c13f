"""Write labels.csv: hand-checked same/different judgements for sampled candidate pairs.

The sample: every candidate pair the model scores between 0.02 and 0.995, 50 random pairs
above, 40 random same-state pairs below, and same-name pairs (all uncertain ones, 20 sure
ones). Each pair was read side by side (name, city, state, every link); the judgements are
written down below as rules over the two names, each with the reason. Pairs no rule names
fell in two plain cases, also checked by eye: identical name in the same place or with a
shared link (the same listing twice), or different names, different links (different groups).

    .venv/bin/python -m bench.resolution.make_labels
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

from bench.resolution.data import load, split_uid
from resolution import engine
from resolution.features import fold

OUT = Path(__file__).with_name("labels.csv")

# (words in one name, words in the other, same?, why) — cleaned names, substring match.
JUDGED: list[tuple[str, str, bool, str]] = [
    ("mutual aid worcester", "mutual aid worcester", True, "same name; Worchester is a typo"),
    ("share the care", "share the care", True, "same name and town, two Facebook pages"),
    ("northwest michigan", "north west michigan", True, "same name reordered, same town"),
    ("fairbanks mutual aid", "fairbanks mutual aid", True, "same name and town"),
    ("mutual aid natick", "mutual aid natick", True, "same name and town"),
    ("ditmas park", "ditmas park", True, "same name, same neighbourhoods"),
    ("front range mutual aid", "front range mutual aid", True, "same network, Front Range cities"),
    ("medford and somerville", "medford and somerville", True, "same name (MAMAS)"),
    ("allston", "alston", True, "same Google doc; Alston is a typo"),
    ("english version", "spanish version", True, "one network's English and Spanish pages"),
    (
        "birmingham mutual aid",
        "birmingham mutual aid",
        True,
        "Birmingham group and its offers sheet",
    ),
    (
        "missoula covid 19 mutual aid",
        "missoula covid 19 organizing",
        True,
        "covidmissoula, one group",
    ),
    ("pdx mutual aid", "portland area covid 19 mutual aid", True, "share a form and Facebook page"),
    ("pdx mutual aid", "support request", True, "same Facebook page pdxcovid19mutualaid"),
    ("pdx mutual aid", "offer support", True, "same forms and Facebook page"),
    ("support request", "portland area covid 19 mutual aid", True, "PDX COVID-19 mutual aid forms"),
    ("support request", "offer support", True, "PDX COVID-19 mutual aid forms"),
    ("offer support", "portland area covid 19 mutual aid", True, "same form"),
    ("colorado springs", "colorado springs", True, "share the same intake form / Facebook group"),
    ("provide aid in cleveland", "cpr cleveland", True, "same Facebook page cprcle"),
    ("montpelier", "central vermont", True, "share a link; Central Vermont group in Montpelier"),
    ("el cerrito", "el cerrito", True, "same form / spreadsheet, El Cerrito and Richmond"),
    ("community resources actions", "community resources actions", True, "same spreadsheet"),
    ("brave space alliance", "support request", True, "same Brave Space Alliance form"),
    ("bozeman", "bozeman", True, "same Jotform"),
    ("santa fe covid 19 mutual aid form", "santa fe mutual aid network", True, "same form"),
    ("las vegas dsa", "lvdsa", True, "same form"),
    ("east bay disabled folks", "east bay disabled folks", True, "same form"),
    ("huron valley", "washtenaw", True, "same form and Facebook group"),
    ("kansas city mutual aid", "kansas city mutual aid", True, "same Facebook group"),
    ("community resources during covid", "community resources links", True, "same Google doc"),
    ("neighbors helping neighbors", "neighbors helping neighbors", True, "same form"),
    ("brattleboro area mutual aid", "brattleboro area mutual aid", True, "same name and town"),
    ("royalton", "royalton", True, "same town's mutual aid, two forms"),
    (
        "south bay mutual aid",
        "south bay mutual aid",
        True,
        "intake and volunteer forms of one group",
    ),
    ("burlington coronavirus", "burlington coronavirus", True, "same Facebook group"),
    ("burlington coronavirus", "milwaukie", False, "different names; link copied by mistake"),
    ("greater lafayette", "greater lafayette", False, "Indiana and Louisiana groups"),
    ("metro detroit", "southwest detroit", False, "a local form pointing at the metro group"),
    ("dc mutual aid", "dc mutual aid", False, "DC page, group, Ward 7/8 and neighbourhood list"),
    ("mississippi", "mississippi", False, "a Facebook page and a different group"),
    ("pdx mutual aid", "food delivery", False, "a separate delivery group"),
    ("pandemic neighborhood", "pandemic neighborhood", False, "different neighbourhood chapters"),
]


def _plain(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(name)).split())


def judge(
    a: dict[str, str], b: dict[str, str], names: tuple[str, str], shared_link: bool
) -> tuple[bool, str]:
    na, nb = _plain(names[0]), _plain(names[1])
    for x, y, same, why in JUDGED:
        if (same or na != nb) and ((x in na and y in nb) or (y in na and x in nb)):
            return same, why
    if a["name_clean"] == b["name_clean"] and (a["city_state"] == b["city_state"] or shared_link):
        return True, "same name, same place or shared link"
    return False, "different names and links"


def main() -> None:
    records, shown = load()
    feat = {r["unique_id"]: r for r in records}
    model = engine.train(records)
    pairs = engine.predict(records, model, threshold=0.0)
    rng = random.Random(7)
    mid = [p for p in pairs if 0.02 <= p.probability < 0.995]
    high = [p for p in pairs if p.probability >= 0.995]
    low = [
        p for p in pairs if p.probability < 0.02 and feat[p.left]["state"] == feat[p.right]["state"]
    ]
    # Each pair carries its stratum's weight (pairs in the stratum / pairs sampled from it),
    # so precision and recall can be estimated for all candidate pairs, not just the sample.
    weight: dict[tuple[int, int], float] = {}
    chosen = list(mid)
    weight.update({(p.left, p.right): 1.0 for p in mid})
    for stratum, size in ((high, 50), (low, 40)):
        picked = rng.sample(stratum, size)
        chosen += picked
        weight.update({(p.left, p.right): len(stratum) / size for p in picked})
    seen = {(p.left, p.right) for p in chosen}
    same_name = [
        p
        for p in pairs
        if feat[p.left]["name_clean"] == feat[p.right]["name_clean"]
        and (p.left, p.right) not in seen
    ]
    unsure = [p for p in same_name if p.probability < 0.995]
    sure = [p for p in same_name if p.probability >= 0.995]
    sure_picked = rng.sample(sure, 20)
    chosen += unsure + sure_picked
    weight.update({(p.left, p.right): 1.0 for p in unsure})
    # Sure same-name pairs are already part of the high stratum's population.
    weight.update({(p.left, p.right): 0.0 for p in sure_picked})
    with OUT.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "source_a",
                "key_a",
                "source_b",
                "key_b",
                "same",
                "why",
                "weight",
                "probability",
                "name_a",
                "name_b",
            ]
        )
        for p in sorted(chosen, key=lambda p: (p.left, p.right)):
            a, b = feat[p.left], feat[p.right]
            links_a = set((a["websites"] or []) + (a["facebook"] or []))
            links_b = set((b["websites"] or []) + (b["facebook"] or []))
            same, why = judge(
                a, b, (shown[p.left]["name"], shown[p.right]["name"]), bool(links_a & links_b)
            )
            sa, ka = split_uid(p.left)
            sb, kb = split_uid(p.right)
            out.writerow(
                [
                    sa,
                    ka,
                    sb,
                    kb,
                    int(same),
                    why,
                    f"{weight[(p.left, p.right)]:.3f}",
                    f"{p.probability:.4f}",
                    shown[p.left]["name"],
                    shown[p.right]["name"],
                ]
            )
    print(f"{len(chosen)} labelled pairs → {OUT}")


if __name__ == "__main__":
    main()
