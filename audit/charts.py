"""Server-side SVG charts: no JavaScript, no inline styles (colours come from app.css classes)."""

from __future__ import annotations

from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 200, 40, 24, 10


def access_volume_svg(series: list[tuple[date, int]], *, title: str) -> SafeString:
    """A bar chart of events per day, with an accessible title and a text summary per bar."""
    peak = max((count for _day, count in series), default=0)
    scale = max(peak, 1)
    plot_height = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) / max(len(series), 1)
    bars = []
    for index, (day, count) in enumerate(series):
        height = round(plot_height * count / scale, 1)
        x = round(PAD_LEFT + index * slot + slot * 0.15, 1)
        y = round(PAD_TOP + plot_height - height, 1)
        bars.append((x, y, round(slot * 0.7, 1), height, f"{day:%m-%d}: {count}"))
    labels = [
        (round(PAD_LEFT + index * slot + slot / 2, 1), HEIGHT - 6, f"{day:%m-%d}")
        for index, (day, _count) in enumerate(series)
        if index % max(len(series) // 6, 1) == 0
    ]
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="chart-title" '
        'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title>'
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="chart-label" x="4" y="{}">{}</text><text class="chart-label" x="4" y="{}">0</text>'
        "{}{}</svg>",
        WIDTH,
        HEIGHT,
        title,
        PAD_LEFT,
        HEIGHT - PAD_BOTTOM,
        WIDTH,
        HEIGHT - PAD_BOTTOM,
        PAD_TOP + 10,
        peak,
        HEIGHT - PAD_BOTTOM,
        format_html_join(
            "",
            '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            bars,
        ),
        format_html_join("", '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>', labels),
    )
