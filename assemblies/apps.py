from django.apps import AppConfig


class AssembliesConfig(AppConfig):
    name = "assemblies"
    verbose_name = "Assemblies"
