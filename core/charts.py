"""Line charts drawn with Pillow: a run's learning curves, a sweep's overlaid curves, a GAN's losses, spectra.

These figures are on every run's path, so they are drawn without a figure library (importing matplotlib's
pyplot alone costs about 0.3 s, a tight-layout figure 0.1 s more; a chart here takes a few milliseconds).
Each panel has its own axes (linear or log y, whole-number x ticks for epochs), one coloured line with point
markers per series, a legend and a title. Lines are drawn at twice the size and reduced, so they are smooth.
Non-finite points (a NaN loss) break a line instead of bending the axes; on a log axis, values <= 0 are left
out (and the panel says so). Matplotlib stays for the analysis pictures (images with colour maps).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Collection
from typing import Sequence

from .figures import FIGURE_PNG
from .files import atomic_path

#: matplotlib's "tab10" cycle, so the charts read like the rest of the field's figures
COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
SUPERSAMPLE = 2
PANEL = (400, 290)  #: one panel's size in output pixels
MARGIN = dict(left=62, right=12, top=26, bottom=40)
FONT = 11


@dataclass(frozen=True)
class Series:
    label: str
    x: Collection[float]  #: a list or a 1-D array
    y: Collection[float]
    colour: tuple[int, int, int] | None = None
    markers: bool = True


@dataclass(frozen=True)
class Panel:
    title: str
    series: Sequence[Series]
    xlabel: str = "epoch"
    ylabel: str = ""
    log: bool = False
    integer_x: bool = True
    marks: Sequence[float] = field(default=())  #: x positions of dotted vertical lines


def nice_step(span: float, count: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about ``count`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def linear_ticks(low: float, high: float, count: int = 5, integer: bool = False) -> list[float]:
    step = nice_step(high - low, count)
    if integer:
        step = max(1.0, round(step))
    start = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = start
    while value <= high + 1e-9 * max(1.0, abs(high)):
        ticks.append(round(value, 12))
        value += step
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Decades inside [low, high]; where fewer than two fit, 1-2-5 steps of the decades crossed."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0 ** k for k in range(first, last + 1) if low <= 10.0 ** k <= high]
    if len(decades) >= 2:
        stride = max(1, math.ceil(len(decades) / 6))
        return decades[::stride]
    ticks = [m * 10.0 ** k for k in range(first, last + 1) for m in (1, 2, 5) if low <= m * 10.0 ** k <= high]
    if len(ticks) >= 2:
        return ticks
    return [t for t in linear_ticks(low, high, 4) if t > 0]


def tick_label(value: float, step: float | None = None) -> str:
    """A tick's label with as many significant digits as the ticks' spacing ``step`` needs (so neighbouring
    ticks never read the same); scientific notation below 1e-3 and from 1e5."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    spacing = step if step is not None and math.isfinite(step) and step > 0 else None
    if magnitude >= 1e5 or magnitude < 1e-3:
        digits = max(0, math.floor(math.log10(magnitude)) - math.floor(math.log10(spacing))) if spacing else 0
        mantissa, exponent = f"{value:.{min(digits, 6)}e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if spacing:
        return f"{value:.{min(max(0, -math.floor(math.log10(spacing) + 1e-9)), 8)}f}"
    return f"{value:.6g}"


def _spacing(ticks: Sequence[float]) -> float | None:
    """The smallest gap between neighbouring ticks (what their labels must tell apart)."""
    gaps = [b - a for a, b in zip(ticks, ticks[1:]) if b > a]
    return min(gaps) if gaps else None


def _decades(ticks: Sequence[float]) -> bool:
    """Whether every tick is a power of ten (labels need one significant digit)."""
    return all(abs(math.log10(t) - round(math.log10(t))) < 1e-9 for t in ticks if t > 0)


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: a scalable font
    except TypeError:  # an older Pillow: the fixed bitmap font
        return ImageFont.load_default()


