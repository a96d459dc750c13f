from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Plans and accountability"

    def ready(self) -> None:
        # The one thing plans hear from assemblies: a decision was taken (see receivers.py).
        from plans import receivers  # noqa: F401
