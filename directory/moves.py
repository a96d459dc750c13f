"""When moving a listing's home place needs a person's confirmation: a move to another country,
or out of the region the person editing it coordinates, is rarely meant and easily missed (a
"Portland" that lands in Jamaica), so the editor asks and the audit log keeps it."""

from typing import Any

from django.utils.translation import gettext as _

from directory.permissions import coordinated_places_covering
from places.models import Place, PlaceKind
from places.resolver import place_label


def _country(place: Place) -> Place | None:
    if place.kind == PlaceKind.COUNTRY:
        return place
    return Place.objects.filter(
        lft__lt=place.lft, rgt__gt=place.rgt, kind=PlaceKind.COUNTRY
    ).first()


def home_place_move_reasons(*, user: Any, old: Place | None, new: Place | None) -> list[str]:
    """Why moving a listing from `old` to `new` needs confirming; empty when it does not."""
    if old is None or new is None or old.pk == new.pk or old.is_overlay or new.is_overlay:
        return []
    reasons = []
    old_country, new_country = _country(old), _country(new)
    if old_country is not None and new_country is not None and old_country.pk != new_country.pk:
        reasons.append(
            _("This moves the group from %(old)s to %(new)s, in another country.")
            % {"old": place_label(old), "new": place_label(new)}
        )
    regions = coordinated_places_covering(user, old)
    if regions and not coordinated_places_covering(user, new):
        reasons.append(
            _("This moves the group out of %(region)s, the region you coordinate.")
            % {"region": ", ".join(r.name for r in regions)}
        )
    return reasons
