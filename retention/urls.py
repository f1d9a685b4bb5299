"""/staff/retention/ pages."""

from django.urls import path

from retention import views

app_name = "retention"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("schedule/", views.schedule, name="schedule"),
    path("registers/", views.custody_register, name="custody"),
    path("registers/<uuid:register_id>/", views.register_download, name="register"),
    path("appraisals/<uuid:batch_id>/", views.batch_detail, name="batch"),
    path("lists/<uuid:list_id>/", views.list_detail, name="list"),
    path("holds/", views.holds, name="holds"),
    path("holds/<uuid:hold_id>/", views.hold_detail, name="hold"),
    path("clients/<uuid:client_id>/open-matters/", views.open_matters, name="open-matters"),
]
