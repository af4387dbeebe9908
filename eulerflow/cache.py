"""eulerflow's cache folder, and the Numba disk cache of eulerflow's kernels kept in it.

:func:`cache_dir` is one folder per user for everything eulerflow caches: ``$EULERFLOW_CACHE_DIR``
if set, else ``$XDG_CACHE_HOME/eulerflow``, else ``~/.cache/eulerflow``. The compiled Numba
kernels go into its ``numba/`` subfolder (:func:`numba_cache_dir`).

Why not Numba's default: for ``@njit(cache=True)`` Numba writes ``*.nbi`` and ``*.nbc`` files into
a ``__pycache__`` folder beside the source file. For an installed package that is
``site-packages/eulerflow/*/__pycache__``, files that pip did not install and therefore does not
uninstall: after ``pip install .`` and a run, a later ``pip install -e .`` leaves the folder
``site-packages/eulerflow/`` behind, and that folder, found on ``sys.path`` before the editable
install's finder, is imported as an empty namespace package (``cannot import name '__version__'
from 'eulerflow' (unknown location)``).

How: :func:`use_for_numba_kernels` puts a cache locator of our own, :class:`_EulerflowLocator`,
at the front of Numba's list of locators (``numba.core.caching.CacheImpl._locator_classes``). It
claims only the functions whose source file lies inside the eulerflow package and answers
"not mine" for every other one, so a user's own ``@njit(cache=True)`` functions are cached where
Numba would have put them without eulerflow. Numba asks the locators when the decorator runs, so
it has to be installed before a kernel module is imported (by the package
:mod:`eulerflow.backends.numba`, which holds every kernel module, and before the lazily compiled
kernel of :mod:`eulerflow.exact`) and it is installed once per process.

This was chosen over the other scoped way, setting ``numba.config.CACHE_DIR`` only while the kernel
modules are imported: several kernel modules are imported lazily, on a backend method's first call,
so every such import (and every later one) would need the same wrapper, and a function decorated
in another thread meanwhile would be redirected too. The locator list and the
``_SourceFileBackedLocatorMixin`` / ``_CacheLocator`` base classes are private to Numba, but they
have the same shape from Numba 0.59 (the oldest we support) to 0.68.

What is respected, and what happens when the folder cannot be used:

- ``NUMBA_CACHE_DIR`` (``numba.config.CACHE_DIR``) set by the user: the locator steps aside and
  Numba caches eulerflow's kernels there, as it would without eulerflow. So does
  ``NUMBA_CACHE_LOCATOR_CLASSES`` (newer Numba), which replaces the list altogether.
- The folder cannot be created or written (read-only home, a file in the way): one warning, and
  the kernels are cached in a private temporary folder that is removed when the process ends, so
  they are compiled once per process, as without a cache. (Stepping aside instead would hand them
  to Numba's next locator, which writes into the installed package, or, when that is not writable
  either, makes the decorator raise ``cannot cache function``.)
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings
from pathlib import Path

ENV_VAR = "EULERFLOW_CACHE_DIR"

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))


def cache_dir() -> Path:
    """eulerflow's cache folder (not created here): ``$EULERFLOW_CACHE_DIR`` if set, else
    ``$XDG_CACHE_HOME/eulerflow`` (an absolute ``XDG_CACHE_HOME`` only, as the XDG specification
    asks), else ``~/.cache/eulerflow``. Read on every call, so a change of the variables counts."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "eulerflow"
    return Path.home() / ".cache" / "eulerflow"


def numba_cache_dir() -> Path:
    """Where the compiled Numba kernels of eulerflow go: the ``numba/`` subfolder of
    :func:`cache_dir` (unless ``NUMBA_CACHE_DIR`` is set: see the module docstring)."""
    return cache_dir() / "numba"


def _in_package(path: str) -> bool:
    try:
        real = os.path.realpath(path)
        return os.path.commonpath([real, _PACKAGE_DIR]) == _PACKAGE_DIR
    except ValueError:  # another drive (Windows) or a placeholder name
        return False


_fallback_dir: str | None = None


def _temporary_dir() -> str:
    """One private temporary folder per process, removed at exit (see the module docstring)."""
    global _fallback_dir
    if _fallback_dir is None:
        _fallback_dir = tempfile.mkdtemp(prefix="eulerflow-numba-")
        atexit.register(shutil.rmtree, _fallback_dir, ignore_errors=True)
    return _fallback_dir


_warned = False


def _warn_once(problem: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"eulerflow: {problem}; its kernels are compiled anew in every process. "
            f"Set {ENV_VAR} to a writable folder to keep them.",
            RuntimeWarning,
            stacklevel=3,
        )


_locator_class = None


def _make_locator_class():
    from numba.core import caching, config

    class _EulerflowLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        """Numba cache locator for the functions defined in eulerflow's own source files."""

        def __init__(self, py_func, py_file, root=None):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            root = str(numba_cache_dir()) if root is None else root
            self._cache_path = os.path.join(root, self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if config.CACHE_DIR or not _in_package(py_file) or not os.path.exists(py_file):
                return None  # the user's NUMBA_CACHE_DIR, or not ours: Numba's own locators
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
                return self
            except OSError as err:
                _warn_once(f"cannot write the Numba cache folder {numba_cache_dir()} ({err})")
            try:
                self = cls(py_func, py_file, root=_temporary_dir())
                self.ensure_cache_path()
            except OSError:
                return None  # no temporary folder either: Numba's own locators decide
            return self

    return _EulerflowLocator


def use_for_numba_kernels() -> None:
    """Make Numba cache eulerflow's ``@njit(cache=True)`` kernels in :func:`numba_cache_dir`.

    Call before a module with such kernels is imported (their decorators pick the folder); calling
    again does nothing. Other functions' caches are left where Numba puts them.
    """
    global _locator_class
    if _locator_class is not None:
        return
    from numba.core import caching

    _locator_class = _make_locator_class()
    if _locator_class not in caching.CacheImpl._locator_classes:
        caching.CacheImpl._locator_classes.insert(0, _locator_class)
