from django.urls import path

from backups import views

app_name = "backups"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("progress/", views.progress, name="progress"),
    path("run/", views.start_backup, name="start-backup"),
    path("<uuid:run_id>/drill/", views.start_drill, name="start-drill"),
    path("<uuid:run_id>/hold/", views.hold, name="hold"),
    path("<uuid:run_id>/release/", views.release, name="release"),
]
