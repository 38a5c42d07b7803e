"""The patient's pain since the block as an SVG chart, drawn on the server.

No script and nothing from another host: the page stays light and works with JavaScript
off. Time runs on a square-root scale, so the first hours (a reading every 15 minutes,
where the block's answer lies) get room while days 1-14 still fit on a phone's width.
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

WIDTH, HEIGHT = 340, 180
LEFT, RIGHT, TOP, BOTTOM = 28, 10, 10, 28  # margins for the axes' labels
HOUR, DAY = gettext_noop("%(count)s h"), gettext_noop("%(count)s d")
# (minutes after the block, count, unit): the ticks shown, up to the last reading.
TICKS = ((60, 1, HOUR), (240, 4, HOUR), (480, 8, HOUR), (1440, 1, DAY), (10080, 7, DAY))
TICKS += ((20160, 14, DAY), (40320, 28, DAY))


@dataclass(frozen=True)
class Point:
    minutes: int  # after the block; a pre-block reading is negative
    pain: int  # 0-10


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    polyline: str  # "x,y x,y ..." of the readings after the block
    dots: list[tuple[float, float, int]]  # (x, y, pain)
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    baseline_y: float | None
    left: int
    right: float
    top: int
    bottom: float


def chart(points: list[Point], *, baseline: int | None) -> Chart:
    after = [p for p in points if p.minutes >= 0]
    span = max(480, max((p.minutes for p in after), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM

    def x(minutes: int) -> float:
        return round(LEFT + plot_width * math.sqrt(minutes / span), 1)

    def y(pain: int) -> float:
        return round(TOP + plot_height * (1 - pain / 10), 1)

    dots = [(x(p.minutes), y(p.pain), p.pain) for p in after]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        polyline=" ".join(f"{dx},{dy}" for dx, dy, _ in dots),
        dots=dots,
        x_ticks=[(x(0), "0")]
        + [(x(m), gettext(unit) % {"count": n}) for m, n, unit in TICKS if m <= span],
        y_ticks=[(y(pain), pain) for pain in (0, 5, 10)],
        baseline_y=y(baseline) if baseline is not None else None,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
    )
