"""The client portal (/portal/): each slice mounts its pages here."""

from django.urls import include, path

from firmportal import workspace

app_name = "portal"

urlpatterns = [
    path("", workspace.portal_home, name="home"),
    path("", include("confidentiality.portal_access_urls")),
]
