"""Tests for the ``eulerflow`` command (eulerflow.cli and ``python -m eulerflow``)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import eulerflow
from eulerflow.cli import DEMO_PARTS, main
from eulerflow.results import load

REPO_ROOT = Path(__file__).resolve().parents[1]
FLOAT = r"([0-9.]+(?:[eE][-+]?[0-9]+)?)"


def test_backends_lists_numpy_and_numba(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["backend", "available", "version", "device"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert {"numpy", "numba", "cupy"} <= rows.keys()
    for name in ("numpy", "numba"):
        assert rows[name][1] == "yes"
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", rows[name][2])
    assert rows["cupy"][1] in ("yes", "no")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One small demo run (n = 32, numba backend), shared by the demo tests.

    Module scoped, so capsys (function scoped) cannot be used: stdout is redirected instead.
    """
    out = tmp_path_factory.mktemp("demo") / "nested" / "out"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["demo", "--out", str(out), "--n", "32", "--backend", "numba"])
    assert status == 0
    return out, buffer.getvalue()


def _part_output(text: str, name: str) -> str:
    """The lines the demo printed for one part (from its ``[name]`` header to the next)."""
    assert f"[{name}]" in text, text
    return text.split(f"[{name}]", 1)[1].split("\n[", 1)[0]


@pytest.mark.parametrize(
    ("stem", "equation", "t_final"),
    [
        ("continuity", "continuity", 3.141592653589793),
        ("fokker_planck", "fokker-planck", 1.0),
        ("hamilton_jacobi", "hamilton-jacobi", 1.5),
        ("jko", "jko", 1.0),
    ],
)
def test_demo_writes_figure_animation_and_solution(
    demo_run: tuple[Path, str], stem: str, equation: str, t_final: float
) -> None:
    out, text = demo_run
    png, gif, nc = out / f"{stem}.png", out / f"{stem}.gif", out / f"{stem}.nc"
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size[0] > 400 and image.size[1] > 400
    with Image.open(gif) as image:
        assert image.format == "GIF"
        assert image.n_frames > 1
    sol = load(nc)
    assert sol.equation == equation
    assert sol.grid.shape == (32, 32)
    assert sol.t[-1] == pytest.approx(t_final)
    for path in (png, gif, nc):
        assert str(path) in text


def test_demo_writes_the_geodesic(demo_run: tuple[Path, str]) -> None:
    out, text = demo_run
    with Image.open(out / "optimal_transport.gif") as image:
        assert image.format == "GIF"
        assert image.n_frames == 17  # t = 0, 1/16, ..., 1
    res = load(out / "optimal_transport.nc")
    assert isinstance(res, eulerflow.OTResult)
    assert res.grid.shape == (16, 16)
    assert re.search(
        r"W2\^2\s+" + FLOAT + " vs exact " + FLOAT, _part_output(text, "optimal-transport")
    )


def test_demo_prints_small_mass_and_l1_errors(demo_run: tuple[Path, str]) -> None:
    text = _part_output(demo_run[1], "continuity")
    assert "32 x 32 cells" in text
    assert re.search(r"backend\s+numba", text)
    assert re.search(r"steps\s+\d+", text)
    assert re.search(r"wall time\s+" + FLOAT + " s", text)
    mass = re.search(r"relative mass error\s+" + FLOAT, text)
    l1 = re.search(r"L1 error\s+" + FLOAT + r".*L1 norm of exact: " + FLOAT, text)
    assert mass and l1, text
    # The fluxes telescope: mass is conserved to round-off.
    assert float(mass.group(1)) < 1e-12
    # At n = 32 a correct MUSCL / van Leer solver is at about 0.42 ||exact||_1; first-order donor
    # cell is at 0.98, an unmoved density at 1.94, so 0.6 separates them.
    l1_error, l1_exact = float(l1.group(1)), float(l1.group(2))
    assert l1_exact == pytest.approx(1.0, abs=1e-3)
    assert l1_error < 0.6 * l1_exact


