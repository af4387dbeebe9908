"""eulerflow's Numba kernels cache in eulerflow's cache folder, never inside the package.

Numba's default for ``@njit(cache=True)`` is a ``__pycache__`` beside the source file: for an
installed eulerflow, files in ``site-packages/eulerflow/`` that pip does not uninstall, whose
leftover folder then shadows a later editable install (see :mod:`eulerflow.cache`). Every case
runs in a fresh interpreter with its own cache folder, so that it compiles from scratch and does
not depend on the developer's cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import eulerflow
from eulerflow.cache import cache_dir, numba_cache_dir

PACKAGE_DIR = Path(eulerflow.__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent

# A kernel from the backends (imported lazily, on first use) and the one that eulerflow.exact's
# Hopf-Lax formula calls (the backend's c-transform sweeps), then a function of the user's own, in
# a module of the user's, cached after eulerflow's.
SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    import eulerflow as ef
    from eulerflow.backends import get_backend

    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        x = np.random.default_rng(0).uniform(0.0, 1.0, (200, 1))
        rho = get_backend("numba").deposit(x, np.ones(200), [(0.0, 1.0)], (8,), (True,), "ngp")
        assert abs(rho.sum() / 8 - 200) < 1e-9, rho.sum()
        grid = ef.Grid(shape=(8,), bounds=((-1.0, 1.0),), periodic=False)
        ef.exact.hopf_lax(np.zeros(8), grid, 0.5)
    sys.path.insert(0, sys.argv[1])
    import user_module

    assert user_module.add_one(1.0) == 2.0
    print(json.dumps({"warnings": [str(w.message) for w in caught]}))
    """
)

USER_MODULE = textwrap.dedent(
    """
    from numba import njit

    @njit(cache=True)
    def add_one(x):
        return x + 1.0
    """
)


def _numba_files(folder: Path) -> dict[str, int]:
    """The Numba cache files under ``folder``, with their modification times."""
    if not folder.exists():
        return {}
    return {
        str(p): p.stat().st_mtime_ns
        for pattern in ("*.nbi", "*.nbc")
        for p in folder.rglob(pattern)
    }


def _run(tmp_path: Path, user_cache_dir: Path | None = None, **env_vars: str) -> dict:
    """Run SCRIPT with these environment variables; the user's function must be cached in
    ``user_cache_dir`` (default: Numba's in-tree ``__pycache__`` beside the user's module)."""
    user_dir = tmp_path / "user"
    user_dir.mkdir()
    (user_dir / "user_module.py").write_text(USER_MODULE)
    env = {
        k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "EULERFLOW_CACHE_DIR")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(env_vars)
    before = _numba_files(PACKAGE_DIR)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(user_dir)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert _numba_files(PACKAGE_DIR) == before, "Numba cache files written inside the package"
    # Numba's own place for the user's function, as without eulerflow.
    user_cache = {Path(p).name for p in _numba_files(user_cache_dir or user_dir / "__pycache__")}
    assert any(name.startswith("user_module.add_one-") for name in user_cache), user_cache
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kernel_modules(folder: Path) -> set[str]:
    """The source modules (``particles``, ``c_transform``, ...) cached there."""
    return {Path(p).name.split(".")[0] for p in _numba_files(folder)}


def test_kernels_cache_in_eulerflow_cache_dir(tmp_path):
    root = tmp_path / "cache"
    result = _run(tmp_path, EULERFLOW_CACHE_DIR=str(root))
    assert result["warnings"] == []
    assert {"particles", "c_transform"} <= _kernel_modules(root / "numba")
    assert "user_module" not in _kernel_modules(root)


def test_numba_cache_dir_of_the_user_is_respected(tmp_path):
    numba_dir = tmp_path / "numba-cache"
    ours = tmp_path / "ours"
    _run(tmp_path, numba_dir, NUMBA_CACHE_DIR=str(numba_dir), EULERFLOW_CACHE_DIR=str(ours))
    assert {"particles", "c_transform"} <= _kernel_modules(numba_dir)
    assert _numba_files(ours) == {}


def test_unwritable_cache_dir_warns_and_runs(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder below a file cannot be created, not even by root
    result = _run(tmp_path, EULERFLOW_CACHE_DIR=str(blocker / "cache"))
    assert len(result["warnings"]) == 1, result
    assert "cannot write the Numba cache folder" in result["warnings"][0]


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("EULERFLOW_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    assert numba_cache_dir() == tmp_path / "explicit" / "numba"
    monkeypatch.delenv("EULERFLOW_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "eulerflow"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec asks
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "eulerflow"
