from django.apps import AppConfig


class VouchingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vouching"
    verbose_name = "Vouching and second confirmations"
