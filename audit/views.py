"""The compliance desk (/staff/compliance/): explorer, reports, exports, alerts and their rules."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import capability_required
from accounts.models import User, UserKind
from audit import alerts, charts, exports, queries
from audit import services as audit
from audit.forms import AlertActionForm, AlertRuleForm, ExplorerForm, PeriodForm
from audit.models import AccessAction, Alert, AlertRule, AlertStatus

desk_required = capability_required("view_compliance_desk")
PAGE_SIZE = 50


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(request: HttpRequest, queryset: object) -> object:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]


@require_GET
@desk_required
def desk_home(request: HttpRequest) -> HttpResponse:
    open_alerts = Alert.objects.exclude(status=AlertStatus.CLOSED)
    return render(
        request,
        "audit/desk_home.html",
        {
            "open_count": open_alerts.count(),
            "latest_alerts": list(open_alerts[:10]),
            "chart": charts.access_volume_svg(
                queries.daily_access_volume(days=30), title=_("Reads of client data per day, last 30 days")
            ),
            "staff": User.objects.filter(kind=UserKind.STAFF).order_by("username"),
        },
    )


@require_GET
@desk_required
def explorer(request: HttpRequest) -> HttpResponse:
    form = ExplorerForm(request.GET or None)
    page = None
    trail = "access"
    if form.is_bound and form.is_valid():
        trail = form.trail()
        filters = form.filters()
        if trail == "domain":
            page = _page(request, queries.domain_events(filters))
        elif trail == "changelog":
            page = _page(request, queries.change_log(filters))
        else:
            page = _page(request, queries.access_events(filters))
    elif not form.is_bound:
        page = _page(request, queries.access_events(queries.Filters()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/explorer.html",
        {"form": form, "page": page, "trail": trail, "query": query.urlencode(), "export_fields": query.items()},
    )


@require_POST
@desk_required
def explorer_export(request: HttpRequest) -> HttpResponse:
    form = ExplorerForm(request.POST)
    file_format = "xlsx" if request.POST.get("format") == "xlsx" else "csv"
    if not form.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect("staff:audit:explorer")
    content, filename, content_type = exports.export_audit(
        kind=form.trail(), filters=form.filters(), file_format=file_format, actor=_actor(request), request=request
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@desk_required
def staff_report(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id, kind=UserKind.STAFF)
    period = PeriodForm(request.GET or None)
    since = until = None
    if period.is_bound and period.is_valid():
        since, until = period.cleaned_data.get("since"), period.cleaned_data.get("until")
    return render(
        request,
        "audit/staff_report.html",
        {
            "person": person,
            "period": period,
            "activity": queries.staff_activity(person, since=since, until=until),
            "roles": queries.role_labels(",".join(sorted(person.roles))),
            "chart": charts.access_volume_svg(
                queries.daily_access_volume(days=30, person=person), title=_("Reads per day, last 30 days")
            ),
        },
    )


@require_GET
@desk_required
def client_report(request: HttpRequest) -> HttpResponse:
    client_ref = (request.GET.get("client") or "").strip()[:64]
    if not client_ref:
        return render(request, "audit/client_report.html", {"client_ref": ""})
    period = PeriodForm(request.GET)
    since = until = None
    if period.is_valid():
        since, until = period.cleaned_data.get("since"), period.cleaned_data.get("until")
    # Looking at who accessed a client is itself a read about that client.
    audit.record_access(
        request=request, action=AccessAction.VIEW, client_ref=client_ref, object_type="audit.client_access_report"
    )
    return render(
        request,
        "audit/client_report.html",
        {
            "client_ref": client_ref,
            "period": period,
            "accessors": queries.client_accessors(client_ref, since=since, until=until),
            "history": queries.client_access_history(client_ref, limit=200),
            "chart": charts.access_volume_svg(
                queries.daily_access_volume(days=30, client_ref=client_ref), title=_("Reads per day, last 30 days")
            ),
        },
    )


@require_GET
@desk_required
def leavers(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/leavers.html", {"page": _page(request, queries.leavers())})


@require_GET
@desk_required
def leaver_report(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id, kind=UserKind.STAFF, offboarded_at__isnull=False)
    assert person.offboarded_at is not None
    return render(
        request,
        "audit/leaver_report.html",
        {
            "person": person,
            "clients": queries.last_access_per_client(person),
            "after": queries.activity_after(person, person.offboarded_at),
            "recent": list(queries.access_events(queries.Filters(person=person))[:100]),
        },
    )


@require_GET
@desk_required
def alert_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queryset = Alert.objects.all()
    if status in AlertStatus.values:
        queryset = queryset.filter(status=status)
    elif status != "all":
        queryset = queryset.exclude(status=AlertStatus.CLOSED)
    return render(
        request,
        "audit/alert_list.html",
        {"page": _page(request, queryset), "status": status, "statuses": AlertStatus.choices},
    )


@require_GET
@desk_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    return render(request, "audit/alert_detail.html", _alert_context(alert, AlertActionForm()))


FACT_LABELS = {
    "count": _lazy("Events counted"),
    "threshold": _lazy("Threshold"),
    "window_minutes": _lazy("Window (minutes)"),
    "event_ids": _lazy("Event ids"),
    "target_type": _lazy("Target"),
    "first_bad_entry": _lazy("First bad entry"),
    "problems": _lazy("Problems found"),
}


def _alert_context(alert: Alert, form: AlertActionForm) -> dict[str, object]:
    facts = [(FACT_LABELS.get(name, name), value) for name, value in (alert.facts or {}).items() if value != ""]
    return {"alert": alert, "facts": facts, "notes": list(alert.notes.select_related("author")), "form": form}


@require_POST
@desk_required
def alert_act(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    form = AlertActionForm(request.POST)
    if form.is_valid():
        try:
            alerts.act_on_alert(
                alert, action=form.cleaned_data["action"], note=form.cleaned_data["note"], actor=_actor(request)
            )
        except alerts.AlertActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("staff:audit:alert-detail", alert_id=alert.pk)
    alert.refresh_from_db()
    return render(request, "audit/alert_detail.html", _alert_context(alert, form), status=400)


@require_GET
@desk_required
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = alerts.ensure_default_rules()
    forms = [(rule, AlertRuleForm(instance=rule, prefix=f"r{rule.pk}")) for rule in sorted(rules.values(), key=str)]
    return render(request, "audit/rule_list.html", {"forms": forms})


@require_POST
@desk_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id)
    form = AlertRuleForm(request.POST, instance=AlertRule.objects.get(pk=rule.pk), prefix=f"r{rule.pk}")
    if form.is_valid():
        data = form.cleaned_data
        alerts.update_alert_rule(
            rule,
            actor=_actor(request),
            enabled=data["enabled"],
            threshold=data["threshold"],
            window_minutes=data["window_minutes"],
            severity=data["severity"],
            work_start=data.get("work_start"),
            work_end=data.get("work_end"),
            weekdays_only=data["weekdays_only"],
        )
        messages.success(request, _("The rule was saved."))
        return redirect(reverse("staff:audit:rules") + f"#rule-{rule.pk}")
    forms = [
        (other, form if other.pk == rule.pk else AlertRuleForm(instance=other, prefix=f"r{other.pk}"))
        for other in sorted(alerts.ensure_default_rules().values(), key=str)
    ]
    return render(request, "audit/rule_list.html", {"forms": forms}, status=400)
