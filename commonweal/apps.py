from django.apps import AppConfig


class CommonwealConfig(AppConfig):
    name = "commonweal"
