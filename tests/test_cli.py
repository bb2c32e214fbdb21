"""The command line, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

import nexus

ROOT = Path(__file__).resolve().parent.parent


def nexus_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nexus", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("preset", "name"),
    [
        ("sneek_noorderhoek", "Sneek Noorderhoek"),
        ("hamburg_jenfelder_au", "Hamburg Jenfelder Au"),
        ("gent_nieuwe_dokken", "Gent Nieuwe Dokken"),
        ("helsingborg_oceanhamnen", "Helsingborg Oceanhamnen"),
    ],
)
def test_each_preset_of_a_built_district_runs(preset, name):
    run = nexus_cli("run", f"districts/{preset}.toml")
    assert run.returncode == 0, run.stderr
    assert f"{name}: annual key figures" in run.stdout
    lines = run.stdout.splitlines()
    # every energy flow that costs money is a key figure (Hamburg's digester buys backup heat)
    for figure in ("electricity bought", "backup heat bought", "heat_network: backup heat bought"):
        assert any(f"│ {figure} " in line and "MWh/yr" in line for line in lines), figure
    if preset == "hamburg_jenfelder_au":
        assert any("digester: backup heat bought" in line for line in lines)
    assert "e+0" not in run.stdout  # numbers formatted one way
    assert any(
        "digester: methane " in line and "Nm3/yr" in line for line in run.stdout.splitlines()
    )


@pytest.mark.integration
def test_run_prints_kpis_and_writes_netcdf(tmp_path):
    out = tmp_path / "results.nc"
    run = nexus_cli("run", "districts/buiksloterham.toml", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert any("heat delivered " in line and "MWh/yr" in line for line in run.stdout.splitlines())
    assert "Buiksloterham" in run.stdout
    # nexus's warnings (its logger) reach the user once, on standard error
    assert run.stderr.count("warning: the water reaching a struvite reactor") == 1, run.stderr
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["time"] == 8760


@pytest.mark.integration
def test_run_into_missing_folder_is_a_clear_error(tmp_path):
    run = nexus_cli("run", "districts/buiksloterham.toml", "--out", str(tmp_path / "no" / "r.nc"))
    assert run.returncode == 1
    assert "does not exist" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.integration
def test_run_bad_weather_file_is_a_clear_error(tmp_path):
    text = (ROOT / "tests" / "data" / "small_district.toml").read_text()
    (tmp_path / "w.csv").write_text("time,T_out_C\n2025-01-01 00:00,3.0\n")
    district = tmp_path / "d.toml"
    district.write_text(text.replace("[district]", '[weather]\nfile = "w.csv"\n\n[district]'))
    for command in ("run", "validate"):
        run = nexus_cli(command, str(district))
        assert run.returncode == 1, run.stdout
        assert "w.csv" in run.stderr
        assert "Traceback" not in run.stderr


@pytest.mark.integration
def test_no_arguments_shows_help():
    run = nexus_cli()
    assert "run" in run.stdout + run.stderr
    assert "validate" in run.stdout + run.stderr


@pytest.mark.integration
def test_units_lists_parameters_with_sources():
    run = nexus_cli("units", "shower_dwhr")
    assert run.returncode == 0, run.stderr
    assert "rated_effectiveness_frac" in run.stdout
    assert "[units.NAME]" in run.stdout  # the table its keys go under, not read as markup
    assert "CSA B55.1" in nexus_cli("units", "shower_dwhr", "--format", "md").stdout
    run = nexus_cli("units")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    for name in nexus.node_types():  # one line per type, sources and sinks too
        assert sum(line.startswith(f"{name} ") for line in lines) == 1, name
    assert max(map(len, lines)) <= 80  # not a terminal: 80 columns
    run = nexus_cli("units", "greywater_heat_pump")
    for table in ("[units.NAME.exchanger]", "[units.NAME.heat_pump]", "[units.NAME.store]"):
        assert table in run.stdout
    run = nexus_cli("units", "--format", "md")  # the page the documentation is built from
    from nexus.reference import reference_markdown

    assert run.stdout == reference_markdown()
    run = nexus_cli("units", "struvite_reactor", "--format", "md")
    assert run.returncode == 0, run.stderr
    assert "| `V_m3` | required |" in run.stdout
    # an optional parameter without a default value (the struvite reactor's pH target)
    assert "| `pH_target` | not set |" in run.stdout
    assert "`[units.NAME]`" in run.stdout  # the table a key belongs under, titled
    run = nexus_cli("units", "households")
    assert run.returncode == 0 and "ev_kW" in run.stdout, run.stderr
    assert "[sources.NAME.water]" in run.stdout and "shower_L_p_d" in run.stdout
    bad = nexus_cli("units", "digester9")
    assert bad.returncode == 1
    assert "expected one of" in bad.stderr


@pytest.mark.integration
def test_optimize_refuses_a_bad_objective_with_exit_status_1(buiksloterham_path):
    bad = nexus_cli("optimize", str(buiksloterham_path), "--objective", "money")
    assert bad.returncode == 1
    assert "not an objective" in bad.stderr and "Traceback" not in bad.stderr


def _refused_before_work(monkeypatch, args: list[str]) -> str:
    """Run the CLI in-process with the simulation and the optimizer replaced by tripwires:
    the option must be refused (exit status 1) before either starts."""
    from typer.testing import CliRunner

    import nexus.optimize
    from nexus.cli import app

    def tripwire(*_a, **_k):
        raise AssertionError("work started before the options were checked")

    monkeypatch.setattr(nexus, "simulate", tripwire)
    monkeypatch.setattr(nexus.optimize, "solve", tripwire)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, AssertionError)
    return " ".join(result.output.split())


SMALL = str(ROOT / "tests" / "data" / "small_district.toml")


@pytest.mark.component
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--typical-days", "-3"], "typical_days = -3; expected an integer 0..365"),
        (["--typical-days", "400"], "typical_days = 400; expected an integer 0..365"),
        (["--time-limit", "0"], "time_limit_s = 0.0; expected a finite number of seconds > 0"),
        (["--time-limit", "-1"], "time_limit_s = -1.0; expected a finite number"),
        (["--time-limit", "nan"], "time_limit_s = nan; expected a finite number"),
        (["--pareto", "400"], "pareto = 400; expected an integer 2..50"),
        (["--out", "/dev/null"], "--out /dev/null: is a special file"),
        (["--out", "/"], "--out /: is a folder; expected a file name to write"),
        (["--out", SMALL], f"--out {SMALL}: is the input file"),
        (["--out", "/nonexistent-folder/r.nc"], "folder /nonexistent-folder does not exist"),
    ],
)
def test_optimize_options_are_checked_before_work(monkeypatch, args, expect):
    assert expect in _refused_before_work(monkeypatch, ["optimize", SMALL, *args])


@pytest.mark.component
def test_outputs_of_run_and_compare_are_checked_before_work(monkeypatch, tmp_path):
    message = _refused_before_work(monkeypatch, ["run", SMALL, "--out", SMALL])
    assert f"--out {SMALL}: is the input file" in message
    message = _refused_before_work(monkeypatch, ["run", SMALL, "--report", str(tmp_path)])
    assert "is a folder" in message
    message = _refused_before_work(monkeypatch, ["compare", SMALL, SMALL, "--csv", "/dev/zero"])
    assert "--csv /dev/zero: is a special file" in message
    message = _refused_before_work(monkeypatch, ["run", SMALL, "--figures", SMALL])
    assert f"--figures {SMALL}: is not a folder" in message
    missing = str(tmp_path / "no" / "figs")
    message = _refused_before_work(monkeypatch, ["compare", SMALL, "--figures", missing])
    assert f"folder {tmp_path / 'no'} does not exist" in message
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):  # root writes anywhere
        message = _refused_before_work(monkeypatch, ["run", SMALL, "--out", str(locked / "r.nc")])
        assert "is not writable" in message


@pytest.mark.integration
def test_strings_from_a_file_reach_the_terminal_as_text(tmp_path):
    """Rich markup in a name is printed as written and control characters as escapes: a
    district file cannot restyle, hide or rewrite what the terminal shows."""
    base = (ROOT / "districts" / "buiksloterham.toml").as_posix()
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'base = "{base}"\n[district]\nname = "[bold red]B[/bold red] \\u001b[2J"\n',
        encoding="utf-8",
    )
    run = nexus_cli("run", str(scenario))
    assert run.returncode == 0, run.stderr
    assert "[bold red]B[/bold red] \\x1b[2J: annual key figures" in run.stdout
    assert "\x1b" not in run.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(f'base = "{base}"\ndisable = ["[u]x[/u]\\u001b"]\n', encoding="utf-8")
    run = nexus_cli("validate", str(bad))
    assert run.returncode == 1
    assert "'[u]x[/u]\\x1b' is not a unit" in run.stderr.replace("\n", "")
    assert "\x1b" not in run.stderr


def _invoke(args: list[str], columns: int = 80):
    """The CLI in-process, as a pipe sees it (not a terminal), ``columns`` wide."""
    from typer.testing import CliRunner

    from nexus.cli import app

    return CliRunner(env={"COLUMNS": str(columns)}).invoke(app, args)


@pytest.mark.component
def test_version_and_the_unit_of_the_time_limit():
    from importlib.metadata import version

    result = _invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"nexus {version('nexus')}\n"
    result = _invoke(["optimize", "--help"], columns=200)
    line = next(x for x in result.stdout.splitlines() if "--time-limit" in x)
    assert "in seconds" in line  # "[s]" would be read as rich markup and vanish


@pytest.mark.integration
def test_run_exports_the_kpis_by_machine_name_with_units(tmp_path):
    import csv
    import json

    from nexus.sweeps import kpi_name, kpi_parts, kpi_units

    out_csv, out_json = tmp_path / "k.csv", tmp_path / "k.json"
    result = _invoke(["run", SMALL, "--csv", str(out_csv), "--json", str(out_json)])
    assert result.exit_code == 0, result.output
    expected = nexus.kpis(nexus.simulate(nexus.load_district(SMALL)))
    with out_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["name", "value", "units", "description"]
    assert [r["name"] for r in rows] == [kpi_name(n) for n in expected.index]
    assert [r["units"] for r in rows] == [kpi_units(n) for n in expected.index]
    assert [float(r["value"]) for r in rows] == pytest.approx(expected.to_list(), rel=1e-12)
    document = json.loads(out_json.read_text())
    assert document["district"] == "Small test district"
    assert list(document["kpis"]) == [r["name"] for r in rows]
    bought = document["kpis"]["electricity_bought_MWh_yr"]
    assert bought["units"] == "MWh yr-1" and bought["description"] == "electricity bought"
    # the terminal: words, a value formatted one way, the unit in its own column
    lines = result.stdout.splitlines()
    header = next(x for x in lines if "indicator" in x)
    assert header.split()[1:] == ["indicator", "┃", "value", "┃", "unit", "┃"]
    for name in expected.index:
        plain, units = kpi_parts(str(name))
        if len(plain) < 40:  # shown on one line
            line = next(x for x in lines if f"│ {plain} " in x)
            assert line.split("│")[3].strip() == units
    assert "e+0" not in result.stdout and "e-0" not in result.stdout
    assert "key figures written to" in result.stdout


@pytest.mark.component
def test_kpi_exports_refuse_the_input_a_folder_and_a_shared_path(monkeypatch, tmp_path):
    message = _refused_before_work(monkeypatch, ["run", SMALL, "--csv", SMALL])
    assert f"--csv {SMALL}: is the input file" in message
    message = _refused_before_work(monkeypatch, ["run", SMALL, "--json", str(tmp_path)])
    assert "is a folder" in message
    same = str(tmp_path / "k.out")
    message = _refused_before_work(monkeypatch, ["run", SMALL, "--csv", same, "--json", same])
    assert f"--json {same}: also named by --csv" in message


def _small_optimized(tmp_path: Path) -> Path:
    """The small district with sizes to choose and prices, on 2 representative days."""
    path = tmp_path / "small_opt.toml"
    path.write_text(
        (ROOT / "tests" / "data" / "small_district.toml").read_text()
        + """
