"""The client portal (/portal/): each slice mounts its pages here."""

from django.urls import path

from firmportal import workspace

app_name = "portal"

urlpatterns = [
    path("", workspace.portal_home, name="home"),
]
