"""The CuPy GPU backend, one module per capability; importable without CuPy.

- :mod:`.backend`: :class:`~.backend.CupyBackend` (imports CuPy when created), which routes every
  kernel of the contract to the capability modules below;
- :mod:`.availability`: :func:`~.availability.cupy_unavailable_reason` (CuPy, a GPU, NVRTC);
- :mod:`.transport`: CUDA source and launch of the MUSCL-upwind transport update;
- :mod:`.hamilton_jacobi`: CUDA source and launches of ``hj_derivatives`` and ``hj_update``;
- :mod:`.fokker_planck`: CUDA source and launch of the Scharfetter-Gummel update;
- :mod:`.particles`: CUDA source and launches of the particle deposit and interpolation;
- :mod:`.benamou_brenier`: CUDA source and launches of the staggered space-time kernels (``bb_*``);
- :mod:`.compile`: the leaf they share: NVRTC options, the dtype -> C type table, the per-device
  cache of compiled modules, the launch geometry and the launch.

The CUDA sources are plain strings: the capability modules import neither CuPy nor each other.
"""
