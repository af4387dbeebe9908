"""The kernels of the backend contract, one module per capability.

Each module documents its kernels once, with their formulas, and holds a class that
:class:`eulerflow.backends.base.Backend` inherits: the public methods that check the arguments
and allocate outputs, and the abstract private kernels (``_transport_update``, ...) that every
backend implements on validated arguments.

- :mod:`.transport`: ``transport_update``, ``transport_rate``;
- :mod:`.hamilton_jacobi`: ``hj_derivatives``, ``hj_update``;
- :mod:`.fokker_planck`: ``fokker_planck_update``, ``fokker_planck_rate``;
- :mod:`.particles`: ``deposit``, ``interpolate``;
- :mod:`.benamou_brenier`: the ``bb_*`` kernels and their argument checks (``face_shape``, ...);
- :mod:`.checks`: the checks shared by transport and Fokker-Planck (a leaf).
"""