def test_demo_prints_small_hopf_lax_errors(demo_run: tuple[Path, str]) -> None:
    text = _part_output(demo_run[1], "hamilton-jacobi")
    assert "32 x 32 cells" in text and "(periodic)" in text
    assert re.search(r"backend\s+numba", text)
    assert re.search(r"steps\s+\d+ \(weno5 derivatives, godunov flux, ssprk3", text)
    assert re.search(r"characteristics cross from t\* = 0\.41\d", text)
    l1 = re.search(r"L1 error\s+" + FLOAT + r".*L1 norm of phi\(T\) - phi0: " + FLOAT, text)
    linf = re.search(r"L_inf error\s+" + FLOAT + r".*max \|phi\(T\) - phi0\|: " + FLOAT, text)
    assert l1 and linf, text
    # At n = 32 a correct WENO5 solver is at L1 0.043 and max 0.022 from the Hopf-Lax solution;
    # first-order derivatives are at L1 2.2 and max 0.13, an unmoved phi0 at L1 18.5 and max 1.2,
    # the wrong (max-formula) branch at L1 37. The bounds separate them with margins of 4 and 2.
    l1_error, l1_change = float(l1.group(1)), float(l1.group(2))
    linf_error, linf_change = float(linf.group(1)), float(linf.group(2))
    assert l1_change == pytest.approx(18.5, rel=0.02)
    assert linf_change == pytest.approx(1.22, rel=0.02)
    assert l1_error < 0.2
    assert linf_error < 0.06


def test_demo_without_animation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--n", "16", "--no-animation"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "continuity.nc",
        "continuity.png",
        "fokker_planck.nc",
        "fokker_planck.png",
        "hamilton_jacobi.nc",
        "hamilton_jacobi.png",
        "jko.nc",
        "jko.png",
        "optimal_transport.nc",
        "optimal_transport.png",
    ]
    assert ".gif" not in capsys.readouterr().out


def test_demo_runs_every_part_in_order() -> None:
    assert list(DEMO_PARTS) == [
        "continuity",
        "fokker-planck",
        "hamilton-jacobi",
        "optimal-transport",
        "jko",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nonsense"],
        ["demo", "--n", "4"],
        ["demo", "--n", "many"],
        ["demo", "--backend", "fortran"],
    ],
)
def test_bad_arguments_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: eulerflow" in capsys.readouterr().err


def test_demo_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "file.txt"
    target.write_text("not a folder")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(target), "--n", "16"])
    assert exc.value.code == 2
    assert "not a folder" in capsys.readouterr().err


def test_python_dash_m_version() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "eulerflow", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"eulerflow {eulerflow.__version__}"


# -- eulerflow validate / problems -----------------------------------------------------------------
@pytest.fixture
def heat_file(tmp_path: Path) -> Path:
    """Exact samples of the heat problem at two of its times, in an .npz file."""
    problem = eulerflow.problems.get("heat")
    path = tmp_path / "run.npz"
    np.savez(
        path,
        times=[0.5, 1.0],
        samples_0=problem.exact_samples(0.5, 2000, rng=1),
        samples_1=problem.exact_samples(1.0, 2000, rng=2),
    )
    return path


def test_validate_prints_the_table_and_writes_json_and_png(
    heat_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["validate", "heat", str(heat_file), "--out", str(out), "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "problem 'heat', samples" in text
    assert re.search(r"^\s*1\s+binned_l1\s+" + FLOAT, text, re.MULTILINE)
    report = eulerflow.ValidationReport.load(out / "heat-validation.json")
    assert report.times == (0.5, 1.0)
    assert report.settings["seed"] == 3
    assert not report.row(1.0, "binned_l1").above_floor
    with Image.open(out / "heat-validation.png") as image:
        assert image.size[0] > 1000


def test_validate_npy_with_t_and_no_figure(
    heat_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.load(heat_file)["samples_0"])
    out = tmp_path / "out"
    assert (
        main(["validate", "heat", str(path), "--t", "0.5", "--no-figure", "--out", str(out)]) == 0
    )
    assert (out / "heat-validation.json").is_file()
    assert not (out / "heat-validation.png").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nope", "{file}"], "argument PROBLEM: no problem named 'nope'"),
        (["heat", "{npy}"], "argument FILE: .* stores no times; give them with --t"),
        (["heat", "{npy}", "--t", "0.3"], "argument --t: .*t=0.3 is not a time of problem"),
        (["heat", "{file}", "--resolution", "100"], "argument --resolution: resolution=100"),
        (["heat", "{empty}"], r"argument FILE: .*has no outputs to validate.*\['times'\]"),
        (["heat"], "PROBLEM and FILE are required"),
    ],
)
def test_validate_errors_name_the_argument(
    heat_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    npy, empty = tmp_path / "x.npy", tmp_path / "empty.npz"
    np.save(npy, np.zeros((10, 2)))
    np.savez(empty, times=[0.5])
    paths = {"file": heat_file, "npy": npy, "empty": empty}
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", *(a.format(**paths) for a in arguments)])
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


@pytest.mark.parametrize("command", [["problems"], ["validate", "--list"]])
def test_problems_are_listed(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(command) == 0
    assert re.search(r"^heat\s+2D\s+exact", capsys.readouterr().out, re.MULTILINE)
