"""The result of a JKO run: :class:`JKOSolution`, snapshots plus per-step diagnostics."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ..arrays import to_numpy
from ..results import Solution
from ..results.base import read_series, series_variables

if TYPE_CHECKING:
    import xarray as xr

STEP_SERIES = (
    "energy",
    "cost",
    "n_iter",
    "converged",
    "residual",
    "transport_residual",
    "wall_time",
)
"""The per-step diagnostics of every JKO run, in :attr:`JKOSolution.steps`."""

_PREFIX = "step_"


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class JKOSolution(Solution):
    """Snapshots of a JKO run (``t = k tau``) and diagnostics of every step.

    A :class:`~eulerflow.Solution` (field ``"rho"``, equation ``"jko"``, per-snapshot
    diagnostics ``mass`` and ``energy``) with one more mapping, ``steps``, of series over the
    steps ``k = 1, ..., n_steps``:

    - ``energy``: ``E(rho_k)`` after the step;
    - ``cost``: ``W2^2(rho_{k-1}, rho_k) / (2 tau)``, the step's transport cost;
    - ``n_iter``: inner iterations; ``converged``: 1 if the inner solver met its tolerance;
    - ``residual``: the relative optimality residual of ``phi + tau dE/drho(rho_k) = C`` on the
      support (``eulerflow.jko_scheme.step.optimality_residual``; round-off by construction
      for ``"back-and-forth"``);
    - ``transport_residual``: the relative L1 mismatch between ``rho_k`` and the transport image
      of ``rho_{k-1}`` that the method reports (NaN for ``"dynamic"``, which imposes the
      continuity equation exactly; see ``eulerflow.jko_scheme.step``);
    - ``wall_time``: seconds spent in the step.

    Parameters
    ----------
    steps : dict of str to array, shape (n_steps,)
        The per-step series above.

    Examples
    --------
    Four heat-flow steps, keeping every other snapshot: ``steps`` still has one value per
    step.

    >>> import eulerflow as ef
    >>> grid = ef.Grid(32, (-4, 4))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=1.0, cov=0.5)
    >>> sol = ef.jko(rho0, grid, ef.energies.Entropy(), 0.05, 4, every=2, backend="numpy")
    >>> [round(t, 12) for t in sol.t.tolist()], sol.tau, sol.steps["cost"].shape
    ([0.0, 0.1, 0.2], 0.05, (4,))
    >>> sol.converged
    True
    """

    steps: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        steps = {str(k): np.asarray(to_numpy(v)) for k, v in self.steps.items()}
        for name, series in steps.items():
            if series.shape != (self.n_steps,):
                raise ValueError(
                    f"steps[{name!r}] has shape {series.shape}, but needs one value per step, "
                    f"shape ({self.n_steps},)"
                )
        object.__setattr__(self, "steps", steps)

    @property
    def converged(self) -> bool:
        """Whether every step's inner solver met its tolerance."""
        return bool(np.all(self.steps.get("converged", np.ones(0)) > 0))

    @property
    def tau(self) -> float:
        """The JKO time step."""
        return float(self.parameters["tau"])

    def __repr__(self) -> str:
        return (
            f"JKOSolution(method={self.parameters.get('method')!r}, grid={self.grid!r}, "
            f"tau={self.parameters.get('tau')}, n_steps={self.n_steps}, "
            f"snapshots={self.t.size}, backend={self.backend!r}, "
            f"wall_time={self.wall_time:.3g} s, converged={self.converged}, status={self.status})"
        )

    def _content(self) -> tuple[dict, dict, dict]:
        """:meth:`Solution._content` plus the per-step series ``step_<name>`` over ``step``."""
        data_vars, coords, attrs = super()._content()
        data_vars.update(series_variables(self.steps, "step", prefix=_PREFIX))
        coords["step"] = np.arange(1, self.n_steps + 1)
        return data_vars, coords, attrs

    @classmethod
    def _from_content(cls, ds: xr.Dataset, common: dict) -> JKOSolution:
        step_names = [name for name in ds.data_vars if str(name).startswith(_PREFIX)]
        plain = ds.drop_vars([*step_names, "step"])
        base = Solution._from_content.__func__(Solution, plain, common)
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(Solution)}
        return cls(**fields, steps=read_series(ds, step_names, prefix=_PREFIX))
