"""The anonymous whistleblowing channel at /report/ (namespace `whistleblowing`)."""

from django.urls import path

from compliance import public_views

app_name = "whistleblowing"

urlpatterns = [
    path("", public_views.new_report_view, name="new"),
    path("follow-up/", public_views.follow_up_view, name="follow-up"),
    path("follow-up/add/", public_views.add_information_view, name="add"),
]
