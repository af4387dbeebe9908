"""Time marching to a list of snapshot times, with adaptive steps and a progress bar.

The driver is shared by the explicit solvers: the caller supplies the largest stable step at the
current state and the update itself; the driver shortens steps to land exactly on every snapshot
time, records snapshots, checks the state for non-finite or negative values at every snapshot
(an unstable setting is reported, never returned silently) and shows a tqdm progress bar.

The elapsed time is a compensated (Neumaier) sum of the steps, so it does not drift with the
number of steps. A step after which at most ``SNAP_FRACTION * dt`` plus ``SNAP_ULPS`` ulp of the
snapshot time remain lands on the snapshot time: that remainder is round-off, and taking it as a
spurious tiny step would, for example, restart a multistep method. No step exceeds ``max_step``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import UnstableSolutionError


def snapshot_times(t_final: float, t_eval: Sequence[float] | None) -> np.ndarray:
    """Validated snapshot times: ``[0, t_final]`` by default, else sorted ``t_eval``."""
    if not (isinstance(t_final, int | float | np.floating) and math.isfinite(t_final)):
        raise ValueError(f"t_final must be a finite number, got {t_final!r}")
    if t_final <= 0:
        raise ValueError(f"t_final must be positive, got {t_final!r}")
    if t_eval is None:
        return np.array([0.0, float(t_final)])
    times = np.asarray(t_eval, dtype=float).ravel()
    if times.size == 0:
        raise ValueError("t_eval must contain at least one time")
    if not np.all(np.isfinite(times)) or times[0] < 0 or times[-1] > t_final:
        raise ValueError(f"t_eval must lie in [0, t_final] = [0, {t_final}], got {t_eval!r}")
    if np.any(np.diff(times) <= 0):
        raise ValueError("t_eval must be strictly increasing")
    return times


def progress_enabled(progress: bool | None) -> bool:
    """``progress=None`` shows the bar only when standard error is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def progress_bar(total: float, progress: bool | None, description: str = "", **options):
    """A tqdm bar, or a disabled one; ``tqdm.auto`` (notebook widgets) is imported only when shown.

    ``options`` go to ``tqdm`` (``unit``, ``bar_format``, ...).
    """
    if progress_enabled(progress):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=description, **options)
    from tqdm.std import tqdm

    return tqdm(total=total, disable=True)


SNAP_FRACTION = 1e-9
"""A step that leaves at most this fraction of itself (plus :data:`SNAP_ULPS` ulp of the target)
before a snapshot time lands on it: the rest is round-off, not a step to take."""
SNAP_ULPS = 8


def _add(t: float, carry: float, dt: float) -> tuple[float, float]:
    """``(t + carry) + dt`` as a new pair ``(t, carry)``: ``t`` is the elapsed time rounded to
    the nearest float and ``carry`` the round-off it leaves (a two-sum), so ``t`` stays within an
    ulp of the exact sum of the steps whatever their number (a plain running sum of ``n`` equal
    steps drifts by up to ``n`` ulp)."""
    total = t + dt
    if abs(t) >= abs(dt):
        carry += (t - total) + dt
    else:
        carry += (dt - total) + t
    rounded = total + carry
    return rounded, carry - (rounded - total)


@dataclass
class MarchRecord:
    """What :func:`march` collected."""

    snapshots: list = field(default_factory=list)
    n_steps: int = 0
    dt_min: float = math.inf
    dt_max: float = 0.0
    wall_time: float = 0.0


def march(
    state,
    times: np.ndarray,
    max_step: Callable[[float, object], float],
    advance: Callable[[object, float, float], object],
    snapshot: Callable[[object], object],
    check: Callable[[object], str | None],
    progress: bool | None = None,
    description: str = "",
) -> MarchRecord:
    """Advance ``state`` from ``t = 0`` through all snapshot ``times``.

    Parameters
    ----------
    state
        Initial state (for example a density array).
    times : array
        Increasing snapshot times in ``[0, t_final]``.
    max_step : callable ``(t, state) -> dt``
        Largest stable step from ``t``; ``inf`` allowed (nothing moves).
    advance : callable ``(state, t, dt) -> state``
        One time step.
    snapshot : callable ``(state) -> object``
        Copy of the state to keep (called at every snapshot time).
    check : callable ``(state) -> str or None``
        A message when the state is invalid (non-finite, negative); it raises
        :class:`UnstableSolutionError` with that message.
    progress : bool or None
        Show a progress bar (None: only on a terminal).
    description : str
        Label of the progress bar.
    """
    record = MarchRecord()
    t_final = float(times[-1])
    start = time.perf_counter()
    t, carry = 0.0, 0.0  # the elapsed time is t + carry (compensated sum of the steps)
    with progress_bar(
        t_final,
        progress,
        description,
        unit="t",
        bar_format="{l_bar}{bar}| t={n:.4g}/{total:.4g} [{elapsed}<{remaining}]",
    ) as bar:
        for target in times:
            target = float(target)
            resolution = SNAP_ULPS * math.ulp(target)
            while (target - t) - carry > 0:
                dt = min(float(max_step(t, state)), (target - t) - carry)
                if not dt > 0:
                    raise UnstableSolutionError(f"time step collapsed to {dt!r} at t={t:.6g}")
                state = advance(state, t, dt)
                t_old = t
                t, carry = _add(t, carry, dt)
                if (target - t) - carry <= SNAP_FRACTION * dt + resolution:
                    t, carry = target, 0.0
                record.n_steps += 1
                record.dt_min = min(record.dt_min, dt)
                record.dt_max = max(record.dt_max, dt)
                bar.update(t - t_old)
            message = check(state)
            if message:
                raise UnstableSolutionError(f"at t={t:.6g}: {message}")
            record.snapshots.append(snapshot(state))
    record.wall_time = time.perf_counter() - start
    return record
