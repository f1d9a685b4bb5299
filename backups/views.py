"""The backup dashboard for IT administrators (/staff/backups/, capability `manage_backups`)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import capability_required
from backups import chart, queries, services
from backups.forms import HoldForm
from backups.models import BackupRun, RunState

CAPABILITY = "manage_backups"


def _user(request: HttpRequest):  # type: ignore[no-untyped-def]
    return request.user if request.user.is_authenticated else None


@require_GET
@capability_required(CAPABILITY)
def dashboard(request: HttpRequest) -> HttpResponse:
    history = queries.size_history()
    context = {
        "last_good": queries.last_good_copy_per_target(),
        "last_drill": queries.last_drill(),
        "jobs": queries.running_jobs(),
        "recent": BackupRun.objects.prefetch_related("copies").order_by("-created_at")[:20],
        "chart": chart.size_chart(history),
        "hold_form": HoldForm(),
        "good_state": RunState.SUCCEEDED,
    }
    return render(request, "backups/dashboard.html", context)


@require_GET
@capability_required(CAPABILITY)
def progress(request: HttpRequest) -> HttpResponse:
    return render(request, "backups/_progress.html", {"jobs": queries.running_jobs()})


@require_POST
@capability_required(CAPABILITY)
def start_backup(request: HttpRequest) -> HttpResponse:
    services.request_backup(actor=_user(request))
    messages.success(request, _("Backup queued. Its progress shows below."))
    return redirect("staff:backups:dashboard")


@require_POST
@capability_required(CAPABILITY)
def start_drill(request: HttpRequest, run_id: UUID) -> HttpResponse:
    run = get_object_or_404(BackupRun, pk=run_id, state=RunState.SUCCEEDED)
    services.request_drill(run=run, actor=_user(request))
    messages.success(request, _("Restore drill queued. Its progress shows below."))
    return redirect("staff:backups:dashboard")


@require_POST
@capability_required(CAPABILITY)
def hold(request: HttpRequest, run_id: UUID) -> HttpResponse:
    run = get_object_or_404(BackupRun, pk=run_id, state=RunState.SUCCEEDED)
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the hold (at most 200 characters)."))
        return redirect("staff:backups:dashboard")
    services.place_backup_hold(run, reason=form.cleaned_data["reason"], actor=_user(request))
    messages.success(request, _("The backup is held: retention will not prune it."))
    return redirect("staff:backups:dashboard")


@require_POST
@capability_required(CAPABILITY)
def release(request: HttpRequest, run_id: UUID) -> HttpResponse:
    run = get_object_or_404(BackupRun, pk=run_id, held=True)
    services.release_backup_hold(run, actor=_user(request))
    messages.success(request, _("The hold is released."))
    return redirect("staff:backups:dashboard")
