"""The client portal (/portal/): each slice mounts its pages here."""

from django.urls import include, path

app_name = "portal"

urlpatterns = [
    path("", include("portal.urls")),
    path("", include("confidentiality.portal_access_urls")),
]
