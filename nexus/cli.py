"""The ``nexus`` command line.

``nexus run FILE [--out results.nc]`` simulates a district and prints its
KPIs; ``nexus compare A B ...`` puts the KPIs of districts or scenarios side by
side with their changes; ``nexus optimize FILE`` chooses its unit sizes and
verifies them by simulation; ``nexus validate FILE`` checks a district file; ``nexus sweep FILE --set key=v1,v2`` runs
many variants of it on Dask. Errors a user can cause
print one clear message and exit with status 1, never a traceback.

typer is used for arguments and help, rich for tables.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import numpy as np
import typer

from nexus.errors import NexusError

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable

    import pandas as pd
    import xarray as xr
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

app = typer.Typer(
    name="nexus",
    help="Simulate and optimize the water-food-energy nexus of city districts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DistrictPath = Annotated[Path, typer.Argument(help="District file (TOML).", show_default=False)]
ReportPath = Annotated[
    Path | None,
    typer.Option("--report", help="Write a self-contained HTML report (opens without a network)."),
]
FiguresPath = Annotated[
    Path | None,
    typer.Option(
        "--figures", help="Also write the report's figures as PNG and SVG to this folder."
    ),
]


def _version() -> str:
    """The installed distribution's version (its metadata), else the package's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nexus")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from nexus import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nexus {_version()}")
        raise typer.Exit()


@app.callback()
def _show_warnings(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version of nexus and exit.",
        ),
    ] = False,
) -> None:
    """Show nexus's warnings (the ``nexus`` logger) on standard error."""
    import logging

    logger = logging.getLogger("nexus")
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


#: Control characters (C0, DEL, C1) a terminal would act on.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _shown(text: object, style: str = "") -> Text:
    """Text from a file or the user as the terminal shows it: never read as rich markup
    (``[optimize.design]`` stays), control characters written as escapes (``\\x1b``)."""
    from rich.text import Text

    plain = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return Text(plain, style=style)


def _fail(error: NexusError) -> NoReturn:
    from rich.console import Console

    message = _shown("error: ", "bold red")
    message.append_text(_shown(error))
    Console(stderr=True, highlight=False, soft_wrap=True).print(message)
    raise typer.Exit(1)


def _check_outputs(inputs: list[Path], figures: Path | None = None, **outputs: Path | None) -> None:
    """Each output option names a file that can be written and is none of the inputs
    (``--figures`` a folder that can be written), checked before any work (a failure
    after a long solve loses it)."""
    from nexus.io import check_output_folder, check_output_path

    try:
        named: dict[Path, str] = {}
        for option, path in outputs.items():
            if path is not None:
                check_output_path(path, option=f"--{option}", inputs=tuple(inputs))
                key = path.resolve()
                if key in named:
                    raise NexusError(
                        f"--{option} {path}: also named by {named[key]}; expected a file of its own"
                    )
                named[key] = f"--{option}"
        if figures is not None:
            check_output_folder(figures, option="--figures")
    except NexusError as error:
        _fail(error)


@app.command()
def validate(file: DistrictPath) -> None:
    """Check a district file (the weather file it names, and what its units need of what
    the sources give them, such as a digester large enough for its feed) and report what
    is wrong."""
    from nexus.district import load_district
    from nexus.simulation import preflight

    try:
        district = load_district(file)
        weather = preflight(district)  # what run and optimize would refuse before units run
    except NexusError as error:
        _fail(error)
    typer.echo(
        f"{file}: valid district {district.name!r}: {len(district.sources)} sources, "
        f"{len(district.units)} units, {len(district.sinks)} sinks, "
        f"{len(district.connections)} connections"
    )
    if district.weather_file is not None:  # the year simulated; a 29 February is left out
        year = int(weather.index[0].year)
        leap = (
            " (a leap year: 29 February is left out, 365 days)"
            if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            else ""
        )
        typer.echo(f"weather: {district.weather_file}, year {year}, 8760 hours{leap}")


