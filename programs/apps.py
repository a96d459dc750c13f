from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Vision and program"

    def ready(self) -> None:
        # Connects the receiver that turns an assembly's decisions into sections, planks and
        # endorsements.
        from programs import receivers  # noqa: F401
