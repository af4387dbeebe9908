"""Ensembles of solves on Dask, written to one Zarr dataset: parameter sweeps and training data.

:func:`run` solves every member of an ensemble (a record of parameters, seeds included) on a
Dask cluster (a local one sized to this machine by default, or an existing one) and writes all
the results into one Zarr store with a ``member`` dimension; reruns resume, dead workers and
failing members do not stop the others. :func:`open` reads the dataset back lazily,
:func:`minibatches` in NumPy batches for training, :func:`validate` checks every chunk. The
generators draw random initial data for training sets (Gaussian random fields, Gaussian
mixtures, random potentials), reproducible from a seed.

Dask, Zarr and xarray are optional: ``pip install 'eulerflow[ensemble]'``; ``import eulerflow``
does not import them.
"""

from __future__ import annotations

from .cluster import connect, local_client
from .generators import gaussian_mixture, gaussian_random_field, random_potential
from .members import sized
from .reading import Validation, minibatches, open, validate
from .run import Summary, run

__all__ = [
    "Summary",
    "Validation",
    "connect",
    "gaussian_mixture",
    "gaussian_random_field",
    "local_client",
    "minibatches",
    "open",
    "random_potential",
    "run",
    "sized",
    "validate",
]