@app.command()
def run(
    file: DistrictPath,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write hourly results to this netCDF file.")
    ] = None,
    report: ReportPath = None,
    figures: FiguresPath = None,
    optimized: Annotated[
        Path | None,
        typer.Option(
            "--optimized",
            help="Show the Pareto front of this optimizer result (nexus optimize --out) in the report.",
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write the KPIs to this CSV file: name, value, units, description."
        ),
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Write the KPIs to this JSON file: by machine name, value, units, description.",
        ),
    ] = None,
) -> None:
    """Simulate a district over a year and print its annual KPIs."""
    from rich.console import Console

    import nexus
    from nexus.io import write_netcdf

    console = Console(highlight=False)
    _check_outputs(
        [file, *([optimized] if optimized else [])],
        figures=figures,
        out=out,
        report=report,
        csv=csv,
        json=json_path,
    )
    try:
        front = None if optimized is None else _read_result(optimized, "--optimized")
        district = nexus.load_district(file)
        with _status(console, f"simulating {district.name} over a year of hourly steps"):
            ds = nexus.simulate(district)
        table = nexus.kpis(ds)
        if out is not None:
            write_netcdf(ds, out)
        _export_kpis(table, csv, json_path)
        if report is not None or figures is not None:
            from nexus.report import write_report

            _report(
                console,
                lambda p: write_report(
                    ds, p, districts=district, optimization=front, figures_dir=figures
                ),
                report,
            )
    except NexusError as error:
        _fail(error)
    console.print(_kpi_grid(f"{district.name}: annual key figures", table))
    if out is not None:
        console.print(_shown(f"hourly results written to {out}"))
    for path in (csv, json_path):
        if path is not None:
            console.print(_shown(f"key figures written to {path}"))


def _kpi_grid(title: str, table: pd.Series) -> Table:
    """KPIs as the terminal shows them: words, value (one format), unit in its own column."""
    from rich.table import Table

    from nexus.sweeps import kpi_parts

    grid = Table(title=_shown(title), title_justify="left")
    grid.add_column("indicator", ratio=1)
    grid.add_column("value", justify="right", no_wrap=True)
    grid.add_column("unit", no_wrap=True)
    for name, value in table.items():
        plain, units = kpi_parts(str(name))
        grid.add_row(_shown(plain), _number(float(value)), _shown(units))  # never markup
    return grid


