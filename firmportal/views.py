"""Site-wide pages: the front door, health, and the error pages."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from firmportal.models import Heartbeat

log = logging.getLogger("firmportal.health")

WORKER_HEARTBEAT_MAX_AGE_SECONDS = 180


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    return redirect("staff:home" if user.is_staff_member else "portal:home")


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        log.exception("health: database unreachable")
        return False


def _check_broker() -> bool:
    from firmportal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        log.exception("health: broker unreachable")
        return False


def _check_worker() -> bool:
    beat = Heartbeat.objects.filter(component="worker").first()
    return beat is not None and (timezone.now() - beat.seen_at).total_seconds() <= WORKER_HEARTBEAT_MAX_AGE_SECONDS


def health_checks() -> dict[str, bool]:
    """Named checks; later slices add theirs (e.g. the age of the last good backup)."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    checks["worker"] = checks["database"] and _check_worker()
    if checks["database"]:
        from backups.queries import backup_health

        backup = backup_health()
        if backup is not None:  # reported once a first backup was ever attempted
            checks["backup"] = backup
    return checks


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health_checks()
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": {k: "ok" if v else "fail" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    log.warning("csrf refused path=%s", request.path)
    return render(request, "errors/csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Forbidden looks like missing.
    return render(request, "errors/404.html", status=404)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", {"request_id": getattr(request, "request_id", "")}, status=500)
