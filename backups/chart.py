"""The sizes-over-time chart, drawn on the server as inline SVG (no script, no inline style)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from backups.models import BackupRun

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 56, 24, 12


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def size_chart(runs: Sequence[BackupRun]) -> SafeString:
    """Bars of archive size per good backup, oldest on the left."""
    title = _("Backup size over time")
    if not runs:
        return format_html('<p class="muted">{}</p>', _("No backup yet."))
    top = max(run.size or 0 for run in runs) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / len(runs)
    bars = []
    for i, run in enumerate(runs):
        h = max(1.0, plot_h * (run.size or 0) / top)
        x = PAD_LEFT + i * slot + slot * 0.15
        y = PAD_TOP + plot_h - h
        label = f"{date_format(run.created_at, 'SHORT_DATETIME_FORMAT')}: {human_size(run.size or 0)}"
        bars.append((f"{x:.1f}", f"{y:.1f}", f"{max(1.0, slot * 0.7):.1f}", f"{h:.1f}", label))
    body = format_html_join(
        "",
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg">'
        "<title>{title}</title>"
        '<line class="chart-axis" x1="{pl}" y1="{base}" x2="{w}" y2="{base}"/>'
        '<text class="chart-label" x="{tx}" y="{ty}" text-anchor="end">{top}</text>'
        '<text class="chart-label" x="{tx}" y="{base}" text-anchor="end">0</text>'
        "{body}</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        pl=PAD_LEFT,
        base=PAD_TOP + plot_h,
        tx=PAD_LEFT - 6,
        ty=PAD_TOP + 10,
        top=human_size(top),
        body=body,
    )
