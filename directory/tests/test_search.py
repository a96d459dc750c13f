import pytest
from django.core.exceptions import ValidationError

from directory import search, selectors, services
from directory.models import Organization


@pytest.fixture
def spread(places, organizer):
    """One group in each of several places, each with its own words and issues."""
    make = services.organization_create
    return {
        "portland": make(
            user=organizer,
            name="Portland Tenants Union",
            home_place=places["portland"],
            description="Renters organizing against evictions.",
            issue_areas=["housing"],
        ),
        "seattle": make(
            user=organizer,
            name="Seattle Transit Riders",
            home_place=places["seattle"],
            description="Riders for frequent buses.",
            issue_areas=["transportation"],
        ),
        "vancouver": make(
            user=organizer,
            name="Vancouver Housing Co-op",
            kind="coop",
            home_place=places["vancouver"],
            description="Co-operative homes for renters.",
            issue_areas=["housing"],
        ),
        "eureka": make(
            user=organizer,
            name="Eureka Watershed Defenders",
            home_place=places["eureka"],
            description="Clean rivers.",
            issue_areas=["environment-land"],
        ),
        "oakland": make(
            user=organizer,
            name="Oakland Tenants Union",
            home_place=places["oakland"],
            description="Renters in Oakland.",
            issue_areas=["housing"],
            status="inactive",
        ),
        "berkeley": make(
            user=organizer,
            name="Berkeley Food Share",
            home_place=places["berkeley"],
            description="Community fridges.",
            issue_areas=["food"],
        ),
        "nyc": make(
            user=organizer,
            name="New York Tenants",
            home_place=places["nyc"],
            description="Renters of the five boroughs.",
            issue_areas=["housing"],
        ),
    }


def names(qs):
    return sorted(o.name for o in qs)


def test_it_finds_words_in_name_and_description(spread):
    assert names(selectors.organization_search(user=None, q="tenants")) == [
        "New York Tenants",
        "Oakland Tenants Union",
        "Portland Tenants Union",
    ]
    # Stemming: "eviction" finds "evictions".
    assert names(selectors.organization_search(user=None, q="eviction")) == [
        "Portland Tenants Union"
    ]
    assert names(selectors.organization_search(user=None, q="renters portland")) == [
        "Portland Tenants Union"
    ]


def test_it_survives_query_syntax_in_user_text(spread):
    for text in [
        '"',
        "AND OR NOT",
        "tenants*",
        "-(",
        "NEAR(a b)",
        "'; drop table x",
        "col:val",
        "^",
    ]:
        list(selectors.organization_search(user=None, q=text))


def test_it_keeps_the_index_in_step_with_edits_and_deletes(spread, organizer):
    org = spread["eureka"]
    services.organization_update(user=organizer, organization=org, description="Salmon and rivers.")
    assert names(selectors.organization_search(user=None, q="salmon")) == [
        "Eureka Watershed Defenders"
    ]
    assert names(selectors.organization_search(user=None, q="clean")) == []
    Organization.objects.filter(pk=org.pk).delete()
    assert names(selectors.organization_search(user=None, q="salmon")) == []


def test_it_filters_by_an_overlay_region_and_everything_below_it(spread, places):
    # Cascadia: Washington, Oregon, British Columbia and Humboldt County (Eureka), not Oakland.
    assert names(selectors.organization_search(user=None, place=places["cascadia"])) == [
        "Eureka Watershed Defenders",
        "Portland Tenants Union",
        "Seattle Transit Riders",
        "Vancouver Housing Co-op",
    ]
    assert names(selectors.organization_search(user=None, place=places["california"])) == [
        "Berkeley Food Share",
        "Eureka Watershed Defenders",
        "Oakland Tenants Union",
    ]


def test_it_combines_text_place_issue_kind_and_status(spread, places):
    search_ = selectors.organization_search
    assert names(search_(user=None, q="renters", place=places["cascadia"], issue="housing")) == [
        "Portland Tenants Union",
        "Vancouver Housing Co-op",
    ]
    assert names(search_(user=None, place=places["cascadia"], issue="housing", kind="coop")) == [
        "Vancouver Housing Co-op"
    ]
    assert names(search_(user=None, issue="housing", status="inactive")) == [
        "Oakland Tenants Union"
    ]


