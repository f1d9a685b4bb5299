"""Access-control pages under /staff/access/."""

from django.urls import path

from confidentiality import access_views as views

app_name = "access"

urlpatterns = [
    path("gate/", views.gate_view, name="gate"),
]
