"""Sign-in, two-factor verification and enrolment, sign-out, and one's own sessions."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import SignInForm, TokenForm
from accounts.models import User, UserSession
from audit import services as audit
from audit.models import AuditAction


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method != "POST":
        return redirect("home")
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            services.sign_in(request, user)
            if services.needs_second_factor(user):
                target = "accounts:otp-verify" if user_has_device(user) else "accounts:otp-enrol"
                response = redirect(target)
                if request.POST.get("next"):
                    request.session["fp_next"] = _next_url(request)
                return response
            return HttpResponseRedirect(_next_url(request))
        services.record_failed_sign_in(request, request.POST.get("username", ""))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def _after_verification(request: HttpRequest) -> HttpResponse:
    target = request.session.pop("fp_next", None) or reverse("home")
    return HttpResponseRedirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user_has_device(user):
        return redirect("accounts:otp-enrol")
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect("home")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            services.verify_second_factor(request, device)
            return _after_verification(request)
        services.record_failed_second_factor(request)
        form.add_error("token", _("That code is not valid or was already used. Wait for the next code and try again."))
    return render(request, "accounts/otp_verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user_has_device(user):
        return redirect("accounts:otp-verify")
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            services.enrol_totp_device(request, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return _after_verification(request)
        services.record_failed_second_factor(request)
        form.add_error("token", _("That code is not valid. Check the time on your phone and try again."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    secret_b32 = _base32(device.bin_key)
    return render(
        request,
        "accounts/otp_enrol.html",
        {"form": form, "qr_svg": mark_safe(qr_svg), "secret": secret_b32},  # noqa: S308 - segno output
    )


def _base32(key: bytes) -> str:
    import base64

    raw = base64.b32encode(key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    sessions = UserSession.objects.filter(user=services.request_user(request), ended_at__isnull=True)
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": sessions, "current_key": request.session.session_key},
    )


@login_required
@require_POST
def sign_out_everywhere_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    services.end_all_sessions(user, actor=user)
    from django.contrib.auth import logout

    logout(request)
    messages.info(request, _("You were signed out on all devices. Please sign in again."))
    return redirect("accounts:login")


@login_required
@require_POST
def keepalive_view(request: HttpRequest) -> HttpResponse:
    """Called by the idle warning's "stay signed in" button; the middleware notes the activity."""
    return HttpResponse(status=204)


class PasswordResetView(auth_views.PasswordResetView):
    """Always answers the same way, whether or not the address belongs to an account."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        audit.record(
            actor=None,
            action=AuditAction.PASSWORD_RESET_REQUESTED,
            details={"email_hash": audit.pseudonym(form.cleaned_data["email"])},
            request=self.request,
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets a new password only; it never signs the person in, so the second factor still stands."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")
    post_reset_login = False

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        services.end_all_sessions(form.user, actor=form.user, reason="password_reset")
        audit.record(
            actor=form.user, action=AuditAction.PASSWORD_RESET_COMPLETED, target=form.user, request=self.request
        )
        return response
