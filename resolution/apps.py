from django.apps import AppConfig


class ResolutionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "resolution"
    verbose_name = "Duplicate resolution"

    def ready(self) -> None:
        from resolution.receivers import resolve_after_import, split_after_undo
        from sources.signals import records_imported, records_unmerged

        records_imported.connect(resolve_after_import, dispatch_uid="resolution.after_import")
        records_unmerged.connect(split_after_undo, dispatch_uid="resolution.after_undo")
