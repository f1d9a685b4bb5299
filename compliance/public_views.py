"""The public, anonymous whistleblowing pages at /report/.

No sign-in, no cookies, no JavaScript. CSRF: these views are `csrf_exempt` and never render the
CSRF token (which would set the cookie); a signed, time-limited, single-use form token in a hidden
field takes its place (see compliance.whistleblowing). Nothing about the request is recorded.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from compliance import whistleblowing
from compliance.errors import ComplianceError
from compliance.models import ReportCategory, ReportStatus


class NewReportForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"), choices=ReportCategory.choices)
    text = forms.CharField(
        label=_("What happened"),
        max_length=whistleblowing.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Who, what, when, and how you know. Do not write your name unless you want to be known."),
    )
    token = forms.CharField(widget=forms.HiddenInput)


class FollowUpForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=40)
    passphrase = forms.CharField(label=_("Passphrase"), max_length=60, widget=forms.PasswordInput)
    token = forms.CharField(widget=forms.HiddenInput)


class AddInformationForm(forms.Form):
    text = forms.CharField(
        label=_("Add information"), max_length=whistleblowing.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6})
    )
    access = forms.CharField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput)


def cookieless_form_token(view):  # type: ignore[no-untyped-def]
    """Marks a csrf_exempt view whose forms carry a signed single-use token instead (the security
    suite checks that a POST without it changes nothing)."""
    view.cookieless_form_token = True
    return view


def _private(response: HttpResponse) -> HttpResponse:
    """No referrer leaves these pages, and nothing is cached."""
    response["Referrer-Policy"] = "no-referrer"
    return response


@cookieless_form_token
@csrf_exempt
@require_http_methods(["GET", "POST"])
def new_report_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NewReportForm(request.POST)
        if form.is_valid():
            try:
                receipt = whistleblowing.submit_report(
                    category=form.cleaned_data["category"],
                    text=form.cleaned_data["text"],
                    form_token=form.cleaned_data["token"],
                )
            except ComplianceError as error:
                form.add_error(None, str(error))
            else:
                return _private(render(request, "compliance/public/receipt.html", {"receipt": receipt}))
        data = {**form.data.dict(), "token": whistleblowing.new_form_token()}  # type: ignore[attr-defined]
        form = NewReportForm(data)
        form.is_valid()
    else:
        form = NewReportForm(initial={"token": whistleblowing.new_form_token()})
    return _private(render(request, "compliance/public/report_form.html", {"form": form}))


def _thread(request: HttpRequest, report: object, add_form: AddInformationForm | None = None) -> HttpResponse:
    from compliance.models import WhistleblowerReport

    assert isinstance(report, WhistleblowerReport)
    form = add_form or AddInformationForm(
        initial={"access": whistleblowing.access_token_for(report), "token": whistleblowing.new_form_token()}
    )
    return _private(
        render(
            request,
            "compliance/public/thread.html",
            {
                "report": report,
                "messages_": report.messages.all(),
                "form": form,
                "closed": report.status == ReportStatus.CLOSED,
            },
        )
    )


@cookieless_form_token
@csrf_exempt
@require_http_methods(["GET", "POST"])
def follow_up_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                whistleblowing.use_form_token(form.cleaned_data["token"])
                report = whistleblowing.open_report(
                    code=form.cleaned_data["code"], passphrase=form.cleaned_data["passphrase"]
                )
            except ComplianceError as error:
                form.add_error(None, str(error))
            else:
                return _thread(request, report)
        form = FollowUpForm({"code": form.data.get("code", ""), "token": whistleblowing.new_form_token()})
        form.is_valid()
    else:
        form = FollowUpForm(initial={"token": whistleblowing.new_form_token()})
    return _private(render(request, "compliance/public/follow_up.html", {"form": form}))


@cookieless_form_token
@csrf_exempt
@require_POST
def add_information_view(request: HttpRequest) -> HttpResponse:
    form = AddInformationForm(request.POST)
    try:
        report = whistleblowing.report_from_access_token(request.POST.get("access", ""))
    except ComplianceError as error:
        follow = FollowUpForm(initial={"token": whistleblowing.new_form_token()})
        return _private(render(request, "compliance/public/follow_up.html", {"form": follow, "error": str(error)}))
    if form.is_valid():
        try:
            whistleblowing.add_reporter_message(
                report=report, text=form.cleaned_data["text"], form_token=form.cleaned_data["token"]
            )
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            return _thread(request, report)
    data = {**form.data.dict(), "token": whistleblowing.new_form_token()}  # type: ignore[attr-defined]
    retry = AddInformationForm(data)
    retry.is_valid()
    for message in form.non_field_errors():
        retry.add_error(None, message)
    return _thread(request, report, retry)