def _export_kpis(table: pd.Series, csv: Path | None, json_path: Path | None) -> None:
    """The KPIs to CSV and JSON by machine name, with units (:func:`nexus.indicators.kpi_frame`)."""
    import json
    import math

    from nexus.indicators import kpi_frame
    from nexus.io import atomic_write, write_csv

    frame = kpi_frame(table)
    if csv is not None:
        write_csv(frame, csv)
    if json_path is not None:
        document = {
            "district": str(table.name),
            "kpis": {
                str(name): {
                    "value": None if math.isnan(value) else value,
                    "units": str(units),
                    "description": str(words),
                }
                for name, value, units, words in zip(
                    frame.index,
                    frame["value"].to_numpy(dtype=float).tolist(),
                    frame["units"],
                    frame["description"],
                    strict=True,
                )
            },
        }

        def dump(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(document, f, indent=2, ensure_ascii=False)
                f.write("\n")

        atomic_write(json_path, dump)


def _design_tables(ds: xr.Dataset, name: str, width: int) -> list[Table]:
    """An optimizer result as tables that fit ``width`` columns: titled by its objectives,
    a front's ends labelled, the points in blocks side by side as many as fit (labels
    wrap, never cut)."""
    from rich.table import Table

    from nexus.schema import OBJECTIVES

    rows: list[tuple[str, list[float]]] = []
    for var_name, var in ds.data_vars.items():
        if var.dims == ("pareto",):
            rows.append((f"{var_name} [{var.attrs['units']}]", list(var.values)))
        elif var.dims == ("pareto", "node"):  # the design: sizes by unit
            for node in ds["node"].values:
                values = var.sel(node=node).values
                if not np.isnan(values).all():
                    rows.append((f"{node}: {var_name} [{var.attrs['units']}]", list(values)))
        # hourly operation and link flows: in the --out file
    points = ds.sizes["pareto"]
    heads = [f"point {i}" if points > 1 else "value" for i in range(points)]
    if "pareto_objectives" in ds.attrs:
        first, second = ds.attrs["pareto_objectives"].split(",")
        best_first, best_second = OBJECTIVES[first].plain, OBJECTIVES[second].plain
        title = (
            f"{name}: Pareto front of {best_first} against {best_second}, {points} points\n"
            f"{ds.attrs['pareto_ends']}"
        )
        heads[0] += f"\nbest {best_second}"
        heads[-1] += f"\nbest {best_first}"
    else:
        objective = str(ds.attrs["objective"])
        title = f"{name}: optimal design, best {OBJECTIVES[objective].plain} ({objective})"
    cells = [[_number(float(v)) for v in values] for _, values in rows]
    label_w = min(36, max((len(label) for label, _ in rows), default=8))
    # a value column is as wide as its longest number or word ("point 10", "energy")
    value_w = max(
        [7, *(len(c) for row in cells for c in row), *(len(w) for h in heads for w in h.split())]
    )
    per_block = max(1, (width - label_w - 4) // (value_w + 3))
    tables = []
    for start in range(0, points, per_block):
        block = range(start, min(points, start + per_block))
        more = f"points {block[0]} to {block[-1]}" if len(block) > 1 else f"point {block[0]}"
        caption = title if start == 0 else f"{name}: {more}"
        grid = Table(title=_shown(caption), title_justify="left")
        grid.add_column("quantity", max_width=label_w, overflow="fold")
        for i in block:
            grid.add_column(_shown(heads[i]), justify="right", min_width=value_w)
        for (label, _), row in zip(rows, cells, strict=True):
            grid.add_row(_shown(label), *(row[i] for i in block))
        tables.append(grid)
    return tables


def _read_result(path: Path, option: str) -> xr.Dataset:
    """A result nexus wrote to netCDF, or a NexusError naming the option and the file."""
    from nexus._xarray import xr

    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise NexusError(f"{option} {path}: not a netCDF result nexus wrote ({exc})") from exc


def _report(console: Console, write: Callable[[Path], Path], report: Path | None) -> None:
    """Write the HTML report (or, without ``--report``, only the figures) and say where."""
    import tempfile

    with _status(console, "writing the report"):
        if report is not None:
            write(report)
        else:  # --figures alone: the figures are made with a report, written aside
            with tempfile.TemporaryDirectory() as tmp:
                write(Path(tmp) / "report.html")
    if report is not None:
        console.print(_shown(f"report written to {report}"))


def _number(value: float, *, signed: bool = False) -> str:
    """A key figure as the tables print it, as the HTML report shows it
    (:func:`nexus.report.shown`): thousands separated, three significant digits (none
    dropped left of the point), NaN as a dash."""
    from nexus.report import shown

    return shown(value, signed=signed)


@app.command()
def compare(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="District or scenario files; the first is the reference.", show_default=False
        ),
    ],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the comparison to this CSV file.")
    ] = None,
    optimized: Annotated[
        bool,
        typer.Option(
            "--optimize",
            help="Compare the designs the optimizer chooses for each file (its objective, "
            "verified by simulation) instead of the files' own designs.",
        ),
    ] = False,
    report: ReportPath = None,
    figures: FiguresPath = None,
) -> None:
    """Simulate (or optimize) districts or scenarios and print their annual KPIs (or design
    figures) side by side, with the change of each from the first."""
    from rich.console import Console
    from rich.table import Table

    from nexus.compare import compare_designs, compare_kpis, labels_for
    from nexus.district import load_district
    from nexus.io import write_csv
    from nexus.simulation import simulate
    from nexus.sweeps import kpi_parts

    console = Console(highlight=False)
    if optimized and (report is not None or figures is not None):
        _fail(
            NexusError(
                "--report and --figures show simulated scenarios, not with --optimize; "
                "expected 'nexus compare A B --report F' (or each design's 'nexus optimize "
                "--out', then 'nexus run --optimized')"
            )
        )
    _check_outputs(files, figures=figures, csv=csv, report=report)
    try:
        districts = [load_district(f) for f in files]
        labels = labels_for([d.name for d in districts], files)
        results = {}
        for label, district in zip(labels, districts, strict=True):
            if optimized:
                from nexus.optimize import solve

                with _status(console, f"optimizing {district.name}"):
                    results[label] = solve(district)
            else:
                with _status(console, f"simulating {district.name} over a year of hourly steps"):
                    results[label] = simulate(district)
        table = compare_designs(results) if optimized else compare_kpis(results)
        if csv is not None:
            write_csv(table, csv)
        if report is not None or figures is not None:
            from nexus.report import write_report

            scenarios = dict(zip(labels, districts, strict=True))
            _report(
                console,
                lambda p: write_report(results, p, districts=scenarios, figures_dir=figures),
                report,
            )
    except NexusError as error:
        _fail(error)
    what = "optimized designs" if optimized else "annual key figures"
    grid = Table(title=f"{what} compared", title_justify="left")
    grid.add_column("indicator", ratio=1)
    for i, column in enumerate(table.columns):
        grid.add_column(_shown(column), justify="right", style="dim" if i >= len(labels) else "")
    grid.add_column("unit", no_wrap=True)
    for name, row in table.iterrows():
        cells = [_number(v, signed=i >= len(labels)) for i, v in enumerate(row.to_numpy())]
        plain, units = kpi_parts(str(name))
        grid.add_row(_shown(plain), *cells, _shown(units))  # names are data, not rich markup
    console.print(grid)
    if csv is not None:
        console.print(_shown(f"comparison written to {csv}"))


