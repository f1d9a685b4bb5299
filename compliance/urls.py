"""Compliance pages under /staff/compliance/ (namespace `staff:compliance`)."""

from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.desk_home, name="desk"),
    path("gate/", views.gate_view, name="gate"),
    path("nda/", views.my_nda_view, name="my-nda"),
    path("nda/signed/<int:acceptance_id>.pdf", views.nda_pdf_view, name="nda-pdf"),
    path("nda/versions/", views.nda_versions_view, name="nda-versions"),
    path("nda/versions/<int:version_id>/publish/", views.nda_publish_view, name="nda-publish"),
    path("nda/exit/", views.nda_exit_view, name="nda-exit"),
    path("training/", views.my_training_view, name="my-training"),
    path("training/course/<slug:code>/", views.quiz_view, name="quiz"),
    path("training/desk/", views.training_desk_view, name="training-desk"),
    path("training/desk/courses/new/", views.course_create_view, name="course-create"),
    path("training/desk/sessions/new/", views.session_create_view, name="session-create"),
    path("training/desk/sessions/<int:session_id>/attendance/", views.attendance_view, name="attendance"),
    path("third-parties/", views.third_parties_view, name="third-parties"),
    path("third-parties/<int:party_id>/", views.third_party_view, name="third-party"),
]
