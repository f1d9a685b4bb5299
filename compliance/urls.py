"""Compliance pages under /staff/compliance/ (namespace `staff:compliance`)."""

from django.urls import path

from compliance import incident_views, views

app_name = "compliance"

urlpatterns = [
    path("program/", views.desk_home, name="desk"),
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
    path("incidents/report/", incident_views.report_incident_view, name="incident-report"),
    path("incidents/", incident_views.incident_list_view, name="incidents"),
    path("incidents/<int:incident_id>/", incident_views.incident_view, name="incident"),
    path("incidents/<int:incident_id>/<slug:action>/", incident_views.incident_action_view, name="incident-action"),
    path("notices/<uuid:notice_id>/", incident_views.breach_notice_view, name="breach-notice"),
    path("reports/stored/<uuid:stored_report_id>.pdf", views.stored_report_download_view, name="stored-report"),
    path("whistleblowing/", views.whistleblowing_list_view, name="whistleblowing"),
    path("whistleblowing/<uuid:report_id>/", views.whistleblowing_report_view, name="whistleblowing-report"),
    path("discipline/", views.discipline_view, name="discipline"),
    path("reports/", views.reports_view, name="reports"),
    path("processing-record/", views.processing_record_view, name="processing-record"),
    path("processing-record/<int:activity_id>/", views.processing_record_view, name="processing-activity"),
    path("processing-record/export.xlsx", views.processing_record_export_view, name="processing-record-export"),
]
