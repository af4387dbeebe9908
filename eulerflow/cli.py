"""The ``eulerflow`` command: ``eulerflow backends``, ``eulerflow demo``, ``eulerflow ensemble``,
``eulerflow problems`` and ``eulerflow validate``.

``eulerflow backends`` lists the compute backends, whether they can run here, their versions and
devices. ``eulerflow demo`` runs one small problem per capability of the package, compares it with
an exact solution where one is known, prints the numbers and writes figures, an animation and the
solution files into a folder.

The parts of the demo are in :mod:`eulerflow.demos`.

``eulerflow ensemble CONFIG.toml`` solves the members of an ensemble described by a TOML file on
Dask (a local cluster, or ``--scheduler ADDRESS``) into one Zarr store and prints a summary.

``eulerflow problems`` lists the benchmark problems; ``eulerflow validate PROBLEM FILE`` scores
the samples, densities or values in ``FILE`` against the problem's grid reference
(:func:`eulerflow.validate`), prints the table and writes ``<problem>-validation.json`` and
``.png`` into a folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__
from .demos import DEMO_PARTS

DEFAULT_DEMO_DIR = Path("eulerflow-demo")
DEFAULT_DEMO_N = 128
MIN_DEMO_N = 8
BACKEND_CHOICES = ("auto", "numpy", "numba", "cupy")


# -- commands --------------------------------------------------------------------------------------
def _cmd_backends(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .backends import backend_table

    header = ("backend", "available", "version", "device")
    rows = [header]
    rows += [(r["name"], r["available"], r["version"], r["device"]) for r in backend_table()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def _cmd_demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import matplotlib

    from .backends import available_backends

    matplotlib.use("Agg")  # headless; the parts draw on bare Figures, this guards anything else
    if args.backend != "auto" and args.backend not in available_backends():
        parser.error(
            f"argument --backend: backend {args.backend!r} is not available here "
            f"(available: {', '.join(available_backends())}; see 'eulerflow backends')"
        )
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {str(out)!r} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)

    progress = sys.stdout.isatty()
    start = time.perf_counter()
    print(f"eulerflow {__version__} demo: n = {args.n}, backend = {args.backend}, out = {out}")
    for name, part in DEMO_PARTS.items():
        part_start = time.perf_counter()
        result = part(
            out, args.n, args.backend, animation=not args.animation_off, progress=progress
        )
        print()
        print(f"[{name}] {result['title']}")
        lines = [*result["report"]]
        lines += [("wrote", str(path)) for path in result["files"].values()]
        lines.append(("part time", f"{time.perf_counter() - part_start:.2f} s"))
        width = max(len(label) for label, _ in lines)
        for label, text in lines:
            print(f"  {label.ljust(width)}  {text}")
    print()
    print(f"demo done in {time.perf_counter() - start:.2f} s")
    return 0


def _cmd_problems(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .problems import list_problems

    list_problems()
    return 0


def _cmd_validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .problems import get
    from .validation import read_outputs, validate

    if args.list:
        return _cmd_problems(args, parser)
    if args.problem is None or args.file is None:
        parser.error("the arguments PROBLEM and FILE are required (or --list)")
    try:
        problem = get(args.problem)
    except KeyError as err:
        parser.error(f"argument PROBLEM: {err.args[0]}")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {str(out)!r} exists and is not a folder")
    try:
        kind, data = read_outputs(args.file, t=args.t)
    except FileNotFoundError as err:
        parser.error(f"argument FILE: {err}")
    except ValueError as err:
        message = str(err).replace("t / --t", "--t")
        parser.error(f"argument FILE: {message}")
    try:
        report = validate(
            problem,
            **{kind: data},
            t=args.t,
            resolution=args.resolution,
            rng=args.seed,
            progress=sys.stderr.isatty(),
        )
    except (ValueError, TypeError) as err:
        text = str(err)
        name = "--resolution" if text.startswith("resolution") else "FILE"
        if args.t and ("is not a time of problem" in text or text.startswith("t=")):
            name = "--t"
        parser.error(f"argument {name}: {text}")
    print(report.table())
    out.mkdir(parents=True, exist_ok=True)
    written = [report.save(out / f"{problem.name}-validation.json")]
    if not args.figure_off:
        import matplotlib

        matplotlib.use("Agg")
        path = out / f"{problem.name}-validation.png"
        report.plot(path)
        written.append(path)
    for path in written:
        print(f"wrote {path}")
    return 0


def _cmd_ensemble(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .ensemble import connect, run
    from .ensemble.config import load_config, members_of, solve_of

    if args.scheduler and (args.workers or args.threads):
        parser.error("argument --scheduler: not allowed with --workers/--threads (local cluster)")
    try:
        config = load_config(args.config)
        records, solve = members_of(config), solve_of(config)
    except FileNotFoundError as err:
        parser.error(f"argument CONFIG: {err}")
    except ValueError as err:
        parser.error(f"argument CONFIG: {err}")
    store = str(args.store) if args.store else config["store"]
    client = None
    if args.scheduler:
        try:
            client = connect(args.scheduler, timeout=args.timeout)
        except (ConnectionError, TypeError) as err:
            print(f"eulerflow ensemble: error: {err}", file=sys.stderr)
            return 1
    progress = None if args.progress else False
    try:
        summary = run(
            solve, records, store, client=client, chunk=config.get("chunk"),
            progress=progress, overwrite=args.overwrite, workers=args.workers,
            threads=args.threads,
        )  # fmt: skip
    except (TypeError, ValueError) as err:
        print(f"eulerflow ensemble: error: {err}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.close()
    print(summary)
    print(
        f"  done {summary.done}, failed {summary.failed}, retried {summary.retried}, "
        f"throughput {summary.throughput:.3g} members/s"
    )
    return 0 if summary.failed == 0 else 1


# -- argument parsing ------------------------------------------------------------------------------
def _grid_size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if n < MIN_DEMO_N:
        raise argparse.ArgumentTypeError(f"needs at least {MIN_DEMO_N} cells per axis, got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``eulerflow`` command."""
    parser = argparse.ArgumentParser(
        prog="eulerflow",
        description="Grid-based (Eulerian) solvers for optimal transport and Wasserstein "
        "gradient flows.",
    )
    parser.add_argument("--version", action="version", version=f"eulerflow {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True)

    backends = commands.add_parser(
        "backends",
        help="list the compute backends and whether they can run here",
        description="List the compute backends: available, version, device.",
    )
    backends.set_defaults(handler=_cmd_backends, parser=backends)

    demo = commands.add_parser(
        "demo",
        help="run small problems, compare with exact solutions, write figures and files",
        description="Run one small problem per capability ("
        + ", ".join(DEMO_PARTS)
        + "), compare with exact solutions where known, print the errors and write figures, "
        "animations and netCDF solution files into a folder.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DEMO_DIR,
        metavar="DIR",
        help=f"folder to write into, created if needed (default: ./{DEFAULT_DEMO_DIR}/)",
    )
    demo.add_argument(
        "--n",
        type=_grid_size,
        default=DEFAULT_DEMO_N,
        metavar="N",
        help=f"cells per axis, at least {MIN_DEMO_N} (default: {DEFAULT_DEMO_N})",
    )
    demo.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="compute backend (default: auto)",
    )
    demo.add_argument(
        "--no-animation",
        dest="animation_off",
        action="store_true",
        help="skip the animated GIFs (the slowest files to write)",
    )
    demo.set_defaults(handler=_cmd_demo, parser=demo)

    problems = commands.add_parser(
        "problems",
        help="list the benchmark problems (name, dimension, exact or grid reference)",
        description="List the benchmark problems of eulerflow.problems.",
    )
    problems.set_defaults(handler=_cmd_problems, parser=problems)
    _add_validate(commands)
    _add_ensemble(commands)
    return parser


