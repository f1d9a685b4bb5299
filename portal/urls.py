"""Client self-service pages, included from firmportal/portal_urls.py (names under `portal:`)."""

from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("access-history/", views.access_history, name="access-history"),
]