def test_it_orders_by_distance_near_a_place(spread, places):
    found = list(selectors.organization_search(user=None, near=places["oakland"], radius_km=30))
    assert [o.name for o in found] == ["Oakland Tenants Union", "Berkeley Food Share"]
    distances = [getattr(o, "distance_km") for o in found]  # noqa: B009 - annotated by the search
    assert distances[0] < 1 < distances[1] < 10
    wide = selectors.organization_search(user=None, near=places["portland"], radius_km=500)
    assert [o.name for o in wide][:2] == ["Portland Tenants Union", "Seattle Transit Riders"]
    assert "New York Tenants" not in names(wide)


def test_it_names_the_field_of_bad_input(spread, places):
    cases = [
        ({"issue": "astrology"}, "issue"),
        ({"kind": "cult"}, "kind"),
        ({"status": "asleep"}, "status"),
        ({"near": places["oakland"], "radius_km": -1}, "radius_km"),
        ({"near": places["world"]}, "near"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as info:
            list(selectors.organization_search(user=None, **kwargs))
        assert field in info.value.message_dict


def test_it_restores_the_sqlite_triggers_when_a_table_rebuild_drops_them(spread):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("only SQLite keeps its index with triggers")
    with connection.cursor() as cursor:
        for name in search.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    assert not search.sqlite_index_is_complete()
    assert search.ensure_index()
    assert search.sqlite_index_is_complete()
    Organization.objects.filter(pk=spread["eureka"].pk).update(description="Salmon.")
    assert names(selectors.organization_search(user=None, q="salmon")) == [
        "Eureka Watershed Defenders"
    ]


def test_it_knows_its_count_without_asking_the_table(spread, places):
    results = selectors.organization_search(user=None, q="renters", issue="housing")
    assert results.count() == len(list(results)) == 4
    # Filtering further drops the known count rather than returning a wrong one.
    assert results.filter(kind="coop").count() == 1
    assert selectors.organization_search(user=None, q="renters")[:1].count() == 1
    assert selectors.organization_search(user=None, q="renters")[2:10].count() == 2
    assert selectors.organization_search(user=None, q="renters")[5:].count() == 0
    assert selectors.organization_search(user=None).count() == 7


def test_it_pages_in_name_order_on_every_database(spread, places):
    for kwargs in ({"q": "renters"}, {"place": places["cascadia"]}, {"issue": "housing"}):
        everything = [o.name for o in selectors.organization_search(user=None, **kwargs)]
        assert everything == sorted(everything)
        results = selectors.organization_search(user=None, **kwargs)
        pages = [[o.name for o in results[i : i + 2]] for i in range(0, len(everything), 2)]
        assert [name for page in pages for name in page] == everything


def test_it_orders_big_result_sets_the_same_way_by_every_plan(
    spread, organizer, places, monkeypatch
):
    everything = [o.name for o in selectors.organization_search(user=None, q="renters")]
    assert everything == sorted(everything)
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner chooses among these plans by itself")
    # Pretend the sets are large, to walk the plans used at a million listings.
    monkeypatch.setattr(selectors, "SORT_FETCHED_MAX", 1)
    walked = selectors.organization_search(user=None, q="renters")
    assert [o.name for o in walked] == everything and walked.count() == 4
    monkeypatch.setattr(selectors, "IDS_MAX", 1)
    walked = selectors.organization_search(user=None, q="renters")
    assert [o.name for o in walked] == everything and walked.count() == 4
    monkeypatch.setattr(selectors, "SORT_BY_NAME_MAX", 2)
    monkeypatch.setattr(selectors, "RESULT_WINDOW", 2)
    newest = selectors.organization_search(user=None, q="renters")
    assert newest.order == "newest" and newest.count() == 4
    ids = [o.pk for o in newest]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3


def test_it_shows_hidden_listings_only_to_site_coordinators(spread, site_coordinator, organizer):
    Organization.objects.filter(pk=spread["nyc"].pk).update(is_hidden=True)
    assert "New York Tenants" not in names(
        selectors.organization_search(user=organizer, q="tenants")
    )
    assert "New York Tenants" in names(
        selectors.organization_search(user=site_coordinator, q="tenants")
    )
    assert selectors.organization_search(user=None).count() == 6
    assert selectors.organization_search(user=site_coordinator).count() == 7


def test_it_indexes_rows_written_while_the_triggers_were_paused(spread, places):
    first = max(Organization.objects.values_list("id", flat=True)) + 1
    with search.triggers_paused(first_new_id=first):
        Organization.objects.bulk_create(
            [
                Organization(
                    name="Salem Bike Kitchen",
                    slug="salem-bike-kitchen",
                    description="Repairs for riders.",
                    home_place=places["oregon"],
                    place_lft=places["oregon"].lft,
                )
            ]
        )
    assert names(selectors.organization_search(user=None, q="bike", place=places["cascadia"])) == [
        "Salem Bike Kitchen"
    ]
    search.rebuild_index()
    assert names(selectors.organization_search(user=None, q="bike", place=places["oregon"])) == [
        "Salem Bike Kitchen"
    ]


def test_it_splits_place_ranges_into_exact_blocks():
    for lo, hi in [(0, 0), (1, 1), (5, 70), (16, 31), (3, 1_000), (262_143, 262_145)]:
        covered: set[int] = set()
        for token in search.place_tokens([(lo, hi)]):
            level, prefix = (int(x) for x in token[1:].split("x"))
            start = prefix << (2 * level)
            covered |= set(range(start, start + 4**level))
        assert covered == set(range(lo, hi + 1)), (lo, hi)


def test_it_keeps_the_migration_copy_of_the_index_in_step():
    import importlib

    frozen = importlib.import_module("directory.migrations.0005_faceted_search_index")
    assert frozen.sqlite_triggers() == list(search.SQLITE_TRIGGERS.values())
    assert frozen.postgres_vector() == search.postgres_vector_sql()


def test_it_forgets_remembered_results_when_the_directory_changes(
    spread, organizer, places, monkeypatch
):
    from types import SimpleNamespace

    # Outside a transaction (as in a web request) results are remembered per directory version.
    monkeypatch.setattr(selectors, "connection", SimpleNamespace(in_atomic_block=False))
    monkeypatch.setattr(selectors, "_recent_ids", type(selectors._recent_ids)())
    monkeypatch.setattr(selectors, "_remembered_counts", type(selectors._remembered_counts)())
    first = selectors.organization_search(user=None, q="renters")
    assert first.count() == 4
    again = selectors.organization_search(user=None, q="renters")
    assert names(again) == names(first)
    services.organization_create(
        user=organizer, name="Salem Renters", home_place=places["oregon"], description="Renters."
    )
    after = selectors.organization_search(user=None, q="renters")
    assert after.count() == 5 and "Salem Renters" in names(after)


def test_it_pages_filtered_lists_from_the_map_index_like_the_database(
    spread, places, organizer, monkeypatch
):
    from directory import mapindex

    for i in range(30):
        services.organization_create(
            user=organizer,
            name=f"{'Zeta' if i % 3 else 'Alpha'} Group {i:02d}",
            home_place=places["portland" if i % 2 else "seattle"],
            kind="coop" if i % 5 == 0 else "local_group",
            issue_areas=["housing"] if i % 4 else ["labor"],
        )
    cases = [
        {},
        {"place": places["cascadia"]},
        {"place": places["oregon"], "issue": "housing"},
        {"kind": "coop"},
        {"issue": "labor", "status": "active"},
    ]
    expected = {}
    for i, kwargs in enumerate(cases):
        results = selectors.organization_search(user=None, **kwargs)
        expected[i] = [o.pk for o in results], results.count()
    mapindex.index_reset()
    monkeypatch.setattr(selectors, "_inside_transaction", lambda: False)
    try:
        for i, kwargs in enumerate(cases):
            results = selectors.organization_search(user=None, **kwargs)
            assert results._page_ids is not None
            everything, n = expected[i]
            assert results.count() == n
            pages = [[o.pk for o in results[a : a + 7]] for a in range(0, n + 7, 7)]
            assert [pk for page in pages for pk in page] == everything
            assert [o.pk for o in results[3:5]] == everything[3:5]
            assert results[3:5].count() == len(everything[3:5])
    finally:
        mapindex.index_reset()


def test_it_puts_listings_unconfirmed_past_the_interval_after_the_others_near_a_place(
    spread, places
):
    from datetime import timedelta

    from django.utils import timezone

    # Oakland Tenants Union is nearest; once it is unconfirmed for 400 days it comes last.
    found = list(selectors.organization_search(user=None, near=places["oakland"], radius_km=30))
    nearest = found[0]
    Organization.objects.filter(pk=nearest.pk).update(
        last_confirmed_at=timezone.now() - timedelta(days=400)
    )
    again = selectors.organization_search(user=None, near=places["oakland"], radius_km=30)
    assert [o.name for o in found] == ["Oakland Tenants Union", "Berkeley Food Share"]
    assert [o.name for o in again] == ["Berkeley Food Share", "Oakland Tenants Union"]
