from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from confidentiality.access_views import accept_invitation
from firmportal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # The books mount here (not inside staff_urls) so their URL names are `clients:...`.
    path("staff/clients/", include("clients.urls")),
    path("staff/", include("firmportal.staff_urls")),
    path("portal/", include("firmportal.portal_urls")),
    # The anonymous whistleblowing channel: public, no sign-in, no cookies.
    path("report/", include("compliance.public_urls")),
    # A delegate's invitation link: outside /portal/, the invited person has no account yet.
    path("delegate/accept/<str:token>/", accept_invitation, name="delegate-accept"),
    path("console/", admin.site.urls),
]

handler400 = "firmportal.views.bad_request"
handler403 = "firmportal.views.permission_denied"
handler404 = "firmportal.views.page_not_found"
handler500 = "firmportal.views.server_error"
