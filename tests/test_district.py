"""Loading district files: the valid ones load, every bad one is explained."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import nexus
from nexus.district import district_from_dict

HERE = Path(__file__).resolve().parent
BAD = sorted((HERE / "bad_districts").glob("*.toml"))
sys.path.insert(0, str(HERE / "bad_districts"))
from make_corpus import corpus  # noqa: E402


def _header(path: Path) -> tuple[str, str]:
    text = path.read_text()
    key = re.search(r"^# expect key: (.*)$", text, re.M).group(1)
    expect = re.search(r"^# expect text: (.*)$", text, re.M).group(1)
    return key, expect


@pytest.mark.unit
def test_corpus_has_at_least_eighty_files_and_is_current():
    assert len(BAD) >= 80
    generated = corpus()
    assert {p.stem for p in BAD} == set(generated)
    for path in BAD:
        assert path.read_text() == generated[path.stem][0], (
            f"{path.name} is stale: rerun make_corpus.py"
        )


def _at_validate(path: Path) -> bool:
    """A file that loads but that ``nexus validate`` refuses (its preflight)."""
    return "# expect stage: validate" in path.read_text()


@pytest.mark.component
@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_district_names_file_key_and_expectation(path):
    from nexus.simulation import preflight

    key, expect = _header(path)
    with pytest.raises(nexus.DistrictError) as info:
        if _at_validate(path):
            preflight(nexus.load_district(path))
        else:
            nexus.load_district(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert f"{key}:" in message or f"{key} " in message, message
    assert expect in message, message
    assert info.value.key == key


@pytest.mark.component
def test_validate_refuses_every_bad_district_in_a_moment():
    """`nexus validate` accepts no file of the corpus, each refused with exit status 1,
    its key named, no traceback, within seconds (the preflight runs no unit)."""
    import time

    from typer.testing import CliRunner

    from nexus.cli import app

    runner = CliRunner()
    for path in BAD:
        key, _ = _header(path)
        t0 = time.perf_counter()
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 1, (path.name, result.output)
        assert isinstance(result.exception, SystemExit), (path.name, result.exception)
        assert key in " ".join(result.output.split()).replace(" ", ""), (path.name, key)
        assert time.perf_counter() - t0 < 10.0, path.name


@pytest.mark.component
def test_validate_accepts_the_presets_with_their_units_checked():
    from typer.testing import CliRunner

    from nexus.cli import app

    for preset in sorted((HERE.parent / "districts").glob("*.toml")):
        result = CliRunner().invoke(app, ["validate", str(preset)])
        assert result.exit_code == 0, (preset.name, result.output)


@pytest.mark.component
def test_small_district_is_valid():
    district = nexus.load_district(HERE / "data" / "small_district.toml")
    assert district.name == "Small test district"
    assert set(district.units) == {"dwhr", "gw_hp"}
    order = list(district.order)
    assert order.index("homes") < order.index("dwhr") < order.index("gw_hp")


@pytest.mark.component
def test_buiksloterham_is_valid(buiksloterham):
    assert buiksloterham.sources["homes"].params.residents == 1155
    assert len(buiksloterham.sha256) == 64


@pytest.mark.unit
def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(nexus.DistrictError, match="cannot read the district file"):
        nexus.load_district(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[district\nname = 1")
    with pytest.raises(nexus.DistrictError, match=r"bad\.toml: not a valid TOML file"):
        nexus.load_district(bad)


@pytest.mark.unit
def test_several_problems_are_all_listed():
    data = tomllib.loads((HERE / "data" / "small_district.toml").read_text())
    data["sources"]["homes"]["residents"] = -1
    data["sources"]["homes"]["homes"] = "many"
    with pytest.raises(nexus.DistrictError) as info:
        district_from_dict(data, file="mem.toml")
    text = str(info.value)
    assert "2 problems" in text
    assert "sources.homes.residents: -1 is out of range" in text
    assert "sources.homes.homes: 'many' is not valid; expected a number" in text


@pytest.mark.integration
def test_cli_validate_prints_the_message_and_exits_1():
    path = HERE / "bad_districts" / "negative_area.toml"
    run = subprocess.run(
        [sys.executable, "-m", "nexus", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert "units.gw_hp.exchanger.area_m2" in run.stderr
    assert "expected a number >= 0" in run.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "nexus", "validate", str(HERE / "data" / "small_district.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "valid district" in ok.stdout


@pytest.mark.unit
def test_suppliers_of_a_heat_inlet_run_in_connection_order_where_water_allows(buiksloterham):
    # Buiksloterham lists the CHP's heat before the heat pump's: the CHP serves the homes first
    order = buiksloterham.order
    assert order.index("chp") < order.index("gw_hp")
    # listing the heat pump first cannot override the water: the DWHR feeds the heat pump
    from nexus.district import district_from_dict

    data = tomllib.loads((Path(__file__).parent / "data" / "small_district.toml").read_text())
    data["connections"].remove("gw_hp.heat -> heat_network.in")
    data["connections"].insert(0, "gw_hp.heat -> heat_network.in")
    order = district_from_dict(data).order
    assert order.index("dwhr") < order.index("gw_hp")


@pytest.mark.component
def test_a_stated_year_is_never_silently_replaced_by_the_weather_files(tmp_path):
    import numpy as np
    import pandas as pd

    times = pd.date_range("2024-01-01", periods=8784, freq="h")
    T = 10.0 - 7.0 * np.cos(2 * np.pi * (times.day_of_year.to_numpy() - 15) / 366)
    pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M"), "T_out_C": T}).to_csv(
        tmp_path / "w2024.csv", index=False
    )
    data = tomllib.loads((HERE / "data" / "small_district.toml").read_text())
    data["weather"] = {"file": "w2024.csv"}
    unstated = district_from_dict(data, base_dir=tmp_path)
    assert unstated.stated_year is None
    ds = nexus.simulate(unstated)
    assert ds.sizes["time"] == 8760 and int(ds["time"].dt.year[0]) == 2024
    data["district"]["year"] = 2025
    with pytest.raises(nexus.DistrictError, match="the timestamps are of 2024, the district's"):
        nexus.simulate(district_from_dict(data, base_dir=tmp_path))


@pytest.mark.component
@pytest.mark.parametrize(("T_C", "bound"), [(5.0, ">= 20.0"), (55.0, "<= 35.0")])
def test_digestion_outside_the_validated_temperatures_is_refused_in_a_file(
    buiksloterham, T_C, bound
):
    # the temperature correction (Siegrist et al. 2002) is validated over 20-35 degC
    with pytest.raises(nexus.DistrictError) as info:
        buiksloterham.with_values({"units.digester.reactor.T_C": T_C})
    assert info.value.key == "units.digester.reactor.T_C"
    assert f"expected a number {bound}" in str(info.value)


@pytest.mark.unit
def test_a_capital_cost_beyond_any_plant_is_refused_before_the_solver(buiksloterham):
    import copy

    data = copy.deepcopy(buiksloterham.data)
    data["optimize"]["design"]["gw_hp"]["area_m2"]["capex_per_unit"] = 1e308
    with pytest.raises(nexus.DistrictError) as err:
        district_from_dict(data, file="dear.toml")
    assert "optimize.design.gw_hp.area_m2.capex_per_unit" in str(err.value)
