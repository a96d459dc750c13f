"""Writes to the place tree and overlay regions."""

from collections import defaultdict

from django.db import transaction

from places.models import OVERLAY_KINDS, Place


@transaction.atomic
def place_tree_renumber() -> int:
    """Give every tree place pre-order `lft`/`rgt` numbers and `depth`; return how many.

    Organizations copy `lft`, so callers that renumber an existing tree must also refresh
    `Organization.place_lft` (see directory.services.organization_places_refresh).
    """
    rows = list(Place.objects.exclude(kind__in=OVERLAY_KINDS).values_list("id", "parent_id", "name"))
    children: dict[int | None, list[tuple[str, int]]] = defaultdict(list)
    for pk, parent_id, name in rows:
        children[parent_id].append((name, pk))
    numbers: dict[int, tuple[int, int, int]] = {}
    counter = 0
    # Iterative depth-first walk: the tree is ~200k places deep only 5 levels, but wide.
    stack: list[tuple[int, int, bool]] = [(pk, 0, False) for _, pk in sorted(children[None], reverse=True)]
    lft_of: dict[int, int] = {}
    while stack:
        pk, depth, done = stack.pop()
        counter += 1
        if done:
            numbers[pk] = (lft_of[pk], counter, depth)
            continue
        lft_of[pk] = counter
        stack.append((pk, depth, True))
        for _, child in sorted(children.get(pk, []), reverse=True):
            stack.append((child, depth + 1, False))
    objs = [Place(id=pk, lft=lft, rgt=rgt, depth=depth) for pk, (lft, rgt, depth) in numbers.items()]
    Place.objects.bulk_update(objs, ["lft", "rgt", "depth"], batch_size=2000)
    return len(objs)
