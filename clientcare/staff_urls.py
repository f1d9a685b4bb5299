"""Client-care pages of the staff workspace, mounted in firmportal/staff_urls.py (`staff:clientcare:...`):
the secure-messages inbox of the staff member's assigned clients, and the compliance desk's
privacy complaints and survey results."""

from django.urls import path

from clientcare import views

app_name = "clientcare"

urlpatterns = [
    path("messages/", views.staff_inbox, name="inbox"),
    path("messages/new/<uuid:client_id>/", views.staff_compose, name="compose"),
    path("messages/<uuid:thread_id>/", views.staff_thread, name="thread"),
    path("messages/<uuid:thread_id>/reply/", views.staff_reply, name="reply"),
    path("messages/attachments/<uuid:attachment_id>/", views.staff_attachment, name="attachment"),
    path("compliance/complaints/", views.desk_complaints, name="complaints"),
    path("compliance/complaints/<uuid:complaint_id>/", views.desk_complaint, name="complaint"),
    path("compliance/surveys/", views.desk_surveys, name="surveys"),
]
