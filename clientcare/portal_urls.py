"""Client-care pages of the portal, mounted in firmportal/portal_urls.py (names `portal:clientcare:...`)."""

from django.urls import path

from clientcare import views

app_name = "clientcare"

urlpatterns = [
    path("messages/", views.portal_messages, name="messages"),
    path("messages/new/", views.portal_compose, name="compose"),
    path("messages/<uuid:thread_id>/", views.portal_thread, name="thread"),
    path("messages/<uuid:thread_id>/reply/", views.portal_reply, name="reply"),
    path("messages/attachments/<uuid:attachment_id>/", views.portal_attachment, name="attachment"),
    path("complaints/", views.portal_complaints, name="complaints"),
    path("complaints/<uuid:complaint_id>/", views.portal_complaint, name="complaint"),
    path("surveys/", views.portal_surveys, name="surveys"),
    path("surveys/<uuid:invitation_id>/", views.portal_survey, name="survey"),
]
