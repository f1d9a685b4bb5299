"""Breach notices in the client portal, mounted at /portal/notices/ (names under `portal:`)."""

from django.urls import path

from compliance import portal_views

urlpatterns = [
    path("", portal_views.notices_view, name="breach-notices"),
    path("<uuid:notice_id>/", portal_views.notice_view, name="breach-notice"),
    path("<uuid:notice_id>/read/", portal_views.acknowledge_view, name="breach-notice-read"),
]
