from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _refresh_after_renumber(sender: Any, changed: int = 0, **kwargs: Any) -> None:
    # Listings copy their home place's tree number; when numbers move, the copies must follow.
    from directory.services import organization_places_refresh

    if changed:
        organization_places_refresh()


def _restore_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # Django alters SQLite tables by rebuilding them, which drops the search index's triggers.
    from directory.search import ensure_index

    ensure_index(using)


def _taxonomy_changed(sender: Any, **kwargs: Any) -> None:
    # Web processes keep the taxonomy for one directory version; a new version makes them reread.
    from directory.services import directory_touch

    directory_touch()


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        from places.services import tree_renumbered

        tree_renumbered.connect(_refresh_after_renumber, dispatch_uid="directory.place_lft")
        post_migrate.connect(_restore_search_index, sender=self)
        from directory.models import IssueArea, IssueLink

        for model in (IssueArea, IssueLink):
            for signal in (post_save, post_delete):
                signal.connect(_taxonomy_changed, sender=model, dispatch_uid=f"taxonomy.{model}")
