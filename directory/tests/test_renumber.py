from directory.models import Organization
from directory.services import organization_create
from places.models import Place, PlaceKind
from places.services import place_tree_renumber


def test_it_keeps_listings_inside_their_place_when_the_tree_is_renumbered(places) -> None:
    org = organization_create(user=None, name="Eureka Food Share", home_place=places["eureka"])
    # A new country sorted before the others shifts every number after it.
    Place.objects.create(
        kind=PlaceKind.COUNTRY,
        name="Andorra",
        search_name="andorra",
        slug="andorra",
        parent=places["world"],
    )
    place_tree_renumber()
    org.refresh_from_db()
    eureka = Place.objects.get(pk=places["eureka"].pk)
    assert org.place_lft == eureka.lft
    assert Organization.objects.filter(eureka.contains_q()).get() == org
