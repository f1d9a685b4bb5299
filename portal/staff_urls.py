"""The compliance desk's pages for the client commitment, under /staff/compliance/commitment/."""

from django.urls import path

from portal import staff_views

app_name = "commitment"

urlpatterns = [
    path("", staff_views.notice_versions, name="versions"),
    path("<int:version_id>/publish/", staff_views.notice_publish, name="publish"),
]
