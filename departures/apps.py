from django.apps import AppConfig


class DeparturesConfig(AppConfig):
    """A group takes everything it owns and, if it wishes, leaves the hub."""

    name = "departures"
    default_auto_field = "django.db.models.BigAutoField"
