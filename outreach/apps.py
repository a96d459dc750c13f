from django.apps import AppConfig


class OutreachConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outreach"
    verbose_name = "Claims and outreach"

    def ready(self) -> None:
        # Tag freshly imported listings once their import has committed. Connected here because
        # outreach sits above both sources and directory; neither may import the other's hook.
        from outreach import receivers
        from sources.signals import records_imported

        records_imported.connect(receivers.tag_imported_organizations, dispatch_uid="outreach-tag")
