"""`eulerflow ensemble CONFIG.toml`: the configuration file, the members it describes, the
command on an existing scheduler, its summary and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow import ensemble
from eulerflow.cli import main
from eulerflow.ensemble.config import load_config, members_of, solve_of

CONFIG = """
problem = "fokker-planck"
members = 6
store = "cli.zarr"
seed = 10
chunk = 2

[grid]
shape = [16, 16]
bounds = [[-3, 3], [-3, 3]]

[initial]
kind = "gaussian_random_field"
length_scale = 0.8

[potential]
kind = "random"

[solver]
t_final = 0.1
t_eval = [0.0, 0.1]
dt = 0.02
backend = "numba"

[parameters]
diffusion = {loguniform = [0.1, 1.0]}
initial_amplitude = [0.5, 1.0]
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(CONFIG)
    return path


def test_members_and_solve_of_a_configuration(config):
    spec = load_config(config)
    records = members_of(spec)
    assert [r["seed"] for r in records] == list(range(10, 16))
    assert [r["initial_amplitude"] for r in records] == [0.5, 1.0] * 3
    assert all(0.1 <= r["diffusion"] <= 1.0 for r in records)
    assert members_of(spec) == records  # reproducible
    sol = solve_of(spec)(records[0])
    assert sol.rho.shape == (2, 16, 16) and sol.parameters["diffusion"] == records[0]["diffusion"]


def test_command_on_an_existing_scheduler(client, config, capsys):
    address = client.scheduler.address
    assert main(["ensemble", str(config), "--scheduler", address, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "6 done, 0 failed of 6" in out and "retried 0" in out and "members/s" in out
    ds = ensemble.open(config.parent / "cli.zarr")
    assert ds.rho.shape == (6, 2, 16, 16) and np.isfinite(ds.rho.values).all()
    assert main(["ensemble", str(config), "--scheduler", address, "--no-progress"]) == 0
    assert "6 already there, 0 solved now" in capsys.readouterr().out


def test_command_errors(config, tmp_path, capsys):
    assert (
        main(["ensemble", str(config), "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1"]) == 1
    )
    assert "no Dask scheduler answered at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace('kind = "random"', 'kind = "sombrero"'))
    with pytest.raises(SystemExit):
        main(["ensemble", str(bad)])
    assert "potential.kind must be 'quadratic' or 'random'" in capsys.readouterr().err
    bad.write_text(CONFIG.replace("members = 6", "members = 0"))
    with pytest.raises(SystemExit):
        main(["ensemble", str(bad)])
    assert "members must be a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ensemble", str(config), "--scheduler", "tcp://x:1", "--workers", "2"])
    assert "not allowed with --workers" in capsys.readouterr().err