@app.command()
def optimize(
    file: DistrictPath,
    objective: Annotated[
        str | None,
        typer.Option(
            help="energy (max net yield), nutrients (max P to farms), nitrogen (max N to "
            "farms) or cost (min)."
        ),
    ] = None,
    pareto: Annotated[
        int | None, typer.Option(help="Points of a Pareto front against the trade-off objective.")
    ] = None,
    pareto_objectives: Annotated[
        str | None,
        typer.Option(
            "--pareto-objectives",
            help="The two objectives of the front, e.g. cost,nutrients (with --pareto; default "
            "the objective and its own trade-off: energy, nutrients and nitrogen against cost).",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit", help="Solver time limit of each solve, in seconds (e.g. 600)."
        ),
    ] = None,
    typical_days: Annotated[
        int | None,
        typer.Option(help="Representative days (0: the full year); default the file's."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the result to this netCDF file.")
    ] = None,
) -> None:
    """Choose unit sizes that best meet an objective, then verify them by simulation."""
    import contextlib

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    import nexus
    from nexus.io import write_netcdf
    from nexus.optimize import solve

    console = Console(highlight=False)
    trade_off = None
    if pareto_objectives is not None:
        names = [n.strip() for n in pareto_objectives.split(",")]
        if len(names) != 2 or pareto is None:
            _fail(
                NexusError(
                    f"--pareto-objectives {pareto_objectives!r}; expected two objectives such as "
                    "cost,nutrients, with --pareto N"
                )
            )
        objective, trade_off = names
    _check_outputs([file], out=out)
    try:
        from nexus.optimize.solve import check_options

        check_options(typical_days, time_limit, pareto)
        district = nexus.load_district(file)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        bar = Progress(*columns, console=console, transient=True)
        with bar if console.is_terminal else contextlib.nullcontext():
            task = bar.add_task("loading", total=None)
            plain = _PlainProgress("stage")

            def progress(stage: str, done: int, total: int) -> None:
                if console.is_terminal:
                    bar.update(task, description=stage, completed=done, total=total)
                else:  # piped or logged: a line per stage on standard error
                    plain.stage(stage, done, total)

            ds = solve(
                district,
                objective=objective,
                pareto=pareto,
                trade_off=trade_off,
                time_limit_s=time_limit,
                typical_days=typical_days,
                progress=progress,
            )
        if out is not None:
            write_netcdf(ds, out)
    except NexusError as error:
        _fail(error)
    for grid in _design_tables(ds, district.name, console.width):
        console.print(grid)
    fit = ", ".join(
        f"{k} {v:.2g}"
        for k, v in zip(ds["map_series"].values, ds["map_fit_error"].values, strict=True)
    )
    console.print(f"{ds.attrs['time_steps']} time steps; map fitting errors: {fit or 'none'}")
    if out is not None:
        console.print(_shown(f"result written to {out}"))


@app.command()
def sweep(
    file: DistrictPath,
    values: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A key path of the district and its values: key.path=v1,v2,... (a grid), or "
            "key.path=DIST:a,b[,c] with --samples: uniform:low,high, normal:mean,sd, "
            "triangular:low,mode,high, lognormal:median,sd_log. Repeat for each input.",
            show_default=False,
        ),
    ] = [],  # noqa: B006 (typer reads the default; it is never mutated)
    parameters_file: Annotated[
        Path | None,
        typer.Option(
            "--parameters",
            "-p",
            help="A sweep file (TOML): [parameters] with key paths and their values or "
            "distributions, and optionally method, samples, seed; --set adds to or replaces "
            "its inputs, --method, --samples and --seed replace its own.",
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            help="Monte Carlo scenarios, Sobol' base samples (a power of 2) or Morris "
            "trajectories; without it, every combination of the --set values runs."
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="grid, monte_carlo, sobol or morris; default grid, or monte_carlo with --samples."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the sampled designs; default 0.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the sweep to this netCDF file, each finished scenario first to "
            "OUT.parts/; run again with the same --out to finish an interrupted sweep.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Address of a running Dask scheduler (tcp://host:8786); default a local cluster."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of the local cluster; default the cores."),
    ] = None,
    objective: Annotated[
        str | None,
        typer.Option(
            help="Sweep the optimizer: --set names its settings (prices such as "
            "heat_backup_per_kWh, targets such as min_P_kg_yr, demand_scale) and each scenario "
            "is the optimum for this objective (energy, nutrients, nitrogen or cost)."
        ),
    ] = None,
) -> None:
    """Simulate (or optimize) a district under many variants, on Dask, and summarize their
    KPIs."""
    import contextlib

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from nexus.district import load_district
    from nexus.sweeps import design, parse_set, read_sweep
    from nexus.sweeps import sweep as run_sweep

    console = Console(highlight=False)
    if workers is not None and workers < 1:
        _fail(NexusError(f"--workers {workers}; expected a positive integer"))
    if scheduler is not None and workers is not None:
        _fail(NexusError("--workers with --scheduler; the scheduler's cluster has its own workers"))
    if not values and parameters_file is None:
        _fail(NexusError("nothing to vary; expected --set key.path=v1,v2,... or --parameters FILE"))
    try:
        spec = read_sweep(parameters_file) if parameters_file is not None else {}
    except NexusError as error:
        _fail(error)
    try:
        parameters = {**spec.get("parameters", {}), **dict(parse_set(item) for item in values)}
    except NexusError as error:
        _fail(NexusError(f"--set {error}"))
    samples = samples if samples is not None else spec.get("samples")
    seed = seed if seed is not None else spec.get("seed", 0)
    chosen = method or spec.get("method") or ("grid" if samples is None else "monte_carlo")
    try:
        district = load_district(file)
        plan = _checked(
            lambda: design(
                district,
                parameters,
                samples=samples,
                method=chosen,
                seed=seed,
                settings=objective is not None,
            )
        )
        total = len(plan.scenarios)
        console.print(f"{district.name}: {total} scenarios ({chosen})")
        bar = _sweep_progress(console)
        with bar or contextlib.nullcontext():
            ds = _checked(
                lambda: run_sweep(
                    district,
                    parameters,
                    samples=samples,
                    method=chosen,
                    seed=seed,
                    client=scheduler,
                    workers=workers,
                    path=out,
                    progress=bar.progress if bar else _PlainProgress("scenario").done,
                    objective=objective,
                )
            )
    except NexusError as error:
        _fail(error)
    ok = ds["status"].to_numpy() == "ok"
    grid = Table(
        title=Text(f"{district.name}: {int(ok.sum())} of {total} scenarios ran"),
        title_justify="left",
    )
    for column in ("indicator", "min", "mean", "max"):
        grid.add_column(column, justify="left" if column == "indicator" else "right")
    for var in ds.data_vars.values():
        prose = var.attrs.get("kpi")
        if prose is None or (":" in prose and objective is None):  # node figures: in --out
            continue
        v = var.to_numpy()[ok]
        if v.size:
            grid.add_row(Text(prose), *(_number(float(f(v))) for f in (np.min, np.mean, np.max)))
    console.print(grid)
    for i in np.flatnonzero(~ok)[:5]:
        console.print(Text(f"scenario {i} failed: {ds['reason'].values[i]}"))
    if out is not None:
        console.print(f"sweep written to {out}")


