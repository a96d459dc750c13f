"""Writes to places: regions only by site coordinators, corrections, renumbering."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from places.models import Place, PlacesState
from places.services import (
    place_tree_renumber,
    place_update,
    region_create,
    region_delete,
    region_update,
    tree_renumbered,
)

pytestmark = pytest.mark.django_db


def _version() -> int:
    return PlacesState.objects.values_list("version", flat=True).first() or 0


class TestRegions:
    def test_it_lets_a_site_coordinator_define_a_region_across_countries(
        self, places: dict[str, Place], site_coordinator: Any
    ) -> None:
        before = _version()
        region = region_create(
            user=site_coordinator,
            name="  Salish Sea ",
            kind="bioregion",
            members=[places["washington"], places["bc"]],
        )
        assert region.name == "Salish Sea" and region.slug == "salish-sea"
        assert region.parent == places["world"]
        assert set(region.members.all()) == {places["washington"], places["bc"]}
        assert _version() > before

    @pytest.mark.parametrize("who", ["regional_coordinator", "organizer", "outsider"])
    def test_it_refuses_everyone_else(
        self, places: dict[str, Place], who: str, request: pytest.FixtureRequest
    ) -> None:
        user = request.getfixturevalue(who)
        with pytest.raises(PermissionDenied):
            region_create(user=user, name="Mine", kind="bioregion", members=[places["oregon"]])
        with pytest.raises(PermissionDenied):
            region_update(user=user, region=places["cascadia"], name="Renamed")
        with pytest.raises(PermissionDenied):
            region_delete(user=user, region=places["cascadia"])
        assert Place.objects.get(pk=places["cascadia"].pk).name == "Cascadia"

    def test_it_refuses_anonymous_visitors(self, places: dict[str, Place]) -> None:
        from django.contrib.auth.models import AnonymousUser

        with pytest.raises(PermissionDenied):
            region_create(
                user=AnonymousUser(), name="X", kind="bioregion", members=[places["oregon"]]
            )

    def test_it_names_the_field_that_is_wrong(
        self, places: dict[str, Place], site_coordinator: Any
    ) -> None:
        with pytest.raises(ValidationError) as bad_kind:
            region_create(user=site_coordinator, name="X", kind="state", members=[places["oregon"]])
        assert "kind" in bad_kind.value.message_dict
        with pytest.raises(ValidationError) as no_members:
            region_create(user=site_coordinator, name="X", kind="bioregion", members=[])
        assert "members" in no_members.value.message_dict
        with pytest.raises(ValidationError) as nested:
            region_create(
                user=site_coordinator, name="X", kind="bioregion", members=[places["cascadia"]]
            )
        assert "members" in nested.value.message_dict
        with pytest.raises(ValidationError) as blank:
            region_create(user=site_coordinator, name=" ", kind="bioregion", members=[])
        assert "name" in blank.value.message_dict

    def test_it_updates_name_and_members(
        self, places: dict[str, Place], site_coordinator: Any
    ) -> None:
        region = region_update(
            user=site_coordinator,
            region=places["cascadia"],
            name="Cascadia Bioregion",
            members=[places["oregon"], places["washington"]],
        )
        assert region.name == "Cascadia Bioregion" and region.search_name == "cascadia bioregion"
        assert set(region.members.all()) == {places["oregon"], places["washington"]}

    def test_it_deletes_only_regions(self, places: dict[str, Place], site_coordinator: Any) -> None:
        with pytest.raises(ValidationError):
            region_delete(user=site_coordinator, region=places["oregon"])
        region_delete(user=site_coordinator, region=places["cascadia"])
        assert not Place.objects.filter(pk=places["cascadia"].pk).exists()
        assert Place.objects.filter(pk=places["oregon"].pk).exists()


class TestPlaceUpdate:
    def test_it_corrects_a_name_and_keeps_search_in_step(
        self, places: dict[str, Place], site_coordinator: Any
    ) -> None:
        place = place_update(user=site_coordinator, place=places["eureka"], name="Éureka ")
        assert place.name == "Éureka" and place.search_name == "eureka"

    def test_it_refuses_the_tree_shape_and_bad_coordinates(
        self, places: dict[str, Place], site_coordinator: Any, outsider: Any
    ) -> None:
        with pytest.raises(ValidationError) as shape:
            place_update(user=site_coordinator, place=places["eureka"], parent=places["oregon"])
        assert "parent" in shape.value.message_dict
        with pytest.raises(ValidationError) as lat:
            place_update(user=site_coordinator, place=places["eureka"], latitude=123.0)
        assert "latitude" in lat.value.message_dict
        with pytest.raises(PermissionDenied):
            place_update(user=outsider, place=places["eureka"], name="Mine")


class TestRenumber:
    def test_it_nests_every_place_inside_its_parent(self, places: dict[str, Place]) -> None:
        for place in Place.objects.tree().exclude(parent=None).select_related("parent"):
            parent = place.parent
            assert parent is not None
            assert parent.lft < place.lft < place.rgt < parent.rgt
            assert place.depth == parent.depth + 1

    def test_it_writes_nothing_when_nothing_moved_and_tells_listeners_when_it_does(
        self, places: dict[str, Place]
    ) -> None:
        heard: list[int] = []

        def listener(sender: Any, changed: int, **kwargs: Any) -> None:
            heard.append(changed)

        tree_renumbered.connect(listener)
        try:
            assert place_tree_renumber() == 0
            Place.objects.create(
                kind="locality",
                name="Arcata",
                search_name="arcata",
                slug="arcata",
                parent=places["humboldt"],
            )
            assert place_tree_renumber() > 0
        finally:
            tree_renumbered.disconnect(listener)
        assert len(heard) == 1 and heard[0] > 0
        arcata = Place.objects.get(slug="arcata")
        humboldt = Place.objects.get(pk=places["humboldt"].pk)
        assert humboldt.lft < arcata.lft < arcata.rgt < humboldt.rgt
