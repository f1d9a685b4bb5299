"""The staff workspace (/staff/): each slice mounts its pages here."""

from django.urls import include, path

from firmportal import workspace

app_name = "staff"

urlpatterns = [
    path("", workspace.staff_home, name="home"),
    path("compliance/", include("audit.urls")),
    path("compliance/", include("compliance.urls")),
    path("compliance/commitment/", include("portal.staff_urls")),
    path("retention/", include("retention.urls")),
    path("backups/", include("backups.urls")),
    path("keys/", include("confidentiality.keys_urls")),
    path("access/", include("confidentiality.access_urls")),
    path("datarights/", include("datarights.urls")),
    path("", include("clientcare.staff_urls")),
]