def _points(series: Series, log: bool) -> list[list[tuple[float, float]]]:
    """The series as runs of drawable points (a non-finite or, on a log axis, non-positive value ends a run)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(series.x, series.y):
        x, y = float(x), float(y)
        if math.isfinite(x) and math.isfinite(y) and (y > 0 or not log):
            runs[-1].append((x, y))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _range(values: list[float], log: bool) -> tuple[float, float]:
    low, high = min(values), max(values)
    if log:
        low, high = math.log10(low), math.log10(high)
    if high - low < 1e-12:
        pad = 0.5 if log else max(abs(low) * 0.05, 0.5 if low == 0 else 0.0) or 0.5
        low, high = low - pad, high + pad
    else:
        pad = (high - low) * 0.06
        low, high = low - pad, high + pad
    return (10 ** low, 10 ** high) if log else (low, high)


def _draw_panel(canvas: Any, draw: Any, panel: Panel, box: tuple[int, int, int, int], scale: int, font: Any, small: Any,
                legend: bool = True) -> None:
    left, top, right, bottom = box
    s = scale
    plot = (left + MARGIN["left"] * s, top + MARGIN["top"] * s, right - MARGIN["right"] * s,
            bottom - MARGIN["bottom"] * s)
    px0, py0, px1, py1 = plot
    draw.text(((px0 + px1) / 2, top + 6 * s), panel.title, fill=(0, 0, 0), font=font, anchor="mt")
    runs = [(i, series, _points(series, panel.log)) for i, series in enumerate(panel.series)]
    xs = [x for _, _, rs in runs for run in rs for x, _ in run] + [float(m) for m in panel.marks]
    ys = [y for _, _, rs in runs for run in rs for _, y in run]
    draw.rectangle(plot, outline=(0, 0, 0), width=s)
    if not ys:
        draw.text(((px0 + px1) / 2, (py0 + py1) / 2), "no finite values" + (" above 0" if panel.log else ""),
                  fill=(90, 90, 90), font=small, anchor="mm")
        return
    x_low, x_high = _range(xs, False)
    if panel.integer_x and max(xs) - min(xs) >= 1:
        x_low, x_high = min(xs) - 0.3, max(xs) + 0.3
    y_low, y_high = _range(ys, panel.log)

    def to_x(x: float) -> float:
        return px0 + (x - x_low) / (x_high - x_low) * (px1 - px0)

    def to_y(y: float) -> float:
        if panel.log:
            fraction = (math.log10(y) - math.log10(y_low)) / (math.log10(y_high) - math.log10(y_low))
        else:
            fraction = (y - y_low) / (y_high - y_low)
        return py1 - fraction * (py1 - py0)

    grid = (225, 225, 225)
    x_ticks = linear_ticks(x_low, x_high, 5, integer=panel.integer_x)
    for tick in x_ticks:
        x = to_x(tick)
        draw.line([(x, py0), (x, py1)], fill=grid, width=s)
        draw.line([(x, py1), (x, py1 + 4 * s)], fill=(0, 0, 0), width=s)
        draw.text((x, py1 + 6 * s), tick_label(tick, _spacing(x_ticks)), fill=(0, 0, 0), font=small, anchor="mt")
    y_ticks = log_ticks(y_low, y_high) if panel.log else linear_ticks(y_low, y_high, 5)
    y_step = None if panel.log and _decades(y_ticks) else _spacing(y_ticks)
    for tick in y_ticks:
        y = to_y(tick)
        draw.line([(px0, y), (px1, y)], fill=grid, width=s)
        draw.line([(px0 - 4 * s, y), (px0, y)], fill=(0, 0, 0), width=s)
        draw.text((px0 - 6 * s, y), tick_label(tick, y_step), fill=(0, 0, 0), font=small, anchor="rm")
    for mark in panel.marks:
        x = to_x(float(mark))
        for y in range(int(py0), int(py1), 6 * s):
            draw.line([(x, y), (x, min(y + 3 * s, py1))], fill=(128, 128, 128), width=s)
    draw.text(((px0 + px1) / 2, bottom - 4 * s), panel.xlabel, fill=(0, 0, 0), font=small, anchor="md")
    if panel.ylabel:
        _vertical_text(canvas, draw, panel.ylabel, (left + 4 * s, (py0 + py1) / 2), small)
    for i, series, series_runs in runs:
        colour = series.colour or COLOURS[i % len(COLOURS)]
        for run in series_runs:
            points = [(to_x(x), to_y(y)) for x, y in run]
            if len(points) > 1:
                draw.line(points, fill=colour, width=2 * s, joint="curve")
            if (series.markers and len(run) <= 60) or len(points) == 1:
                r = 3 * s
                for x, y in points:
                    draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    drawn = [(to_x(x), to_y(y)) for _, _, rs in runs for run in rs for x, y in run]
    if legend:
        _legend(draw, [(_short(series.label), series.colour or COLOURS[i % len(COLOURS)]) for i, series, _ in runs
                       if series.label], plot, drawn, s, small)
    if panel.log and any(float(y) <= 0 for series in panel.series for y in series.y if math.isfinite(float(y))):
        draw.text((right - 4 * s, bottom - 4 * s), "values <= 0 not shown", fill=(90, 90, 90), font=small,
                  anchor="rd")


LABEL_CHARS = 28  #: longer series labels are cut in the legend
CROWDED = 6  #: with more series than this, only the last panel has a legend


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _legend(draw: Any, entries: list[tuple[str, tuple[int, int, int]]], plot: tuple[float, float, float, float],
            drawn: list[tuple[float, float]], s: int, font: Any) -> None:
    """The legend in the corner of the plot that covers the fewest drawn points (upper right on a tie)."""
    if not entries:
        return
    line_h = 14 * s
    width = max(draw.textlength(label, font=font) for label, _ in entries) + 30 * s
    height = line_h * len(entries) + 4 * s
    px0, py0, px1, py1 = plot
    pad = 6 * s
    corners = [(px1 - pad - width, py0 + pad), (px0 + pad, py0 + pad), (px1 - pad - width, py1 - pad - height),
               (px0 + pad, py1 - pad - height)]

    def covered(corner: tuple[float, float]) -> int:
        left, top = corner
        return sum(left - pad <= x <= left + width + pad and top - pad <= y <= top + height + pad for x, y in drawn)

    left, top = min(corners, key=covered)
    draw.rectangle((left, top, left + width, top + height), fill=(255, 255, 255), outline=(200, 200, 200), width=s)
    for row, (label, colour) in enumerate(entries):
        y = top + 2 * s + row * line_h + line_h / 2
        draw.line([(left + 5 * s, y), (left + 21 * s, y)], fill=colour, width=2 * s)
        draw.text((left + 26 * s, y), label, fill=(0, 0, 0), font=font, anchor="lm")


def _vertical_text(canvas: Any, draw: Any, text: str, at: tuple[float, float], font: Any) -> None:
    from PIL import Image
    from PIL import ImageDraw

    box = draw.textbbox((0, 0), text, font=font)
    label = Image.new("L", (box[2] - box[0] + 4, box[3] - box[1] + 4), 0)
    ImageDraw.Draw(label).text((2 - box[0], 2 - box[1]), text, fill=255, font=font)
    label = label.rotate(90, expand=True)
    x, y = int(at[0]), int(at[1] - label.size[1] / 2)
    canvas.paste((0, 0, 0), (x, y), label)


def line_chart(panels: Sequence[Panel], path: str | os.PathLike, panel_size: tuple[int, int] = PANEL) -> Path:
    """Draw ``panels`` side by side into the PNG ``path`` (written atomically) and return the path."""
    from PIL import Image
    from PIL import ImageDraw

    s = SUPERSAMPLE
    width, height = panel_size
    canvas = Image.new("RGB", (width * s * max(1, len(panels)), height * s), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font, small = _font(FONT * s + s), _font(FONT * s - s)
    crowded = max((len(panel.series) for panel in panels), default=0) > CROWDED
    for i, panel in enumerate(panels):
        _draw_panel(canvas, draw, panel, (i * width * s, 0, (i + 1) * width * s, height * s), s, font, small,
                    legend=not crowded or i == len(panels) - 1)
    picture = canvas.resize((canvas.size[0] // s, canvas.size[1] // s), Image.Resampling.LANCZOS)
    with atomic_path(path) as tmp:
        picture.save(tmp, **FIGURE_PNG)
    return Path(path)
