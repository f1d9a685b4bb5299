"""Staff and compliance-desk pages: NDAs, training and the access gate."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import capability_required, refuse, staff_required
from accounts.models import User
from accounts.services import request_user
from compliance import queries, services
from compliance.errors import ComplianceError
from compliance.forms import (
    AttendanceForm,
    CourseForm,
    ExitAcknowledgementForm,
    NdaAcceptForm,
    NdaDraftForm,
    NdaPublishForm,
    QuizForm,
    TrainingSessionForm,
)
from compliance.models import Course, NdaVersion, TrainingSession
from compliance.pdf import nda_acceptance_pdf
from firmportal.middleware import client_ip

DESK = "view_compliance_desk"


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@capability_required(DESK)
def desk_home(request: HttpRequest) -> HttpResponse:
    return render(request, "compliance/desk_home.html")


# --- The access gate ------------------------------------------------------------------------------


@require_GET
@staff_required
def gate_view(request: HttpRequest) -> HttpResponse:
    """What is missing before this person may reach client data, and whom to ask."""
    status = queries.access_gate(request_user(request))
    return render(request, "compliance/gate.html", {"status": status})


# --- NDAs -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def my_nda_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    nda = queries.current_nda()
    acceptances = list(queries.acceptances_of(user))
    accepted_current = nda is not None and any(a.nda_version_id == nda.pk and a.kind != "exit" for a in acceptances)
    form = NdaAcceptForm(request.POST or None)
    if request.method == "POST" and nda is not None and not accepted_current and form.is_valid():
        try:
            services.accept_nda(user=user, nda=nda, ip_address=client_ip(request), actor=user)
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Thank you: your acceptance of NDA version %(v)s is recorded.") % {"v": nda.version}
            )
            return redirect("staff:compliance:my-nda")
    return render(
        request,
        "compliance/my_nda.html",
        {"nda": nda, "accepted_current": accepted_current, "acceptances": acceptances, "form": form},
    )


@require_GET
@staff_required
def nda_pdf_view(request: HttpRequest, acceptance_id: int) -> HttpResponse:
    acceptance = queries.nda_acceptance_for_user(request_user(request), acceptance_id)
    return _pdf(nda_acceptance_pdf(acceptance), f"nda-v{acceptance.version_number}-{acceptance.user.username}.pdf")


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def nda_versions_view(request: HttpRequest) -> HttpResponse:
    form = NdaDraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            nda = services.create_nda_version(actor=request_user(request), **form.cleaned_data)
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Version %(v)s drafted. Publish it with a deadline.") % {"v": nda.version})
            return redirect("staff:compliance:nda-versions")
    return render(
        request,
        "compliance/nda_versions.html",
        {
            "versions": NdaVersion.objects.all(),
            "form": form,
            "publish_form": NdaPublishForm(),
            "exit_form": ExitAcknowledgementForm(),
            "overview": queries.staff_compliance_overview(),
        },
    )


@require_POST
@capability_required(DESK)
def nda_publish_view(request: HttpRequest, version_id: int) -> HttpResponse:
    nda = get_object_or_404(NdaVersion, pk=version_id)
    form = NdaPublishForm(request.POST)
    if form.is_valid():
        try:
            services.publish_nda_version(
                nda, acceptance_deadline=form.cleaned_data["acceptance_deadline"], actor=request_user(request)
            )
        except ComplianceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Version %(v)s published.") % {"v": nda.version})
    else:
        for field_errors in form.errors.values():
            for text in field_errors:
                messages.error(request, str(text))
    return redirect("staff:compliance:nda-versions")


@require_POST
@capability_required(DESK)
def nda_exit_view(request: HttpRequest) -> HttpResponse:
    form = ExitAcknowledgementForm(request.POST)
    if form.is_valid():
        try:
            services.record_nda_exit_acknowledgement(
                user=form.cleaned_data["user"], ip_address=None, actor=request_user(request)
            )
        except ComplianceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Exit acknowledgement recorded."))
    else:
        messages.error(request, _("Choose a staff member."))
    return redirect("staff:compliance:nda-versions")


# --- Training -------------------------------------------------------------------------------------


@require_GET
@staff_required
def my_training_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(request, "compliance/my_training.html", {"rows": queries.training_status_for(user)})


@require_http_methods(["GET", "POST"])
@staff_required
def quiz_view(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request)
    course = get_object_or_404(Course, code=code, is_active=True)
    questions = list(course.questions.all())
    form = QuizForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            completion = services.submit_quiz(user=user, course=course, answers=form.answers(), actor=user)
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            if completion.passed:
                messages.success(request, _("Passed with %(score)s%%.") % {"score": completion.score})
            else:
                messages.error(
                    request,
                    _("%(score)s%% is below the pass mark of %(mark)s%%. Read the material and try again.")
                    % {"score": completion.score, "mark": course.pass_mark},
                )
            return redirect("staff:compliance:my-training")
    return render(request, "compliance/quiz.html", {"course": course, "form": form})


@require_GET
@capability_required(DESK)
def training_desk_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "compliance/training_desk.html",
        {
            "courses": Course.objects.all(),
            "sessions": TrainingSession.objects.select_related("course")[:50],
            "overdue": queries.overdue_training(),
            "course_form": CourseForm(),
            "session_form": TrainingSessionForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def course_create_view(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_course(
                code=data["code"],
                title=data["title"],
                description=data["description"],
                counts_for_gate=data["counts_for_gate"],
                required=data["required"],
                pass_mark=data["pass_mark"],
                validity_months=data["validity_months"],
                questions=data["questions"],
                actor=request_user(request),
            )
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Course created."))
            return redirect("staff:compliance:training-desk")
    return render(request, "compliance/course_form.html", {"form": form})


@require_POST
@capability_required(DESK)
def session_create_view(request: HttpRequest) -> HttpResponse:
    form = TrainingSessionForm(request.POST)
    if form.is_valid():
        services.schedule_training_session(actor=request_user(request), **form.cleaned_data)
        messages.success(request, _("Session scheduled."))
    else:
        messages.error(request, _("Check the session's course and start time."))
    return redirect("staff:compliance:training-desk")


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def attendance_view(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession.objects.select_related("course"), pk=session_id)
    present = list(session.attendance.values_list("user_id", flat=True))
    form = AttendanceForm(request.POST or None, initial={"users": present})
    if request.method == "POST" and form.is_valid():
        users: list[User] = list(form.cleaned_data["users"])
        services.record_attendance(session=session, users=users, actor=request_user(request))
        messages.success(request, _("Attendance recorded."))
        return redirect("staff:compliance:training-desk")
    return render(request, "compliance/attendance.html", {"session": session, "form": form})


# --- Third parties --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def third_parties_view(request: HttpRequest) -> HttpResponse:
    from compliance import thirdparties
    from compliance.forms import ThirdPartyForm
    from compliance.models import ThirdParty

    form = ThirdPartyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            party = thirdparties.register_third_party(actor=request_user(request), **form.cleaned_data)
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Registered. Now assess its risk."))
            return redirect("staff:compliance:third-party", party_id=party.pk)
    lapsed = set(thirdparties.lapsed_third_parties().values_list("pk", flat=True))
    parties = [(p, p.pk in lapsed) for p in ThirdParty.objects.all()]
    return render(request, "compliance/third_parties.html", {"parties": parties, "form": form})


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def third_party_view(request: HttpRequest, party_id: int) -> HttpResponse:
    from compliance import thirdparties
    from compliance.forms import RiskAssessmentForm
    from compliance.models import ThirdParty

    party = get_object_or_404(ThirdParty, pk=party_id)
    form = RiskAssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assessment = thirdparties.record_risk_assessment(
            third_party=party, answers=form.answers(), notes=form.cleaned_data["notes"], actor=request_user(request)
        )
        messages.success(
            request,
            _("Assessed: risk %(rating)s (score %(score)s).")
            % {"rating": assessment.get_rating_display(), "score": assessment.score},
        )
        return redirect("staff:compliance:third-party", party_id=party.pk)
    lapsed = thirdparties.lapsed_third_parties().filter(pk=party.pk).exists()
    return render(
        request,
        "compliance/third_party.html",
        {"party": party, "form": form, "lapsed": lapsed, "assessments": party.assessments.all()},
    )


# --- Whistleblower reports (compliance officers only) --------------------------------------------


class ReplyForm(forms.Form):
    text = forms.CharField(label=_lazy("Reply to the reporter"), widget=forms.Textarea(attrs={"rows": 4}))


@require_GET
@capability_required(DESK)
def whistleblowing_list_view(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count

    from compliance.models import WhistleblowerReport

    reports = WhistleblowerReport.objects.annotate(n=Count("messages")).order_by("-last_activity_on")
    channel_url = request.build_absolute_uri(reverse("whistleblowing:new"))
    return render(request, "compliance/whistleblowing_list.html", {"reports": reports, "channel_url": channel_url})


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def whistleblowing_report_view(request: HttpRequest, report_id: UUID) -> HttpResponse:
    from compliance import whistleblowing
    from compliance.models import ReportStatus, WhistleblowerReport

    report = get_object_or_404(WhistleblowerReport, pk=report_id)
    officer = request_user(request)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        try:
            if "status" in request.POST:
                whistleblowing.set_report_status(report, status=request.POST["status"], actor=officer)
                messages.success(request, _("Status changed."))
                return redirect("staff:compliance:whistleblowing-report", report_id=report.pk)
            if form.is_valid():
                whistleblowing.reply_to_report(report, text=form.cleaned_data["text"], actor=officer)
                messages.success(request, _("Reply sent. The reporter sees it when they follow up."))
                return redirect("staff:compliance:whistleblowing-report", report_id=report.pk)
        except ComplianceError as error:
            messages.error(request, str(error))
    else:
        whistleblowing.record_report_read(report, actor=officer)
    return render(
        request,
        "compliance/whistleblowing_report.html",
        {"report": report, "thread": report.messages.all(), "form": form, "statuses": ReportStatus.choices},
    )


# --- Violations and recognition (firm head and compliance) ----------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def discipline_view(request: HttpRequest) -> HttpResponse:
    from compliance import discipline
    from compliance.forms import RecognitionForm, ViolationForm
    from compliance.models import Recognition, Violation

    user = request_user(request)
    if not discipline.can_see_discipline(user):
        raise Http404
    violation_form = ViolationForm(request.POST if request.POST.get("kind") == "violation" else None)
    recognition_form = RecognitionForm(request.POST if request.POST.get("kind") == "recognition" else None)
    if request.method == "POST":
        try:
            if violation_form.is_bound and violation_form.is_valid():
                discipline.record_violation(actor=user, **violation_form.cleaned_data)
                messages.success(request, _("Violation recorded."))
                return redirect("staff:compliance:discipline")
            if recognition_form.is_bound and recognition_form.is_valid():
                discipline.record_recognition(actor=user, **recognition_form.cleaned_data)
                messages.success(request, _("Recognition recorded."))
                return redirect("staff:compliance:discipline")
        except ComplianceError as error:
            messages.error(request, str(error))
    return render(
        request,
        "compliance/discipline.html",
        {
            "violations": Violation.objects.select_related("subject", "incident", "decided_by"),
            "recognitions": Recognition.objects.select_related("recipient", "awarded_by"),
            "violation_form": violation_form,
            "recognition_form": recognition_form,
        },
    )


# --- Compliance reports and the record of processing activities ------------------------------------


def _may_read_reports(user: User) -> bool:
    return bool(user.has_perm("accounts.receive_compliance_reports") or user.has_perm("accounts.view_compliance_desk"))


@require_http_methods(["GET", "POST"])
@staff_required
def reports_view(request: HttpRequest) -> HttpResponse:
    from compliance import reports
    from compliance.forms import ReportPeriodForm

    user = request_user(request)
    if not _may_read_reports(user):
        raise Http404
    today = timezone.localdate()
    form = ReportPeriodForm(request.POST or None, initial={"kind": "month", "year": today.year, "month": today.month})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = (
                reports.Period.month(data["year"], data["month"])
                if data["kind"] == "month"
                else reports.Period.year(data["year"])
            )
        except ComplianceError as error:
            form.add_error(None, str(error))
        else:
            return _pdf(reports.generate_compliance_report(period, actor=user), f"compliance-report-{period.label}.pdf")
    from compliance.models import StoredComplianceReport

    stored = StoredComplianceReport.objects.all()[:36]
    return render(request, "compliance/reports.html", {"form": form, "stored": stored})


@require_GET
@staff_required
def stored_report_download_view(request: HttpRequest, stored_report_id: UUID) -> HttpResponse:
    """A scheduled report (a small PDF), decrypted in memory; for the firm head and the compliance desk."""
    from compliance import reports
    from compliance.models import StoredComplianceReport
    from confidentiality.files import read_decrypted

    user = request_user(request)
    if not _may_read_reports(user):
        raise refuse(request, reason="capability")
    report = get_object_or_404(StoredComplianceReport.objects.select_related("file"), pk=stored_report_id)
    reports.record_stored_report_download(report, actor=user)
    return _pdf(read_decrypted(report.file), f"compliance-report-{report.label}.pdf")


@require_http_methods(["GET", "POST"])
@staff_required
def processing_record_view(request: HttpRequest, activity_id: int | None = None) -> HttpResponse:
    from compliance import reports
    from compliance.forms import ProcessingActivityForm
    from compliance.models import ProcessingActivity

    user = request_user(request)
    if not _may_read_reports(user):
        raise Http404
    activity = get_object_or_404(ProcessingActivity, pk=activity_id) if activity_id else None
    may_edit = user.has_perm("accounts.view_compliance_desk")
    initial = {name: getattr(activity, name) for name in reports.ROPA_FIELDS} if activity else None
    form = ProcessingActivityForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_edit:
            raise Http404
        if form.is_valid():
            try:
                reports.save_processing_activity(activity=activity, actor=user, **form.cleaned_data)
            except (ComplianceError, IntegrityError):
                form.add_error("name", _("An activity with this name already exists."))
            else:
                messages.success(request, _("Saved."))
                return redirect("staff:compliance:processing-record")
    return render(
        request,
        "compliance/processing_record.html",
        {"activities": ProcessingActivity.objects.all(), "form": form, "activity": activity, "may_edit": may_edit},
    )


@require_POST
@staff_required
def processing_record_export_view(request: HttpRequest) -> HttpResponse:
    from compliance import reports

    user = request_user(request)
    if not _may_read_reports(user):
        raise Http404
    response = HttpResponse(
        reports.export_processing_record(actor=user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="record-of-processing-activities.xlsx"'
    return response
