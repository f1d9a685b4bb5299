from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfidentialityConfig(AppConfig):
    name = "confidentiality"
    verbose_name = _("Confidentiality")

    def ready(self) -> None:
        # Registers the start-up check of the master key (Django's documented place for checks).
        from confidentiality import checks  # noqa: F401
