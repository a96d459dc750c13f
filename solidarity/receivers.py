"""What solidarity does when places are renumbered or a list is imported."""

from typing import Any

from django.db import transaction


def refresh_place_copies(**kwargs: Any) -> None:
    from solidarity.services import place_copies_refresh

    place_copies_refresh()


def standing_pages_from_import(sender: Any, run: Any, record_ids: list[int], **kwargs: Any) -> None:
    """Once the import has committed (and duplicates were grouped), the "Support Request" and
    "Support Offer" links of the imported listings become their standing request and offer
    pages."""
    ids = list(record_ids)

    def make() -> None:
        from solidarity.standing import standing_pages_sync
        from sources.services import organization_ids_of_records

        standing_pages_sync(organization_ids=organization_ids_of_records(ids))

    transaction.on_commit(make)
