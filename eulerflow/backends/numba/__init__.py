"""The Numba CPU backend, one module per capability (imported lazily by the registry).

- :mod:`.backend`: :class:`~.backend.NumbaBackend`, which routes every kernel of the contract to
  the capability modules below;
- :mod:`.transport`: MUSCL-upwind transport update (``transport_update``);
- :mod:`.hamilton_jacobi`: one-sided derivatives and fused update (``hj_derivatives``,
  ``hj_update``);
- :mod:`.fokker_planck`: Scharfetter-Gummel update (``fokker_planck_update``);
- :mod:`.particles`: particle deposit and interpolation (``deposit``, ``interpolate``);
- :mod:`.benamou_brenier`: the staggered space-time kernels (``bb_*``) but the Poisson solve;
- :mod:`.poisson`: the space-time Poisson solve (``bb_poisson``);
- :mod:`.jit`: the leaf they share: ``@njit`` settings, index wrapping, chunks, dtype check.

Importing this package imports neither Numba nor the kernels; it points the on-disk caches of
eulerflow's compiled kernels to the user cache folder (:mod:`eulerflow.cache`), before any of
them is compiled, so that nothing is written inside an installed package.
"""

from ...cache import use_for_numba_kernels

use_for_numba_kernels()
