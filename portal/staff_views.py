"""The compliance desk drafts and publishes the client commitment (/staff/compliance/commitment/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import capability_required
from accounts.services import request_user
from portal import services
from portal.forms import CommitmentDraftForm
from portal.models import CommitmentNotice

DESK = "view_compliance_desk"


@require_http_methods(["GET", "POST"])
@capability_required(DESK)
def notice_versions(request: HttpRequest) -> HttpResponse:
    form = CommitmentDraftForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.draft_commitment_notice(actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Version %(v)s drafted. Publish it when it is ready.") % {"v": notice.version})
            return redirect("staff:commitment:versions")
    versions = CommitmentNotice.objects.annotate(acknowledged=Count("acknowledgements")).order_by("-version")
    return render(request, "portal/staff/commitment_versions.html", {"versions": versions, "form": form})


@require_POST
@capability_required(DESK)
def notice_publish(request: HttpRequest, version_id: int) -> HttpResponse:
    notice = get_object_or_404(CommitmentNotice, pk=version_id)
    try:
        services.publish_commitment_notice(notice, actor=request_user(request))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("Version %(v)s published: clients are asked to acknowledge it.") % {"v": notice.version}
        )
    return redirect("staff:commitment:versions")
