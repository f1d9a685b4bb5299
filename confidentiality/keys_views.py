"""Key management pages for IT administrators (capability `manage_keys`): key state, master-key
rotation, data-key rotation jobs with a live progress bar (htmx polling)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import capability_required
from confidentiality import crypto, rotation
from confidentiality.keys_forms import RotateDataKeysForm
from confidentiality.models import DataKey, KeyRotationJob, RotationKind


def _overview_context(form: RotateDataKeysForm | None = None) -> dict[str, object]:
    counts = dict(DataKey.objects.values_list("state").annotate(n=Count("id")).order_by())
    provider = crypto.provider()
    return {
        "master_key_id": provider.current_key_id(),
        "provider_name": type(provider).__name__,
        "counts": counts,
        "jobs": KeyRotationJob.objects.select_related("started_by")[:30],
        "form": form or RotateDataKeysForm(),
    }


@require_GET
@capability_required("manage_keys")
def key_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "confidentiality/keys/overview.html", _overview_context())


@require_POST
@capability_required("manage_keys")
def rotate_master_view(request: HttpRequest) -> HttpResponse:
    job = rotation.rotate_master_key(actor=request.user)
    messages.success(
        request,
        _("Master key rotated: %(count)s data keys rewrapped under %(key)s.")
        % {"count": job.done, "key": job.new_master_key_id},
    )
    return redirect("staff:keys:overview")


@require_POST
@capability_required("manage_keys")
def rotate_data_view(request: HttpRequest) -> HttpResponse:
    form = RotateDataKeysForm(request.POST)
    if not form.is_valid():
        return render(request, "confidentiality/keys/overview.html", _overview_context(form), status=400)
    try:
        if form.cleaned_data["all_clients"]:
            jobs = rotation.start_all_clients_rotation(actor=request.user)
        else:
            jobs = rotation.start_client_rotation(form.cleaned_data["client_id"], actor=request.user)
    except rotation.RotationError:
        form.add_error(None, _("These keys cannot be rotated (destroyed, or none yet)."))
        return render(request, "confidentiality/keys/overview.html", _overview_context(form), status=400)
    messages.success(request, _("%(count)s data-key rotation jobs queued.") % {"count": len(jobs)})
    return redirect("staff:keys:overview")


@require_GET
@capability_required("manage_keys")
def job_progress(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_object_or_404(KeyRotationJob, pk=job_id, kind=RotationKind.DATA)
    return render(request, "confidentiality/keys/_job_row.html", {"job": job})


@require_POST
@capability_required("manage_keys")
def retry_job_view(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_object_or_404(KeyRotationJob, pk=job_id, kind=RotationKind.DATA)
    rotation.retry_job(job.id)
    messages.success(request, _("The rotation job was queued again; it continues where it stopped."))
    return redirect("staff:keys:overview")
