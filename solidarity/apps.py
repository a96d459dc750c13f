from django.apps import AppConfig


class SolidarityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "solidarity"
    verbose_name = "Support between groups"

    def ready(self) -> None:
        # places and sources cannot import this app; they announce what changed and the copies
        # kept here (tree positions, standing pages from imported links) follow.
        from places.services import tree_renumbered
        from solidarity import receivers
        from sources.signals import records_imported

        tree_renumbered.connect(receivers.refresh_place_copies, dispatch_uid="solidarity.places")
        records_imported.connect(receivers.standing_pages_from_import, dispatch_uid="solidarity")
