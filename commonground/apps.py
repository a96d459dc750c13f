from django.apps import AppConfig


class CommongroundConfig(AppConfig):
    name = "commonground"
    verbose_name = "Common ground"
