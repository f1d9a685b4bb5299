"""The baseline of the middleware benchmark: FirmPortal's settings with only the middleware a
signed-in staff page cannot render without (session, authentication, the verified second factor)."""

from firmportal.settings import *  # noqa: F403

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
]
