"""Client-portal access pages, mounted directly in firmportal/portal_urls.py (names under `portal:`)."""

from django.urls import path

from confidentiality import access_views as views

urlpatterns = [
    path("delegates/", views.delegates, name="delegates"),
    path("delegates/<uuid:delegation_id>/revoke/", views.revoke_delegate, name="delegate-revoke"),
    path("access/reveals/", views.reveals_for_client, name="reveals"),
]
