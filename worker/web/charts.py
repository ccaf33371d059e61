"""The Progress page's pictures, drawn on the server as SVG: nothing to load, no script.

Colours come from presentation attributes, not style attributes, so the page's
Content-Security-Policy (no inline style) holds; every number is also written as text."""

from __future__ import annotations

from markupsafe import Markup, escape

from worker.services.progress import Step, Week

INK = "#1f2a37"
BAR = "#2f6f8f"
SERIES = (
    ("written", "Written to", "#2f6f8f"),
    ("replies", "Replies", "#c2410c"),
    ("meetings", "Meetings", "#4d7c0f"),
)


def funnel_chart(steps: list[Step], width: int = 560) -> Markup:
    """One horizontal bar per step, its length relative to the first step."""
    row, label_w, gap = 34, 150, 8
    height = row * len(steps) + gap
    top = max((s.count for s in steps), default=0) or 1
    said = escape(
        "From people added to referrals gained: " + ", ".join(f"{s.label} {s.count}" for s in steps)
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{said}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{said}</title>',
    ]
    for i, s in enumerate(steps):
        y = gap + i * row
        length = round((width - label_w - 60) * s.count / top)
        parts.append(
            f'<text x="0" y="{y + 18}" fill="{INK}" font-size="14">{escape(s.label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{max(length, 2)}" height="20" rx="3" '
            f'fill="{BAR}"></rect>'
            f'<text x="{label_w + max(length, 2) + 8}" y="{y + 19}" fill="{INK}" '
            f'font-size="14">{s.count}</text>'
        )
    parts.append("</svg>")
    # Every value in `parts` is a number we computed or text passed through escape().
    return Markup("".join(parts))  # noqa: S704


def weekly_chart(weeks: list[Week], width: int = 560, height: int = 200) -> Markup:
    """Grouped bars per week: people written to, replies, meetings."""
    base, left = height - 28, 28
    top = max((max(w.written, w.replies, w.meetings) for w in weeks), default=0) or 1
    slot = (width - left) / max(len(weeks), 1)
    bar = max(slot / 4, 2)
    said = escape(
        "Weekly activity: "
        + "; ".join(
            f"week of {w.starts}: {w.written} written, {w.replies} replies, {w.meetings} meetings"
            for w in weeks
        )
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{said}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{said}</title>',
        f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="{INK}"></line>',
        f'<text x="0" y="14" fill="{INK}" font-size="12">{top}</text>',
        f'<text x="0" y="{base}" fill="{INK}" font-size="12">0</text>',
    ]
    for i, w in enumerate(weeks):
        x0 = left + i * slot + bar / 2
        for j, (field, _label, colour) in enumerate(SERIES):
            value = {"written": w.written, "replies": w.replies, "meetings": w.meetings}[field]
            h = round((base - 20) * value / top)
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{base - h}" width="{bar - 1:.1f}" '
                f'height="{h}" fill="{colour}"></rect>'
            )
        if i % 2 == 0:
            parts.append(
                f'<text x="{x0:.1f}" y="{height - 8}" fill="{INK}" font-size="11">'
                f"{escape(w.starts[5:])}</text>"
            )
    parts.append("</svg>")
    # Every value in `parts` is a number we computed or text passed through escape().
    return Markup("".join(parts))  # noqa: S704
