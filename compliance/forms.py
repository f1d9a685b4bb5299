"""Forms of the compliance desk and staff pages: they validate, services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserKind
from compliance.models import Course, QuizQuestion


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
