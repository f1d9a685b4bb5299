"""The IT administrator's key pages, mounted under /staff/keys/."""

from django.urls import path

from confidentiality import keys_views

app_name = "keys"

urlpatterns = [
    path("", keys_views.key_overview, name="overview"),
    path("rotate-master/", keys_views.rotate_master_view, name="rotate-master"),
    path("rotate-data/", keys_views.rotate_data_view, name="rotate-data"),
    path("jobs/<uuid:job_id>/progress/", keys_views.job_progress, name="job-progress"),
    path("jobs/<uuid:job_id>/retry/", keys_views.retry_job_view, name="job-retry"),
]