def _add_validate(commands) -> None:
    from .validation.outputs import FILE_LAYOUT

    validate = commands.add_parser(
        "validate",
        help="score a method's samples, densities or values against a problem's reference",
        description="Score the outputs in FILE against the grid reference of PROBLEM (every "
        "metric with its sampling floor), print the table and write "
        "<out>/<problem>-validation.json and .png. FILE layout: " + FILE_LAYOUT + ".",
    )
    validate.add_argument("problem", nargs="?", metavar="PROBLEM", help="a problem name")
    validate.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="a .npz, .npy or .nc file"
    )
    validate.add_argument(
        "--t",
        type=float,
        nargs="+",
        metavar="T",
        help="the times of the file's arrays when it stores none (.npy); for a file with "
        "times, the ones to score (default: all)",
    )
    validate.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="folder to write into, created if needed (default: .)",
    )
    validate.add_argument(
        "--resolution",
        type=int,
        metavar="N",
        help="cells per axis of the reference (default: the problem's)",
    )
    validate.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed of the floors (default: 0)"
    )
    validate.add_argument(
        "--no-figure", dest="figure_off", action="store_true", help="skip the figure"
    )
    validate.add_argument(
        "--list", action="store_true", help="list the problems and exit (like 'eulerflow problems')"
    )
    validate.set_defaults(handler=_cmd_validate, parser=validate)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def _add_ensemble(commands) -> None:
    ensemble = commands.add_parser(
        "ensemble",
        help="solve the members of an ensemble (TOML file) on Dask into one Zarr store",
        description="Solve every member of the ensemble described by CONFIG (problem, members, "
        "store, swept parameters, random initial data; see the guide page on ensembles) on a "
        "local Dask cluster or an existing one, write them into one Zarr store and print a "
        "summary. A rerun resumes: members already in the store are skipped. Needs the "
        "ensemble extra (pip install 'eulerflow[ensemble]').",
    )
    ensemble.add_argument("config", type=Path, metavar="CONFIG", help="a TOML file")
    where = ensemble.add_argument_group("where the members run")
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="attach to the Dask scheduler at ADDRESS"
    )
    where.add_argument(
        "--workers", type=_positive, metavar="N", help="local worker processes (default: cores)"
    )
    where.add_argument(
        "--threads", type=_positive, metavar="T", help="threads per local worker (default: 1)"
    )
    where.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for --scheduler to answer (default: 10)",
    )
    ensemble.add_argument(
        "--store", type=Path, metavar="PATH", help="the Zarr store (default: the config's)"
    )
    ensemble.add_argument("--overwrite", action="store_true", help="replace what the store holds")
    ensemble.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )
    ensemble.set_defaults(handler=_cmd_ensemble, parser=ensemble)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``eulerflow`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 when a run fails. Bad arguments exit through argparse
        (``SystemExit(2)`` with a usage message).
    """
    from .backends import BackendUnavailableError
    from .exceptions import UnstableSolutionError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, args.parser)
    except (BackendUnavailableError, UnstableSolutionError, OSError) as err:
        print(f"eulerflow {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"eulerflow {args.command}: interrupted", file=sys.stderr)
        return 130
