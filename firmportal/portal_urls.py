"""The client portal (/portal/): each slice mounts its pages here."""

from django.urls import include, path

from retention import views as retention_views

app_name = "portal"

urlpatterns = [
    path("", include("portal.urls")),
    path("", include("confidentiality.portal_access_urls")),
    path("notices/", include("compliance.portal_urls")),
    path("", include("datarights.portal_urls")),
    path("handover/", retention_views.portal_handovers, name="retention-handovers"),
    path(
        "handover/<uuid:handover_id>/package/",
        retention_views.portal_handover_package,
        name="retention-handover-package",
    ),
    path("", include("clientcare.portal_urls")),
]
