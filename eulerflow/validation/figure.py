"""The figure of a validation report: reference, method, difference per time; metrics vs time.

One row of three panels per time with an output (on the problem's bins): the reference, the
method's histogram or density on one shared colour scale, and their difference on a symmetric
scale (method minus reference). A last panel draws the binned metrics against time (log scale)
with the sampling floor shaded (``floor +- 2 std``); without binned metrics (density or values)
it draws the report's metrics. In 1D the fields are curves; in 3D the panels show the marginal
over the last axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .report import ValidationReport

_BINNED = ("binned_l1", "binned_kl", "w2")
_LABELS = {"samples": "histogram", "density": "density", "values": "values"}


def report_figure(report: ValidationReport) -> Figure:
    """Draw ``report`` (see the module docstring); returns a matplotlib Figure (no pyplot)."""
    shown = [k for k in range(len(report.times)) if np.all(np.isfinite(report.output[k]))]
    ndim = report.bins.ndim
    rows = len(shown) + 1
    figure = Figure(figsize=(14.0, 3.4 * len(shown) + 3.6), layout="constrained")
    figure.get_layout_engine().set(w_pad=0.08, wspace=0.04)
    grid = figure.add_gridspec(rows, 3, height_ratios=[1.0] * len(shown) + [1.05])
    reference, output, bins = _planar(report)
    field = "values" if report.kind == "values" else "density"
    for row, k in enumerate(shown):
        t = report.times[k]
        axes = [figure.add_subplot(grid[row, j]) for j in range(3)]
        ref, out = reference[k], output[k]
        diff = out - ref
        if ndim == 1:
            _curves(axes, bins, ref, out, diff, t, report.kind, field)
            continue
        low = min(ref.min(), out.min()) if report.kind == "values" else 0.0
        high = max(ref.max(), out.max())
        span = float(np.abs(diff).max()) or 1.0
        name = _LABELS[report.kind]
        _image(axes[0], ref, bins, f"reference, t = {t:g}", "viridis", low, high)
        image = _image(axes[1], out, bins, f"{name}, t = {t:g}", "viridis", low, high)
        figure.colorbar(image, ax=axes[1], label=f"{field} (both panels)", shrink=0.9)
        image = _image(axes[2], diff, bins, f"difference, t = {t:g}", "RdBu_r", -span, span)
        figure.colorbar(image, ax=axes[2], label=f"{name} - reference", shrink=0.9)
    _metric_panel(figure.add_subplot(grid[rows - 1, :]), report)
    marginal = " (marginals over z)" if ndim == 3 else ""
    figure.suptitle(f"eulerflow validation: {report.problem}, {report.kind}{marginal}")
    return figure


def _planar(report: ValidationReport):
    """The fields with at most two space axes (3D: the marginal over the last axis)."""
    bins = report.bins
    if bins.ndim <= 2:
        return report.reference, report.output, bins
    from ..grid import Grid

    h = bins.spacing[2]
    plane = Grid(bins.shape[:2], bins.bounds[:2], bins.periodic[:2])
    return report.reference.sum(axis=-1) * h, report.output.sum(axis=-1) * h, plane


def _image(ax, data, bins, title, cmap, low, high):
    (x0, x1), (y0, y1) = bins.bounds
    image = ax.imshow(
        data.T,
        origin="lower",
        extent=(x0, x1, y0, y1),
        cmap=cmap,
        vmin=low,
        vmax=high,
        interpolation="nearest",
    )
    _inside_title(ax, title)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return image


def _inside_title(ax, title: str) -> None:
    """The panel's title, written inside its top edge on a white box."""
    ax.set_title(
        title,
        y=1.0,
        pad=-15,
        fontsize=9,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5},
    )


def _curves(axes, bins, ref, out, diff, t, kind, field) -> None:
    x = bins.axis_centers(0)
    axes[0].step(x, ref, where="mid", color="k")
    axes[1].step(x, ref, where="mid", color="k", lw=0.8, label="reference")
    axes[1].step(x, out, where="mid", color="C0", label=_LABELS[kind])
    axes[1].legend(fontsize=8, loc="lower right")
    axes[2].axhline(0.0, color="0.6", lw=0.8)
    axes[2].step(x, diff, where="mid", color="C3")
    titles = (f"reference, t = {t:g}", f"{_LABELS[kind]}, t = {t:g}", f"difference, t = {t:g}")
    for ax, title, label in zip(axes, titles, (field, field, "difference"), strict=True):
        _inside_title(ax, title)
        ax.set_xlabel("x")
        ax.set_ylabel(label)
    low = min(ref.min(), out.min(), 0.0)
    high = max(ref.max(), out.max())
    for ax in axes[:2]:
        ax.set_ylim(low, high + 0.15 * (high - low or 1.0))


def _metric_panel(ax, report: ValidationReport) -> None:
    names = [m for m in report.metrics if m in _BINNED] or list(report.metrics)
    for i, metric in enumerate(names):
        rows = [row for row in report.rows if row.metric == metric]
        t = np.array([row.t for row in rows])
        value = np.array([row.value for row in rows])
        colour = f"C{i}"
        ax.plot(t, value, "o-", color=colour, label=metric)
        with_floor = [row for row in rows if row.floor is not None]
        if with_floor:
            tf = np.array([row.t for row in with_floor])
            floor = np.array([row.floor for row in with_floor])
            spread = 2 * np.array([row.floor_std for row in with_floor])
            ax.fill_between(
                tf,
                np.maximum(floor - spread, floor * 1e-3),
                floor + spread,
                color=colour,
                alpha=0.2,
                lw=0,
            )
            ax.plot(tf, floor, "--", color=colour, lw=0.9)
    floors = any(row.floor is not None for row in report.rows if row.metric in names)
    positive = [row.value for row in report.rows if row.metric in names and row.value > 0]
    if positive:
        ax.set_yscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("metric")
    ax.legend(
        title="lines: value; dashed: floor; band: floor +- 2 std" if floors else None,
        fontsize=8,
        title_fontsize=8,
        loc="lower right",
        ncols=len(names),
    )
    _inside_title(ax, "metrics vs time")
    ax.margins(y=0.2)
    ax.grid(alpha=0.3, which="both")
