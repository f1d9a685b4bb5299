"""Client self-service pages, included from firmportal/portal_urls.py (names under `portal:`)."""

from django.urls import path

from portal import documents_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("access-history/", views.access_history, name="access-history"),
    path("documents/", documents_views.documents_page, name="documents"),
    path("documents/upload/", documents_views.documents_upload, name="documents-upload"),
    path("documents/<uuid:document_id>/download/", documents_views.document_download, name="document-download"),
]
