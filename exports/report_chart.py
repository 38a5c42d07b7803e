"""The block report's relief chart as SVG, drawn on the server: WeasyPrint runs no script.

Pure. x: minutes after the block (to the later of the expected window and the last
reading in the first day); y: relief 0-100 % (worse pain is drawn at 0). The expected
window is shaded and the threshold drawn as a dashed line, as on the dashboard's chart.
"""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 32
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class ChartPoint:
    minutes: int
    relief: float


def _x(minutes: int, span: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * max(0, minutes) / span


def _y(relief: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(relief, 100.0)) / 100)


def relief_svg(points: list[ChartPoint], *, window_minutes: int, threshold: int) -> str:
    shown = [p for p in points if 0 <= p.minutes <= DAY_MINUTES]
    last = max((p.minutes for p in shown), default=0)
    span = max(window_minutes + 60, last)
    span = -(-span // 60) * 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="Relief after the block">',
        f'<rect x="{_x(0, span):.1f}" y="{TOP}" width="{_x(window_minutes, span) - LEFT:.1f}" '
        f'height="{HEIGHT - TOP - BOTTOM}" fill="#e8eef7"/>',
    ]
    for relief in (0, 25, 50, 75, 100):
        y = _y(relief)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ccc"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end">{relief} %</text>'
        )
    hours = span // 60
    step = 1 if hours <= 12 else 2 if hours <= 24 else 4
    for hour in range(0, hours + 1, step):
        x = _x(hour * 60, span)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
            f'text-anchor="middle">{hour} h</text>'
        )
    y = _y(threshold)
    parts.append(
        f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#b00" '
        f'stroke-dasharray="6 4"/><text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" font-size="11" '
        f'text-anchor="end" fill="#b00">threshold {threshold} %</text>'
    )
    if shown:
        path = " ".join(f"{_x(p.minutes, span):.1f},{_y(p.relief):.1f}" for p in shown)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f4e96" stroke-width="2"/>')
        parts += [
            f'<circle cx="{_x(p.minutes, span):.1f}" cy="{_y(p.relief):.1f}" r="3.5" '
            'fill="#1f4e96"/>'
            for p in shown
        ]
    parts.append("</svg>")
    return "".join(parts)
