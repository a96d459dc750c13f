from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _restore_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # Django alters SQLite tables by rebuilding them, which drops the search triggers.
    from directory.search import ensure_index

    ensure_index(using)


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        post_migrate.connect(_restore_search_index, sender=self)
