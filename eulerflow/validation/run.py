"""``eulerflow.validate``: score a method's output against a problem's grid reference."""

from __future__ import annotations

import dataclasses
import importlib.util
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._version import __version__
from ..metrics import w2_squared_error
from ..metrics.inputs import coarse_grid, positive_count
from ..metrics.optional import require_pot
from ..problems import Problem, get
from ..progress import progress_bar
from .outputs import as_series, check_density, check_samples, check_values, is_pair
from .report import ValidationReport
from .rows import Row
from .scoring import (
    EXACT_W2_ENTRIES,
    KERNEL_SAMPLES,
    METRICS,
    N_FLOOR_CHEAP,
    N_FLOOR_OTHER,
    Setup,
    binned_field,
    binned_samples,
    score_density,
    score_samples,
    score_values,
)


def validate(
    problem: str | Problem,
    *,
    samples=None,
    density=None,
    values=None,
    t=None,
    metrics: Sequence[str] | str | None = None,
    resolution: int | None = None,
    n_floor: int | None = None,
    rng=None,
    w2_squared: float | None = None,
    progress: bool | None = None,
) -> ValidationReport:
    """Score a method's output against the grid reference of a benchmark problem.

    Give one of ``samples``, ``density`` (problems whose solution is a density) or ``values``
    (Hamilton-Jacobi problems), at one or several of the problem's times. Every metric comes
    with its finite-sample floor where sampling noise exists: the same metric for as many
    exact samples of the reference, so that a value above ``floor + 3 floor_std`` is an error
    of the method, not noise.

    Metrics (the names for ``metrics``; all of the kind by default):

    - samples: ``binned_l1`` (twice the total variation of the binned measures) and
      ``binned_kl`` (symmetric KL) on the problem's ``bins`` per axis (``resolution // bins``
      cells per bin), floor by multinomial resampling; ``mean_error`` ``|xbar - m|`` and
      ``cov_error`` ``||S - C||_F``, floor by resampling ``n`` points of the reference; ``w2``,
      exact discrete OT against the bin centres for small ``n`` (``n * bins <= 2^20``), binned
      on the bins otherwise (needs POT: without it ``w2`` is skipped with a note, unless asked
      for by name); ``mmd2`` (Gaussian kernel, the problem's ``bandwidth``) and
      ``energy_distance`` on a random subsample of at most 1000 samples against the bin
      centres (their cost grows like ``n^2``). Samples outside the box are counted in
      ``n_outside`` and enter every metric (an "outside" bin of reference mass 0 for the binned
      metrics; see :mod:`eulerflow.metrics`).
    - density: ``density_l1``, ``density_l2`` and ``relative_entropy`` ``KL(rho || ref)``.
    - values: ``values_l1``, ``values_l2`` and ``values_sup`` (largest cell-centre error).
    - ``w2_squared`` given: ``w2_squared_error``, the relative error of a transport cost
      against the problem's exact ``w2_squared()``, at the problem's last time.

    Parameters
    ----------
    problem : str or Problem
        A registered name (:func:`eulerflow.problems.names`) or a problem object.
    samples : array (n, d), mapping {t: array}, or sequence of arrays
        The method's samples: one array with a scalar ``t``; a mapping (all its times, or
        those in ``t``); a sequence (or a stacked array ``(T, n, d)``) with a sequence ``t``.
    density : array, mapping, sequence, callable or (Grid, array)
        The method's density at the same times: cell averages of the reference grid's shape
        (a stacked ``(T, *shape)`` with a sequence ``t``), a callable ``pdf(*coords)``
        evaluated at the reference cell centres (point values standing for cell averages), or
        a pair ``(grid, array)`` for cell averages on another grid (remapped conservatively).
    values : array, mapping, sequence or callable
        Hamilton-Jacobi values at the reference cell centres (like ``density``, no pairs).
    t : float or sequence of float, optional
        Times, each one of ``problem.times``. Default: the keys of a mapping, or the
        problem's only time.
    metrics : str or sequence of str, optional
        A subset of the metrics above (default: all of the kind).
    resolution : int, optional
        Cells per axis of the reference (default ``problem.resolution``; a multiple of
        ``problem.bins``).
    n_floor : int, optional
        Floor repetitions of every metric (0: no floors). Default: 20 for the binned metrics
        and the moments (cheap), 10 for W2 and the kernels (each repetition costs as much as
        the value). The verdict ``value > floor + 3 std`` uses the spread of these few
        repetitions, itself uncertain: exact samples are flagged now and then (most often by
        the skewed kernel metrics), so read a single flag with care and more n_floor for a
        firmer verdict.
    rng : int, numpy.random.Generator or None
        Random source of the floors and subsamples; the seed used is in ``settings["seed"]``.
    w2_squared : float, optional
        A transport cost ``W2^2`` to score (problems with a ``w2_squared()`` method).
    progress : bool, optional
        Progress bars (reference computation, times); default: when stderr is a terminal.

    Returns
    -------
    ValidationReport

    Raises
    ------
    ValueError
        Several or none of ``samples``, ``density``, ``values``; an output the problem does not
        have (``values`` for a density problem...); times that are not the problem's; samples
        of the wrong dimension or with NaN; a density of the wrong shape; unknown metrics.
    TypeError
        ``problem`` is neither a name nor a Problem; an output that is not numeric.
    ImportError
        ``w2`` asked for by name without POT installed.

    Examples
    --------
    >>> import eulerflow as ef
    >>> problem = ef.problems.get("heat", resolution=32, bins=8, times=(0.5,))
    >>> x = problem.exact_samples(0.5, 2000, rng=1)
    >>> report = ef.validate(problem, samples=x, t=0.5, metrics=["binned_l1"], rng=0)
    >>> report.row(0.5, "binned_l1").above_floor
    False
    """
    problem = _problem(problem)
    kind, output = _output(problem, samples, density, values, w2_squared)
    n = problem.resolution if resolution is None else _resolution(resolution, problem)
    chosen, notes = _metrics(kind, metrics)
    repetitions = None if n_floor is None else positive_count(n_floor, "n_floor", allow_zero=True)
    seed = _seed(rng)
    grid = problem.grid(n)
    bins, coarsen = coarse_grid(grid, n // problem.bins)
    setup = Setup(grid, bins, coarsen, float(problem.bandwidth), repetitions)

    items: dict[float, Any] = {}
    if kind == "samples":
        items = check_samples(as_series(output, t, problem, "samples"), grid)
    elif kind == "density":
        items = check_density(as_series(output, t, problem, "density"), grid)
        if any(callable(v) for v in _raw(output)):
            notes.append("density given as a callable: evaluated at the reference cell centres")
    elif kind == "values":
        items = check_values(as_series(output, t, problem, "values"), grid)
    extra: list[Row] = []
    if w2_squared is not None:
        extra.append(_transport_row(problem, w2_squared))
    times = sorted(set(items) | {row.t for row in extra})

    reference = problem.reference(resolution=n, progress=progress)
    rows: list[Row] = []
    ref_fields, out_fields = [], []
    seeds = dict(zip(times, seed.spawn(len(times)), strict=True))
    with progress_bar(len(items), progress, "validate", unit="time") as bar:
        for time in times:
            ref = reference[problem.time_index(time)]
            ref_fields.append(binned_field(ref, grid, setup))
            out_fields.append(np.full(bins.shape, np.nan))
            if time not in items:
                continue
            item = items[time]
            if kind == "samples":
                new = score_samples(item, ref, setup, chosen, seeds[time])
                out_fields[-1] = binned_samples(item, setup)
                outside = new[0].n_outside if new else 0
                if outside:
                    notes.append(
                        f"{outside} of {item.shape[0]} samples outside the box at t={time:g}"
                    )
            elif kind == "density":
                rho, rho_grid = item
                new = score_density(rho, rho_grid, ref, setup, chosen)
                out_fields[-1] = binned_field(rho, rho_grid, setup)
            else:
                new = score_values(item, ref, setup, chosen)
                out_fields[-1] = binned_field(item, grid, setup)
            rows += [dataclasses.replace(row, t=time) for row in new]
            bar.update(1)
    rows += extra
    rows.sort(key=lambda row: row.t)
    if kind == "samples" and any(r.details.get("of", 0) > KERNEL_SAMPLES for r in rows):
        notes.append(
            f"mmd2 and energy_distance use a random subsample of {KERNEL_SAMPLES} samples "
            "(their cost grows like n^2); their floors are for that many samples"
        )
    settings = {
        "resolution": n,
        "bins": problem.bins,
        "coarsen": list(coarsen),
        "n_floor": n_floor,
        "n_floor_cheap": N_FLOOR_CHEAP if n_floor is None else n_floor,
        "n_floor_other": N_FLOOR_OTHER if n_floor is None else n_floor,
        "kernel_samples": KERNEL_SAMPLES,
        "exact_w2_entries": EXACT_W2_ENTRIES,
        "metrics": list(chosen),
        "seed": seed.entropy,
        "eulerflow_version": __version__,
    }
    return ValidationReport(
        problem=problem.name,
        parameters=problem.parameters(),
        kind=kind,
        rows=tuple(rows),
        times=tuple(times),
        grid=grid,
        bins=bins,
        reference=np.array(ref_fields).reshape(len(times), *bins.shape),
        output=np.array(out_fields).reshape(len(times), *bins.shape),
        settings=settings,
        notes=tuple(notes),
    )


def _problem(problem) -> Problem:
    if isinstance(problem, Problem):
        return problem
    if isinstance(problem, str):
        return get(problem)
    raise TypeError(
        f"problem must be a problem name (eulerflow.problems.names()) or a Problem, got "
        f"{type(problem).__name__}"
    )


def _output(problem: Problem, samples, density, values, w2_squared) -> tuple[str, Any]:
    given = {k: v for k, v in {"samples": samples, "density": density, "values": values}.items()}
    given = {k: v for k, v in given.items() if v is not None}
    if len(given) > 1:
        raise ValueError(f"give one of samples, density or values, not {' and '.join(given)}")
    if not given:
        if w2_squared is None:
            raise ValueError(
                "nothing to validate: give samples, density or values (or w2_squared for a "
                "transport problem)"
            )
        return "transport", None
    kind, output = next(iter(given.items()))
    wanted = "values" if problem.output == "values" else ("samples", "density")
    if kind not in wanted:
        hint = "values" if problem.output == "values" else "samples or density"
        raise ValueError(
            f"problem {problem.name!r} is scored from {hint} (its solution is "
            f"{'a function' if problem.output == 'values' else 'a density'}), not from {kind}"
        )
    return kind, output


def _resolution(value, problem: Problem) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {value!r}")
    if value % problem.bins:
        raise ValueError(
            f"resolution={value} must be a multiple of the problem's bins={problem.bins}"
        )
    return int(value)


def _metrics(kind: str, metrics) -> tuple[tuple[str, ...], list[str]]:
    known = METRICS.get(kind, ())
    notes: list[str] = []
    if metrics is None:
        chosen = known
        if "w2" in chosen and not _has_pot():
            chosen = tuple(m for m in chosen if m != "w2")
            notes.append("w2 skipped: POT is not installed (pip install 'eulerflow[validate]')")
        return chosen, notes
    names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in names if m not in known]
    if unknown or not names:
        raise ValueError(
            f"metrics {unknown or names!r} are not metrics of {kind}; choose from {list(known)}"
        )
    if "w2" in names:
        require_pot("validate(metrics=['w2'])")
    return tuple(m for m in known if m in names), notes


def _has_pot() -> bool:
    """Whether POT (``ot``) can be imported."""
    return importlib.util.find_spec("ot") is not None


def _seed(rng) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.SeedSequence(rng)
    raise TypeError(f"rng must be None, an int or a numpy.random.Generator, got {rng!r}")


def _raw(output) -> list:
    if isinstance(output, dict):
        return list(output.values())
    if isinstance(output, list | tuple) and not is_pair(output):
        return list(output)
    return [output]


def _transport_row(problem: Problem, w2_squared) -> Row:
    exact = getattr(problem, "w2_squared", None)
    if not callable(exact):
        raise ValueError(
            f"w2_squared: problem {problem.name!r} has no exact transport cost (no w2_squared() "
            "method); it can be scored only on optimal-transport problems that have one"
        )
    return Row.from_score(
        problem.times[-1], "w2_squared_error", w2_squared_error(w2_squared, exact())
    )
