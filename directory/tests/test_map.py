"""The map: its page, the clusters endpoint and the in-memory index behind both."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from commonweal.tests import listings as shared
from directory import mapindex
from directory.models import Organization
from directory.services import directory_touch, organization_create
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture
def listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    return shared.make_listings(places, organizer)


WEST_COAST = "-130,30,-115,52"


def clusters(client: Client, **params: Any) -> Any:
    return client.get(reverse("directory:clusters"), params)


class TestMapPage:
    def test_it_serves_leaflet_from_our_own_static_files(self, client: Client) -> None:
        body = client.get(reverse("directory:map")).content.decode()
        assert "/static/leaflet/leaflet.js" in body and "/static/leaflet/leaflet.css" in body
        assert "unpkg" not in body and "cdn" not in body.lower()
        assert 'data-clusters="/map/clusters.json"' in body

    def test_it_uses_the_tile_server_from_settings(self, client: Client, settings: Any) -> None:
        settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
        assert (
            "https://tiles.example.org/{z}/{x}/{y}.png"
            in client.get(reverse("directory:map")).content.decode()
        )

    def test_it_refuses_other_methods(self, client: Client) -> None:
        assert client.post(reverse("directory:map")).status_code == 405


class TestClustersEndpoint:
    def test_it_groups_distant_groups_into_clusters_at_low_zoom(
        self, client: Client, listings: dict
    ) -> None:
        data = clusters(client, bbox="-180,-85,180,85", zoom=0).json()
        assert data["total"] == 6
        assert sum(c["count"] for c in data["clusters"]) + len(data["points"]) == 6
        assert data["clusters"], "at zoom 0 the west coast groups share a cell"

    def test_it_returns_single_groups_as_named_points_at_high_zoom(
        self, client: Client, listings: dict
    ) -> None:
        data = clusters(client, bbox="-122.8,45.4,-122.5,45.6", zoom=12).json()
        assert data["clusters"] == []
        [point] = data["points"]
        assert point["name"] == "Portland Tenants Union"
        assert point["url"] == reverse("organization", args=[listings["tenants"].slug])
        assert abs(point["lat"] - 45.5152) < 1e-4 and abs(point["lng"] + 122.6784) < 1e-4

    def test_it_lists_the_members_of_small_clusters_when_zoomed_in(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        # Two groups geocoded to the same town centre never separate, however far one zooms.
        organization_create(user=None, name="Portland Bike Co-op", home_place=places["portland"])
        mapindex.index_reset()
        data = clusters(client, bbox="-122.8,45.4,-122.5,45.6", zoom=14).json()
        [cluster] = data["clusters"]
        assert cluster["count"] == 2
        assert [i["name"] for i in cluster["items"]] == [
            "Portland Bike Co-op",
            "Portland Tenants Union",
        ]

    def test_it_never_shows_hidden_listings(self, client: Client, listings: dict) -> None:
        data = clusters(client, bbox="-122.8,45.4,-122.5,45.6", zoom=14).json()
        assert "Quiet Portland Circle" not in str(data)

    def test_it_filters_by_issue_kind_status_and_place(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        def total(**params: Any) -> int:
            return int(clusters(client, bbox=WEST_COAST, zoom=3, **params).json()["total"])

        assert total() == 5
        assert total(issue="housing") == 3
        assert total(kind="network") == 1
        assert total(status="inactive") == 1
        assert total(place="cascadia") == 4
        assert total(place=places["california"].slug) == 2

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"zoom": "3"}, "bbox"),
            ({"bbox": WEST_COAST}, "zoom"),
            ({"bbox": "1,2,3", "zoom": "3"}, "bbox"),
            ({"bbox": "a,b,c,d", "zoom": "3"}, "bbox"),
            ({"bbox": "-120,50,-130,40", "zoom": "3"}, "bbox"),
            ({"bbox": "-120,-100,-110,40", "zoom": "3"}, "bbox"),
            ({"bbox": "nan,1,2,3", "zoom": "3"}, "bbox"),
            ({"bbox": WEST_COAST, "zoom": "21"}, "zoom"),
            ({"bbox": WEST_COAST, "zoom": "-1"}, "zoom"),
            ({"bbox": WEST_COAST, "zoom": "x"}, "zoom"),
            ({"bbox": WEST_COAST, "zoom": "3", "issue": "nope"}, "issue"),
            ({"bbox": WEST_COAST, "zoom": "3", "kind": "army"}, "kind"),
            ({"bbox": WEST_COAST, "zoom": "3", "place": "atlantis"}, "place"),
            # The whole world at street level would be millions of cells.
            ({"bbox": "-180,-85,180,85", "zoom": "15"}, "bbox"),
        ],
    )
    def test_it_refuses_bad_queries_naming_the_field(
        self, client: Client, params: dict, field: str
    ) -> None:
        response = client.get(reverse("directory:clusters"), params)
        assert response.status_code == 400
        assert field in response.json()["errors"]

    def test_it_refuses_other_methods(self, client: Client) -> None:
        assert (
            client.post(reverse("directory:clusters"), {"bbox": WEST_COAST, "zoom": 3}).status_code
            == 405
        )


class TestMapIndex:
    def test_it_counts_places_and_issues_like_the_database(
        self, listings: dict, places: dict
    ) -> None:
        index = mapindex.get_index()
        for key in ("world", "us", "california", "oregon", "portland", "alameda", "bc"):
            place = places[key]
            expected = Organization.objects.public().filter(place.contains_q()).count()
            assert index.count_in([(place.lft, place.rgt)]).total == expected, key
        housing = index.count_in([(places["us"].lft, places["us"].rgt)]).by_issue_bit
        assert housing[0] == 3  # housing is bit 0: tenants, transit, the coalition

    def test_it_counts_overlapping_region_members_once(self, listings: dict, places: dict) -> None:
        index = mapindex.get_index()
        oregon, portland = places["oregon"], places["portland"]
        both = index.count_in([(oregon.lft, oregon.rgt), (portland.lft, portland.rgt)])
        assert both.total == index.count_in([(oregon.lft, oregon.rgt)]).total == 2

    def test_it_reloads_when_the_directory_changes(
        self, listings: dict, places: dict, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(mapindex, "CHECK_SECONDS", 0.0)
        before = len(mapindex.get_index())
        organization_create(user=None, name="New Berkeley Group", home_place=places["berkeley"])
        assert len(mapindex.get_index()) == before + 1

    def test_it_keeps_serving_the_same_index_while_nothing_changes(
        self, listings: dict, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(mapindex, "CHECK_SECONDS", 0.0)
        first = mapindex.get_index()
        assert mapindex.get_index() is first
        directory_touch()
        assert mapindex.get_index() is not first

    def test_its_grid_agrees_with_a_naive_count(self) -> None:
        rng = np.random.default_rng(7)
        n = 5000
        lat, lng = rng.uniform(-60, 70, n), rng.uniform(-170, 170, n)
        index = mapindex.MapIndex.from_rows(
            version=1,
            ids=np.arange(1, n + 1, dtype=np.int64),
            lat=lat,
            lng=lng,
            place_lft=np.zeros(n, dtype=np.int32),
            mask=rng.integers(0, 8, n).astype(np.int64),
            kind=np.zeros(n, dtype=np.uint8),
            status=np.zeros(n, dtype=np.uint8),
        )
        result = index.clusters(
            bbox=(-180, -85, 180, 85), zoom=2, filters=mapindex.Filters(issue_bit=1)
        )
        assert result["total"] == int(((index.mask >> 1) & 1).sum())
        assert (
            sum(c["count"] for c in result["clusters"]) + len(result["points"]) <= result["total"]
        )
        # Cells are 64 px: at zoom 2 the world is 16 x 16 of them.
        assert len(result["clusters"]) <= 256

    def test_it_saves_and_loads_itself_unchanged(self, listings: dict, tmp_path: Path) -> None:
        index = mapindex.index_build()
        index.save(tmp_path / "index.npz")
        loaded = mapindex.MapIndex.load(tmp_path / "index.npz")
        assert loaded.version == index.version
        for name in mapindex.MapIndex.ARRAYS:
            assert np.array_equal(getattr(loaded, name), getattr(index, name)), name

    def test_big_directories_share_one_index_file_per_version(
        self, listings: dict, tmp_path: Path, settings: Any, monkeypatch: Any
    ) -> None:
        settings.VAR_DIR = tmp_path
        monkeypatch.setattr(mapindex, "SYNC_REBUILD_ROWS", 0)
        built: list[Path] = []

        def child(path: Path) -> None:  # what the child process does, minus the process
            built.append(path)
            mapindex.index_build().save(path)

        monkeypatch.setattr(mapindex, "_build_in_child", child)
        first = mapindex.index_obtain()
        second = mapindex.index_obtain()
        assert len(built) == 1 and built[0].exists()
        assert len(first) == len(second) == 6
        directory_touch()
        mapindex.index_obtain()
        assert len(built) == 2 and built[1] != built[0]
