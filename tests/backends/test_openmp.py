"""The OpenMP idle-spin default set by ``import eulerflow`` (eulerflow.backends.openmp)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from eulerflow.backends.openmp import SHORT_SPIN_COUNT, prefer_short_spin


@pytest.mark.parametrize(
    "given, expected",
    [
        ({}, SHORT_SPIN_COUNT),
        ({"GOMP_SPINCOUNT": "123"}, "123"),
        ({"OMP_WAIT_POLICY": "active"}, None),
    ],
)
def test_prefer_short_spin_respects_the_users_choice(monkeypatch, given, expected):
    for name in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    prefer_short_spin()
    assert os.environ.get("GOMP_SPINCOUNT") == expected


def test_import_sets_the_spin_before_numba_starts_its_threads():
    """A fresh interpreter: the variable is set by ``import eulerflow`` alone."""
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    code = "import os, eulerflow; print(os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == SHORT_SPIN_COUNT
