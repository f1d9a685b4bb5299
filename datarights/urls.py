"""The compliance desk's data-rights pages, under /staff/datarights/ (names `staff:datarights:...`)."""

from django.urls import path

from datarights import views

app_name = "datarights"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("<uuid:request_id>/", views.desk_detail, name="detail"),
    path("<uuid:request_id>/progress/", views.desk_package_progress, name="progress"),
    path("<uuid:request_id>/acknowledge/", views.desk_acknowledge, name="acknowledge"),
    path("<uuid:request_id>/fulfil/", views.desk_fulfil, name="fulfil"),
    path("<uuid:request_id>/refuse/", views.desk_refuse, name="refuse"),
]