class _SweepBar:
    """A rich progress bar of a sweep's scenarios (on a terminal)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            "scenarios",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task("sweep", total=None)

    def __enter__(self) -> _SweepBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def progress(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)


def _sweep_progress(console: Console) -> _SweepBar | None:
    """A progress bar on a terminal; None elsewhere (plain lines are printed instead)."""
    return _SweepBar(console) if console.is_terminal else None


class _PlainProgress:
    """Progress as plain lines on standard error, for output that is not a terminal (piped,
    logged, CI): what runs, i/n, the time elapsed and, once a step is done, the expected
    remaining time (the mean time of the steps done so far times the steps left)."""

    def __init__(self, what: str) -> None:
        import time

        self.what = what
        self.t0 = time.perf_counter()

    def _times(self, done: int, total: int) -> str:
        import time

        elapsed = time.perf_counter() - self.t0
        text = f"elapsed {_duration(elapsed)}"
        if 0 < done < total:
            text += f", about {_duration(elapsed / done * (total - done))} left"
        return text

    def stage(self, stage: str, done: int, total: int) -> None:
        """A stage starts: ``done`` stages of ``total`` are done (all: the end)."""
        if done >= total:
            self.done(total, total)
            return
        _stderr(f"{self.what} {done + 1}/{total}: {stage} ({self._times(done, total)})")

    def done(self, done: int, total: int) -> None:
        """``done`` steps of ``total`` are done."""
        _stderr(f"{self.what} {done}/{total} done ({self._times(done, total)})")


def _duration(seconds: float) -> str:
    """``"42 s"``, ``"3 min 5 s"``, ``"2 h 4 min"``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def _stderr(line: str) -> None:
    import sys

    print(_CONTROL.sub("?", line), file=sys.stderr, flush=True)


