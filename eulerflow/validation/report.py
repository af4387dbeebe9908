"""The result of :func:`eulerflow.validate`: rows of metrics with floors, and the fields to plot.

A :class:`ValidationReport` prints as a fixed-width table, converts to pandas and xarray, saves
to JSON (table, metadata and the binned fields, plain text) or netCDF (an xarray Dataset:
``value``, ``floor``, ``floor_std``, ``n``, ``n_outside``, ``above_floor`` with dims
``(time, metric)``, and the binned fields with dims ``(time, x, y, ...)``), and loads back
from either.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from .._version import __version__
from ..grid import Grid
from .rows import SPREADS, Row, plain

SUFFIXES = (".json", ".nc")
_FORMAT = "eulerflow-validation-report"


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """How far a method's output is from a problem's grid reference, metric by metric.

    Attributes
    ----------
    problem : str
        The problem's name.
    parameters : Mapping
        The problem's parameters (:meth:`eulerflow.problems.Problem.parameters`).
    kind : str
        What was scored: ``"samples"``, ``"density"`` or ``"values"``.
    rows : tuple of Row
        Every metric at every time (``eulerflow.validation.rows.Row``), in time order.
    times : tuple of float
        The times scored.
    grid : Grid
        The reference grid.
    bins : Grid
        The grid of the binned fields below (the problem's bins).
    reference : numpy.ndarray, shape (len(times), ``*bins.shape``)
        The reference density (or values) averaged over the bins.
    output : numpy.ndarray, shape (len(times), ``*bins.shape``)
        The method's output on the same bins: the histogram of its samples (density
        ``N_b / (n |bin|)``) or its density / values averaged over the bins.
    settings : Mapping
        How the report was made (resolution, floor repetitions, seed, kernel subsample, the
        eulerflow version).
    notes : tuple of str
        What the reader should know (skipped metrics and why).

    Examples
    --------
    Score exact samples of the heat problem, then save the report to JSON and load it back:

    >>> import os, tempfile, eulerflow as ef
    >>> problem = ef.problems.get("heat", resolution=32, bins=8, times=(0.5,))
    >>> x = problem.exact_samples(0.5, 2000, rng=1)
    >>> report = ef.validate(problem, samples=x, t=0.5, metrics=["binned_l1"], rng=0)
    >>> report.kind, report.metrics, report.output.shape, report.above_floor
    ('samples', ('binned_l1',), (1, 8, 8), False)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = ef.ValidationReport.load(report.save(os.path.join(tmp, "report.json")))
    >>> back.row(0.5, "binned_l1").value == report.row(0.5, "binned_l1").value
    True
    """

    problem: str
    parameters: Mapping
    kind: str
    rows: tuple[Row, ...]
    times: tuple[float, ...]
    grid: Grid
    bins: Grid
    reference: np.ndarray
    output: np.ndarray
    settings: Mapping = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", MappingProxyType(plain(dict(self.parameters))))
        object.__setattr__(self, "settings", MappingProxyType(plain(dict(self.settings))))
        object.__setattr__(self, "rows", tuple(self.rows))
        object.__setattr__(self, "times", tuple(float(t) for t in self.times))
        object.__setattr__(self, "notes", tuple(self.notes))
        for name in ("reference", "output"):
            arr = np.array(getattr(self, name), dtype=float)
            if arr.shape != (len(self.times), *self.bins.shape):
                raise ValueError(
                    f"{name} has shape {arr.shape}, expected {(len(self.times), *self.bins.shape)}"
                )
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    # -- reading ---------------------------------------------------------------------------------
    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics in the report, in their order."""
        return tuple(dict.fromkeys(row.metric for row in self.rows))

    def row(self, t: float, metric: str) -> Row:
        """The row of ``metric`` at ``t`` (``KeyError`` if there is none)."""
        for row in self.rows:
            if row.metric == metric and math.isclose(row.t, float(t), rel_tol=1e-9, abs_tol=0):
                return row
        raise KeyError(f"no row for metric {metric!r} at t={t!r}; metrics: {self.metrics}")

    @property
    def above_floor(self) -> bool:
        """Whether any metric lies above its sampling floor (``value > floor + 3 floor_std``)."""
        return any(row.above_floor for row in self.rows)

    def combined(self) -> dict[str, float]:
        """Per metric, the excesses over the floor combined over the times (Stouffer's sum).

        With ``z_t = (value_t - floor_t) / floor_std_t`` at each of the ``T`` times,

            Z = (z_1 + ... + z_T) / sqrt(T),

        which is about standard normal for exact samples when the samples at different times
        are independent draws (Stouffer et al. 1949; the floors' spreads are themselves
        estimated from the floor repetitions). An error present at every time adds up, so a
        wrong model is seen with fewer samples than at any single time; the verdict is
        ``Z > 3``. Samples of one particle cloud followed in time are correlated between the
        times, which widens the spread of ``Z`` for exact samples: read it with care then.
        Metrics without a floor (densities, values, transport costs) are left out.

        References
        ----------
        .. [1] S. A. Stouffer, E. A. Suchman, L. C. DeVinney, S. A. Star and R. M. Williams,
           *The American Soldier, Vol. 1: Adjustment During Army Life*, Princeton University
           Press (1949).
        """
        excesses: dict[str, list[float]] = {}
        for row in self.rows:
            if row.floor is not None and row.floor_std:
                excesses.setdefault(row.metric, []).append(row.excess)
        return {metric: sum(z) / math.sqrt(len(z)) for metric, z in excesses.items()}

    # -- text ------------------------------------------------------------------------------------
    def table(self) -> str:
        """A fixed-width table: time, metric, value, floor +- std, n, outside, method, verdict.

        The verdict is ``above floor`` when ``value > floor + 3 std``, ``at floor`` otherwise,
        and blank for metrics without a floor.
        """
        header = ("t", "metric", "value", "floor +- std", "n", "outside", "method", "verdict")
        lines = [header]
        for row in self.rows:
            floor = "" if row.floor is None else f"{row.floor:.4g} +- {row.floor_std:.2g}"
            verdict = {True: "ABOVE FLOOR", False: "at floor", None: ""}[row.above_floor]
            lines.append(
                (
                    f"{row.t:g}",
                    row.metric,
                    f"{row.value:.4g}",
                    floor,
                    "" if row.n is None else str(row.n),
                    str(row.n_outside) if row.n is not None else "",
                    row.method,
                    verdict,
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        right = {0, 2, 4, 5}
        text = [
            "  ".join(
                cell.rjust(w) if i in right else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            for line in lines
        ]
        text.insert(1, "-" * len(text[0]))
        title = f"eulerflow validation: problem {self.problem!r}, {self.kind}"
        rule = f"verdict: above floor when value > floor + {SPREADS:g} std of the floor"
        lines = [title, *text, rule]
        combined = self.combined()
        if len(self.times) > 1 and combined:
            lines.append(
                f"over the {len(self.times)} times, (value - floor) / std combined "
                f"(sum / sqrt(T); above floor when > {SPREADS:g}):"
            )
            width = max(len(metric) for metric in combined)
            for metric, z in combined.items():
                verdict = "ABOVE FLOOR" if z > SPREADS else "at floor"
                lines.append(f"  {metric.ljust(width)}  {z:6.1f}  {verdict}")
        return "\n".join([*lines, *(f"note: {note}" for note in self.notes)])

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (
            f"ValidationReport(problem={self.problem!r}, kind={self.kind!r}, "
            f"times={list(self.times)}, metrics={list(self.metrics)})"
        )

    # -- conversions -----------------------------------------------------------------------------
    def to_dataframe(self):
        """The rows as a :class:`pandas.DataFrame` (one row per time and metric; ``details``
        as a column of dicts)."""
        import pandas as pd

        columns = [f.name for f in fields(Row)]
        return pd.DataFrame(
            [{name: getattr(row, name) for name in columns} for row in self.rows], columns=columns
        ).assign(details=[dict(row.details) for row in self.rows])

    def to_xarray(self):
        """An :class:`xarray.Dataset`: ``value``, ``floor``, ``floor_std``, ``n``, ``n_outside``
        and ``above_floor`` with dims ``(time, metric)`` (NaN / -1 where a metric has no entry),
        the binned ``reference`` and ``output`` with dims ``(time, x, y, ...)`` on the bin
        centres, and the metadata as JSON attributes."""
        import xarray as xr

        metrics = list(self.metrics)
        shape = (len(self.times), len(metrics))
        tables = {name: np.full(shape, np.nan) for name in ("value", "floor", "floor_std")}
        counts = {name: np.full(shape, -1, dtype=np.int64) for name in ("n", "n_outside")}
        above = np.full(shape, -1, dtype=np.int8)
        for row in self.rows:
            i, j = self._time_position(row.t), metrics.index(row.metric)
            for name in tables:
                value = getattr(row, name)
                tables[name][i, j] = np.nan if value is None else value
            for name in counts:
                value = getattr(row, name)
                counts[name][i, j] = -1 if value is None else value
            above[i, j] = -1 if row.above_floor is None else int(row.above_floor)
        dims = ("time", "metric")
        space = self.bins.axis_names
        data = {name: (dims, table) for name, table in {**tables, **counts}.items()}
        data["above_floor"] = (dims, above, {"meaning": "1 above floor, 0 at floor, -1 no floor"})
        data["reference"] = (("time", *space), self.reference)
        data["output"] = (("time", *space), self.output)
        coords = {"time": list(self.times), "metric": metrics}
        coords.update({name: self.bins.axis_centers(a) for a, name in enumerate(space)})
        return xr.Dataset(data, coords=coords, attrs={"eulerflow": json.dumps(self._metadata())})

    def _time_position(self, t: float) -> int:
        return min(range(len(self.times)), key=lambda i: abs(self.times[i] - t))

    def _metadata(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "eulerflow_version": __version__,
            "problem": self.problem,
            "parameters": dict(self.parameters),
            "kind": self.kind,
            "times": list(self.times),
            "grid": self.grid.to_dict(),
            "bins": self.bins.to_dict(),
            "settings": dict(self.settings),
            "notes": list(self.notes),
            "rows": [row.to_dict() for row in self.rows],
        }

    # -- files -----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the report: ``.json`` (metadata, table rows and binned fields as lists) or
        ``.nc`` (:meth:`to_xarray`, netCDF4 via h5netcdf). Returns the path."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise ValueError(f"path must end in .json or .nc, got {path.name!r}")
        if suffix == ".json":
            content = {
                **self._metadata(),
                "reference": self.reference.tolist(),
                "output": self.output.tolist(),
            }
            path.write_text(json.dumps(content, indent=1))
        else:
            self.to_xarray().to_netcdf(path, engine="h5netcdf")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ValidationReport:
        """Read a report written by :meth:`save` (``.json`` or ``.nc``)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no report file at {str(path)!r}")
        suffix = path.suffix.lower()
        if suffix == ".json":
            try:
                content = json.loads(path.read_text())
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise ValueError(f"{str(path)!r} is not a JSON file: {err}") from None
            arrays = content
        elif suffix == ".nc":
            import xarray as xr

            ds = xr.load_dataset(path, engine="h5netcdf")
            content = json.loads(ds.attrs.get("eulerflow", "{}"))
            arrays = {"reference": ds["reference"].values, "output": ds["output"].values}
        else:
            raise ValueError(f"path must end in .json or .nc, got {path.name!r}")
        if not isinstance(content, dict) or content.get("format") != _FORMAT:
            raise ValueError(f"{str(path)!r} is not an eulerflow validation report")
        return cls(
            problem=content["problem"],
            parameters=content["parameters"],
            kind=content["kind"],
            rows=tuple(Row.from_dict(row) for row in content["rows"]),
            times=tuple(content["times"]),
            grid=Grid.from_dict(content["grid"]),
            bins=Grid.from_dict(content["bins"]),
            reference=np.asarray(arrays["reference"], dtype=float),
            output=np.asarray(arrays["output"], dtype=float),
            settings=content["settings"],
            notes=tuple(content["notes"]),
        )

    # -- figure ----------------------------------------------------------------------------------
    def plot(self, path: str | Path | None = None):
        """The figure of ``eulerflow.validation.figure.report_figure``; saved to ``path``
        when given. Returns the matplotlib Figure."""
        from .figure import report_figure

        figure = report_figure(self)
        if path is not None:
            figure.savefig(path, dpi=120)
        return figure