[optimize]
typical_days = 2

[optimize.prices]
electricity_import_per_kWh = 0.2
heat_backup_per_kWh = 0.1
source = "test values"

[optimize.design.gw_hp.capacity_kW]
max = 20.0
capex_per_unit = 700.0
lifetime_yr = 20.0
source = "test value"
"""
    )
    return path


@pytest.mark.integration
def test_a_pareto_table_names_its_objectives_and_ends_at_80_columns(tmp_path):
    """Piped (not a terminal): plain progress lines on standard error; the table at 80
    columns titled by what is traded, its ends labelled, labels wrapped and never cut."""
    front = tmp_path / "front.nc"
    result = _invoke(
        [
            "optimize",
            str(_small_optimized(tmp_path)),
            "--objective",
            "energy",
            "--pareto",
            "5",
            "--out",
            str(front),
        ]
    )
    assert result.exit_code == 0, result.output
    # the representative days carry the calendar day each is (a coordinate over step)
    with xr.open_dataset(front, engine="h5netcdf") as ds:
        dates = ds["date"].to_numpy()
        assert ds["date"].dims == ("step",) and dates.dtype.kind == "M"
    days = dates.reshape(2, 24)
    assert (days.astype("datetime64[D]") == days[:, :1].astype("datetime64[D]")).all()
    assert (days[:, 0] == days[:, 0].astype("datetime64[D]")).all()  # from midnight
    out = result.stdout
    assert "Pareto front of net energy against cost, 5 points" in out
    assert "optimal design" not in out
    assert "best cost" in out and "best net energy" in out  # the ends, over their columns
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "…" not in out  # nothing cut
    for i in range(5):
        assert f"point {i}" in out
    words = " ".join(out.split())
    assert "opex_electricity_import_per_yr" in words  # a long label, whole
    # progress: stage i/n, the time elapsed and, once a stage is done, the time left
    err = result.stderr.splitlines()
    assert err[0].startswith("stage 1/") and "elapsed" in err[0]
    assert any("left)" in line for line in err)
    assert err[-1].startswith("stage ") and " done (elapsed" in err[-1]
    total = int(err[0].split("/")[1].split(":")[0])
    assert err[-1].startswith(f"stage {total}/{total} done")


@pytest.mark.component
def test_a_simulation_says_what_it_does_when_piped():
    result = _invoke(["run", SMALL])
    assert result.exit_code == 0, result.output
    assert "simulating Small test district over a year of hourly steps" in result.stderr


@pytest.mark.integration
@pytest.mark.parametrize(
    "failure",
    [
        OSError(28, "No space left on device"),
        RuntimeError("Can't decrement id ref count (unable to close file)"),
    ],
    ids=["disk full", "HDF5 library error"],
)
def test_run_out_write_errors_are_clear_and_leave_nothing(monkeypatch, tmp_path, failure):
    """A full disk while netCDF is written, or an error raised inside the HDF5 library:
    exit status 1, one clear line naming the file, no traceback, no half or temporary file."""
    from typer.testing import CliRunner

    from nexus.cli import app

    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89HDF half")
        raise failure

    monkeypatch.setattr(xr.Dataset, "to_netcdf", full)
    out = tmp_path / "r.nc"
    result = CliRunner().invoke(app, ["run", SMALL, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, type(failure)), result.exception
    message = " ".join(result.output.split())
    assert f"{out}: cannot write" in message, message
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.component
def test_results_are_written_with_the_users_umask(tmp_path):
    from nexus.io import write_netcdf

    mask = os.umask(0o027)
    try:
        path = write_netcdf(xr.Dataset({"x": ("t", [1.0, 2.0])}), tmp_path / "r.nc")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o640  # not the temporary file's 0o600


@pytest.mark.integration
def test_validate_says_the_weather_year_of_a_district_with_a_weather_file():
    """`nexus validate` reads the weather once (in its preflight) and says which year of it
    is simulated; the packaged Amsterdam year has no such line."""
    with_file = _invoke(["validate", str(ROOT / "districts/chaoyang.toml")])
    assert with_file.exit_code == 0, with_file.output
    assert "weather: " in with_file.output and ", 8760 hours" in with_file.output
    packaged = _invoke(["validate", str(ROOT / "districts/buiksloterham.toml")])
    assert packaged.exit_code == 0 and "weather: " not in packaged.output
