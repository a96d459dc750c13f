from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _refresh_after_renumber(sender: Any, changed: int = 0, **kwargs: Any) -> None:
    # Listings copy their home place's tree number; when numbers move, the copies must follow.
    from directory.services import organization_places_refresh

    if changed:
        organization_places_refresh()


def _restore_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # Django alters SQLite tables by rebuilding them, which drops the search index's triggers.
    from directory.search import ensure_index

    ensure_index(using)


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        from places.services import tree_renumbered

        tree_renumbered.connect(_refresh_after_renumber, dispatch_uid="directory.place_lft")
        post_migrate.connect(_restore_search_index, sender=self)
