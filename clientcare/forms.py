"""Forms of the client-care pages. Validation here; every change goes through `clientcare.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientcare import attachments
from clientcare.models import SURVEY_QUESTIONS, ComplaintCategory, ComplaintStatus
from clientcare.services import MAX_BODY, MAX_COMMENT, MAX_COMPLAINT, MAX_SUBJECT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class MessageForm(forms.Form):
    """A reply (or, with `with_subject`, the first message of a new thread) with attachments."""

    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT, required=False)
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write a message before sending.")},
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
    )

    def __init__(self, *args: Any, with_subject: bool = False, oversized: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.with_subject = with_subject
        self.oversized = oversized
        self.fields["attachments"].help_text = _("Up to %(n)d files, at most %(mb)d MB each: %(types)s.") % {
            "n": attachments.MAX_ATTACHMENTS,
            "mb": attachments.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "types": attachments.ALLOWED_EXTENSIONS,
        }
        if with_subject:
            self.fields["subject"].required = True
            self.fields["subject"].error_messages["required"] = _("Give the message a subject.")
        else:
            del self.fields["subject"]

    def clean_body(self) -> str:
        body = str(self.cleaned_data.get("body", "")).strip()
        if not body:
            raise ValidationError(_("Write a message before sending."), code="required")
        return body

    def clean_subject(self) -> str:
        subject = str(self.cleaned_data.get("subject", "")).strip()
        if self.with_subject and not subject:
            raise ValidationError(_("Give the message a subject."), code="required")
        return subject

    def clean_attachments(self) -> list[tuple[Any, str, str]]:
        if self.oversized:
            raise attachments.oversized_error()
        files = self.cleaned_data.get("attachments") or []
        if len(files) > attachments.MAX_ATTACHMENTS:
            raise ValidationError(
                _("At most %(n)d files can be sent with one message.") % {"n": attachments.MAX_ATTACHMENTS},
                code="attachment_count",
            )
        checked = []
        errors = []
        for upload in files:
            try:
                name, content_type = attachments.check_attachment(upload)
            except ValidationError as error:
                errors.append(error)
                continue
            checked.append((upload, name, content_type))
        if errors:
            raise ValidationError(errors)
        return checked


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=ComplaintCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the complaint is about.")},
    )
    text = forms.CharField(
        label=_("Your complaint"),
        max_length=MAX_COMPLAINT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Tell us what happened, when, and what you would like us to do."),
        error_messages={"required": _("Describe your complaint.")},
    )

    def clean_text(self) -> str:
        text = str(self.cleaned_data.get("text", "")).strip()
        if not text:
            raise ValidationError(_("Describe your complaint."), code="required")
        return text


class ComplaintAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Answer to the client"),
        max_length=MAX_COMPLAINT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The client reads this answer in the portal."),
        error_messages={"required": _("Write the answer before sending it.")},
    )
    close = forms.BooleanField(label=_("Close the case with this answer"), required=False)

    def clean_text(self) -> str:
        text = str(self.cleaned_data.get("text", "")).strip()
        if not text:
            raise ValidationError(_("Write the answer before sending it."), code="required")
        return text


class ComplaintStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ComplaintStatus.choices)


STARS = [(n, "★" * n + "☆" * (5 - n)) for n in range(5, 0, -1)]


class SurveyForm(forms.Form):
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        max_length=MAX_COMMENT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SURVEY_QUESTIONS:
            self.fields[name] = forms.TypedChoiceField(
                label=str(label),
                choices=STARS,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "stars"}),
                error_messages={"required": _("Give this question 1 to 5 stars.")},
            )
        self.order_fields([*(name for name, _label in SURVEY_QUESTIONS), "comment"])

    def scores(self) -> dict[str, int]:
        return {name: int(self.cleaned_data[name]) for name, _label in SURVEY_QUESTIONS}


class SurveyFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
