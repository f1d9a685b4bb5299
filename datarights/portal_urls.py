"""The client's data-rights pages, included from firmportal/portal_urls.py (names under `portal:`)."""

from django.urls import path

from datarights import views

urlpatterns = [
    path("data-rights/", views.portal_requests, name="datarights"),
    path("data-rights/<uuid:request_id>/", views.portal_request_detail, name="datarights-detail"),
    path("data-rights/<uuid:request_id>/progress/", views.portal_package_progress, name="datarights-progress"),
    path("data-rights/<uuid:request_id>/package/", views.portal_package_download, name="datarights-package"),
]
