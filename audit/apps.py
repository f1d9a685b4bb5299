from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        # django-auditlog tracks models through its registry, which must be filled at start-up.
        from audit import changelog, checks  # noqa: F401  (checks registers the deployment checks)

        changelog.register_core_models()
