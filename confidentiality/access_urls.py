"""Access-control pages under /staff/access/."""

from django.urls import path

from confidentiality import access_views as views

app_name = "access"

urlpatterns = [
    path("clients/", views.my_clients, name="clients"),
    path("clients/<uuid:client_id>/", views.client_access, name="client"),
    path("clients/<uuid:client_id>/assign/", views.assign_view, name="assign"),
    path("assignments/<int:assignment_id>/end/", views.end_assignment_view, name="assignment-end"),
    path("requests/", views.my_requests, name="requests"),
    path("requests/<int:grant_id>/withdraw/", views.withdraw_request, name="request-withdraw"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:grant_id>/", views.decide, name="decide"),
    path("emergency/", views.emergency, name="emergency"),
    path("emergency/review/", views.emergency_queue, name="emergency-queue"),
    path("emergency/<int:grant_id>/review/", views.review_emergency, name="emergency-review"),
    path("reveal/<str:model>/<str:pk>/<str:field>/", views.reveal, name="reveal"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:user_id>/offboard/", views.offboard, name="offboard"),
    path("leavers/", views.leaver_reports, name="leaver-reports"),
    path("leavers/<int:report_id>/", views.leaver_report, name="leaver-report"),
]
