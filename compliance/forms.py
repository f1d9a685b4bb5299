"""Forms of the compliance desk and staff pages: they validate, services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserKind
from compliance.models import Course, Incident, QuizQuestion


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class NdaDraftForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text_zh = forms.CharField(label=_("Text (Chinese)"), widget=forms.Textarea(attrs={"rows": 10}))
    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 10}))


class NdaPublishForm(forms.Form):
    acceptance_deadline = forms.DateTimeField(
        label=_("Acceptance deadline"),
        widget=DateTimeInput(format="%Y-%m-%dT%H:%M"),
        help_text=_("After this moment, staff who have not accepted this version cannot open client data."),
    )

    def clean_acceptance_deadline(self) -> Any:
        value = self.cleaned_data["acceptance_deadline"]
        if value < timezone.now():
            raise forms.ValidationError(_("The acceptance deadline must not be in the past."))
        return value


class NdaAcceptForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have read this agreement and accept it."),
        error_messages={"required": _("Tick the box to accept the agreement.")},
    )


class ExitAcknowledgementForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(kind=UserKind.STAFF).order_by("username")  # type: ignore[attr-defined]


class CourseForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    counts_for_gate = forms.BooleanField(label=_("Confidentiality training (required for access)"), required=False)
    required = forms.BooleanField(label=_("Required of all staff"), required=False, initial=True)
    pass_mark = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100, initial=80)
    validity_months = forms.IntegerField(label=_("Valid for (months)"), min_value=1, max_value=60, initial=12)
    questions = forms.CharField(
        label=_("Quiz questions"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One question per line: the question, then the choices, separated by '|'. "
            "Mark the correct choice with a leading '*'. Example: Who may see a client's ledger? | Anyone | "
            "*Assigned staff | Clients of the firm"
        ),
    )

    def clean_questions(self) -> list[tuple[str, list[str], int]]:
        parsed: list[tuple[str, list[str], int]] = []
        for number, line in enumerate(self.cleaned_data["questions"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            text, raw_choices = parts[0], [c for c in parts[1:] if c]
            correct = [i for i, c in enumerate(raw_choices) if c.startswith("*")]
            if not text or len(raw_choices) < 2 or len(correct) != 1:
                raise forms.ValidationError(
                    _("Line %(n)s: give a question, at least two choices and exactly one marked with '*'."),
                    params={"n": number},
                )
            parsed.append((text, [c.lstrip("*").strip() for c in raw_choices], correct[0]))
        if not parsed:
            raise forms.ValidationError(_("A course needs at least one quiz question."))
        return parsed


class QuizForm(forms.Form):
    """One radio group per question of the course."""

    def __init__(self, *args: Any, questions: list[QuizQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                choices=[(str(i), c) for i, c in enumerate(question.choices)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question.")},
            )

    def answers(self) -> dict[int, int]:
        return {q.pk: self.cleaned_data[f"q{q.pk}"] for q in self.questions}


class TrainingSessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.filter(is_active=True))
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput(format="%Y-%m-%dT%H:%M"))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    trainer = forms.CharField(label=_("Trainer"), max_length=150, required=False)


class AttendanceForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=_("Attended"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = User.objects.filter(kind=UserKind.STAFF, is_active=True).order_by("username")  # type: ignore[attr-defined]


class DateInput(forms.DateInput):
    input_type = "date"


class ThirdPartyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("vendor", _("Vendor")), ("partner", _("Partner"))])
    services = forms.CharField(label=_("Services provided"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    contact_name = forms.CharField(label=_("Contact"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    touches_client_data = forms.BooleanField(label=_("May touch client data"), required=False, initial=True)
    nda_reference = forms.CharField(label=_("NDA reference"), max_length=100, required=False)
    nda_signed_on = forms.DateField(label=_("NDA signed on"), required=False, widget=DateInput)
    nda_expires_on = forms.DateField(label=_("NDA expires on"), required=False, widget=DateInput)
    review_interval_months = forms.IntegerField(label=_("Review every (months)"), min_value=1, max_value=36, initial=12)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        signed, expires = data.get("nda_signed_on"), data.get("nda_expires_on")
        if signed and expires and expires < signed:
            raise forms.ValidationError(_("The NDA cannot expire before it was signed."))
        return data


class RiskAssessmentForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from compliance.thirdparties import RISK_QUESTIONS

        super().__init__(*args, **kwargs)
        for key, text, _weight in RISK_QUESTIONS:
            self.fields[f"control_{key}"] = forms.BooleanField(label=text, required=False)

    def answers(self) -> dict[str, bool]:
        return {
            name.removeprefix("control_"): bool(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("control_")
        }


class IncidentReportForm(forms.Form):
    title = forms.CharField(label=_("In a few words"), max_length=200)
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("When, what you saw, which clients or systems may be involved. Do not paste client data."),
    )


class DrillForm(IncidentReportForm):
    scheduled_for = forms.DateField(label=_("Drill scheduled for"), widget=DateInput, required=False)


class TriageForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=[])
    window_start = forms.DateTimeField(label=_("From"), widget=DateTimeInput(format="%Y-%m-%dT%H:%M"), required=False)
    window_end = forms.DateTimeField(label=_("Until"), widget=DateTimeInput(format="%Y-%m-%dT%H:%M"), required=False)
    suspect = forms.ModelChoiceField(label=_("Whose reads (optional)"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from compliance.models import Severity

        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = Severity.choices  # type: ignore[attr-defined]
        self.fields["suspect"].queryset = User.objects.filter(kind=UserKind.STAFF).order_by("username")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end of the window must not be before its start."))
        return data


class NoticeContentForm(forms.Form):
    data_kinds = forms.CharField(label=_("Kinds of data involved"), widget=forms.Textarea(attrs={"rows": 2}))
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 2}))
    possible_harm = forms.CharField(label=_("Possible harm"), widget=forms.Textarea(attrs={"rows": 2}))
    remedies = forms.CharField(label=_("Remedies taken"), widget=forms.Textarea(attrs={"rows": 2}))
    client_actions = forms.CharField(label=_("What the client can do"), widget=forms.Textarea(attrs={"rows": 2}))
    contact = forms.CharField(label=_("Contact"), widget=forms.Textarea(attrs={"rows": 2}))


class NoticeReviewForm(forms.Form):
    client_details = forms.CharField(
        label=_("What concerns this client"),
        max_length=4000,
        help_text=_("Which of this client's data was involved and when. Shown to the client in the notice."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    lessons = forms.CharField(label=_("Lessons learned"), widget=forms.Textarea(attrs={"rows": 4}))


class SuspendForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(kind=UserKind.STAFF, is_active=True).order_by("username")  # type: ignore[attr-defined]


def _staff() -> Any:
    return User.objects.filter(kind=UserKind.STAFF).order_by("username")


class ViolationForm(forms.Form):
    subject = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    incident = forms.ModelChoiceField(label=_("Incident"), queryset=Incident.objects.none(), required=False)
    alert_ref = forms.CharField(label=_("Alert id"), max_length=64, required=False)
    description = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    action = forms.ChoiceField(label=_("Action taken"), choices=[])
    action_detail = forms.CharField(
        label=_("Details of the action"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from compliance.models import DisciplinaryAction

        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = _staff()  # type: ignore[attr-defined]
        self.fields["incident"].queryset = Incident.objects.order_by("-reported_at")  # type: ignore[attr-defined]
        self.fields["action"].choices = DisciplinaryAction.choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if not data.get("incident") and not (data.get("alert_ref") or "").strip():
            raise forms.ValidationError(_("Link the violation to an incident or an alert."))
        return data


class RecognitionForm(forms.Form):
    recipient = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    incident = forms.ModelChoiceField(label=_("Incident"), queryset=Incident.objects.none(), required=False)
    description = forms.CharField(label=_("Good practice"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = _staff()  # type: ignore[attr-defined]
        self.fields["incident"].queryset = Incident.objects.order_by("-reported_at")  # type: ignore[attr-defined]


class ReportPeriodForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=[("month", _("Monthly")), ("year", _("Yearly"))])
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12, required=False)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("kind") == "month" and not data.get("month"):
            raise forms.ValidationError(_("Choose the month."))
        return data


class ProcessingActivityForm(forms.Form):
    name = forms.CharField(label=_("Activity"), max_length=200)
    purpose = forms.CharField(label=_("Purposes"), widget=forms.Textarea(attrs={"rows": 2}))
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    data_subjects = forms.CharField(label=_("Categories of data subjects"), widget=forms.Textarea(attrs={"rows": 2}))
    data_categories = forms.CharField(label=_("Categories of personal data"), widget=forms.Textarea(attrs={"rows": 2}))
    sensitive_data = forms.BooleanField(label=_("Includes sensitive personal information"), required=False)
    recipients = forms.CharField(
        label=_("Recipients (incl. entrusted processors)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    cross_border = forms.CharField(
        label=_("Transfers abroad and safeguards"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    retention = forms.CharField(label=_("Time limits for erasure"), widget=forms.Textarea(attrs={"rows": 2}))
    security_measures = forms.CharField(
        label=_("Technical and organisational security measures"), widget=forms.Textarea(attrs={"rows": 2})
    )
    controller_contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