def _status(console: Console, text: str) -> contextlib.AbstractContextManager[object]:
    """A spinner with ``text`` on a terminal; elsewhere the text as a line on standard error."""
    import contextlib

    if console.is_terminal:
        return console.status(_shown(text))
    _stderr(f"{text} ...")
    return contextlib.nullcontext()


_T = TypeVar("_T")

#: Options the messages of nexus.sweeps name by argument: argument -> option.
_SWEEP_OPTIONS = {
    "samples": "--samples",
    "method": "--method",
    "client": "--scheduler",
    "workers": "--workers",
    "path": "--out",
    "objective": "--objective",
}


def _checked(call: Callable[[], _T]) -> _T:
    """Run a step of a sweep; its errors name the command-line option they concern."""
    from nexus.errors import DistrictError

    try:
        return call()
    except DistrictError as error:
        where = error.key or error.file
        raise NexusError(f"--set {where}: {error.reason}" if where else f"--set {error}") from error
    except NexusError as error:
        text = str(error)
        for argument, option in _SWEEP_OPTIONS.items():
            if text.startswith(f"{argument} ") or text.startswith(f"{argument}:"):
                raise NexusError(option + text[len(argument) :]) from error
        raise NexusError(f"--set {text}") from error


@app.command()
def units(
    type_name: Annotated[
        str | None,
        typer.Argument(metavar="TYPE", help="A source, unit or sink type; all types if omitted."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="text (for the terminal) or md (Markdown).")
    ] = "text",
) -> None:
    """List the node types (one line each), or one type on one screen: its ports, its
    tables of keys (default, unit, range, meaning), the sizes the optimizer may choose,
    its outputs. --format md: the full reference in Markdown, sources included (the
    documentation's page of node types is this text)."""
    import shutil

    from nexus.reference import reference_markdown, type_reference
    from nexus.registry import node_types

    types = node_types()
    if format not in ("text", "md"):
        _fail(NexusError(f"--format {format!r}; expected text or md"))
    if type_name is not None and type_name not in types:
        _fail(NexusError(f"no node type {type_name!r}; expected one of: {', '.join(types)}"))
    width = max(40, shutil.get_terminal_size().columns)  # COLUMNS, else the terminal, else 80
    if type_name is None and format == "text":
        name_w = max(map(len, types))
        for name, t in types.items():
            line = f"{name:<{name_w}}  {t.role:<6}  {t.description}"
            typer.echo(line if len(line) <= width else line[: width - 1] + "…")
        typer.echo("\n'nexus units TYPE' shows one type; '--format md' all, with sources.")
        return
    if type_name is None:
        typer.echo(reference_markdown(), nl=False)
    else:
        typer.echo(type_reference(types[type_name], markdown=format == "md", width=width), nl=False)


def main() -> None:  # pragma: no cover - entry point for python -m nexus
    app()
