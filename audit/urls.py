"""The compliance desk, mounted at /staff/compliance/."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.desk_home, name="home"),
    path("explorer/", views.explorer, name="explorer"),
    path("explorer/export/", views.explorer_export, name="export"),
    path("people/<int:user_id>/", views.staff_report, name="staff-report"),
    path("clients/", views.client_report, name="client-report"),
    path("leavers/", views.leavers, name="leavers"),
    path("leavers/<int:user_id>/", views.leaver_report, name="leaver-report"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/act/", views.alert_act, name="alert-act"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule-edit"),
]
