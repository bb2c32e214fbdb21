"""The ``nexus`` command line.

``nexus run FILE [--out results.nc]`` simulates a district and prints its
KPIs; ``nexus optimize FILE`` chooses its unit sizes and verifies them by
simulation; ``nexus validate FILE`` checks a district file. Errors a user can cause
print one clear message and exit with status 1, never a traceback.

typer is used for arguments and help, rich for tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import typer

from nexus.errors import NexusError

app = typer.Typer(
    name="nexus",
    help="Simulate and optimize the water-food-energy nexus of city districts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DistrictPath = Annotated[Path, typer.Argument(help="District file (TOML).", show_default=False)]


@app.callback()
def _show_warnings() -> None:
    """Show nexus's warnings (the ``nexus`` logger) on standard error."""
    import logging

    logger = logging.getLogger("nexus")
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def _fail(error: NexusError) -> NoReturn:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {error}", markup=True
    )
    raise typer.Exit(1)


@app.command()
def validate(file: DistrictPath) -> None:
    """Check a district file (and the weather file it names) and report what is wrong."""
    from nexus.district import load_district
    from nexus.weather import load_weather

    try:
        district = load_district(file)
        if district.weather_file is not None:
            load_weather(district.weather_file, year=district.info.year)
    except NexusError as error:
        _fail(error)
    typer.echo(
        f"{file}: valid district {district.name!r}: {len(district.sources)} sources, "
        f"{len(district.units)} units, {len(district.sinks)} sinks, "
        f"{len(district.connections)} connections"
    )


@app.command()
def run(
    file: DistrictPath,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write hourly results to this netCDF file.")
    ] = None,
) -> None:
    """Simulate a district over a year and print its annual KPIs."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    import nexus
    from nexus.io import write_netcdf

    console = Console(highlight=False)
    try:
        district = nexus.load_district(file)
        with console.status(f"simulating {district.name} over a year of hourly steps"):
            ds = nexus.simulate(district)
        table = nexus.kpis(ds)
        if out is not None:
            write_netcdf(ds, out)
    except NexusError as error:
        _fail(error)
    grid = Table(title=f"{district.name}: annual key figures", title_justify="left")
    grid.add_column("indicator")
    grid.add_column("value", justify="right")
    for name, value in table.items():
        grid.add_row(Text(str(name)), f"{value:,.1f}")  # Text: "[kg/yr]" is not rich markup
    console.print(grid)
    if out is not None:
        console.print(f"hourly results written to {out}")


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
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit per solve [s].")
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
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table
    from rich.text import Text

    import nexus
    from nexus.io import write_netcdf
    from nexus.optimize import solve

    console = Console(highlight=False)
    try:
        district = nexus.load_district(file)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("loading", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            ds = solve(
                district,
                objective=objective,
                pareto=pareto,
                time_limit_s=time_limit,
                typical_days=typical_days,
                progress=progress,
            )
        if out is not None:
            write_netcdf(ds, out)
    except NexusError as error:
        _fail(error)
    grid = Table(
        title=f"{district.name}: optimal design ({ds.attrs['objective']})", title_justify="left"
    )
    grid.add_column("quantity")
    for i in ds["pareto"].values:
        grid.add_column(f"point {i}" if ds.sizes["pareto"] > 1 else "value", justify="right")
    for name, var in ds.data_vars.items():
        if var.dims == ("pareto",):
            grid.add_row(Text(f"{name} [{var.attrs['units']}]"), *(f"{v:,.4g}" for v in var.values))
        elif var.dims == ("pareto", "node"):  # the design: sizes by unit
            for node in ds["node"].values:
                values = var.sel(node=node).values
                if not np.isnan(values).all():
                    label = f"{node}: {name} [{var.attrs['units']}]"
                    grid.add_row(Text(label), *(f"{v:,.4g}" for v in values))
        # hourly operation and link flows: in the --out file
    console.print(grid)
    fit = ", ".join(
        f"{k} {v:.2g}"
        for k, v in zip(ds["map_series"].values, ds["map_fit_error"].values, strict=True)
    )
    console.print(f"{ds.attrs['time_steps']} time steps; map fitting errors: {fit or 'none'}")
    if out is not None:
        console.print(f"result written to {out}")


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
    """List the node types, or one type in full: ports, parameters (default, unit, range,
    source), sizes the optimizer may choose, outputs."""
    from nexus.reference import type_reference, types_table
    from nexus.registry import node_types

    types = node_types()
    if format not in ("text", "md"):
        _fail(NexusError(f"--format {format!r}; expected text or md"))
    if type_name is not None and type_name not in types:
        _fail(NexusError(f"no node type {type_name!r}; expected one of: {', '.join(types)}"))
    if type_name is None and format == "text":
        width = max(map(len, types))
        for name, t in types.items():
            typer.echo(f"{name:<{width}}  {t.role:<6}  {t.description}")
        typer.echo("\n'nexus units TYPE' shows one type in full.")
        return
    if type_name is None:
        typer.echo(types_table())
    else:
        typer.echo(type_reference(types[type_name], markdown=format == "md"))


def main() -> None:  # pragma: no cover - entry point for python -m nexus
    app()
