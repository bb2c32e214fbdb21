"""Simulating the Buiksloterham district end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nexus
from nexus.constants import MOLAR_MASS_g_mol
from nexus.io import write_netcdf
from nexus.results import NODE_TERMS

TIGHT = 1e-9


@pytest.mark.integration
def test_dataset_shape_and_cf_attributes(buiksloterham_ds):
    ds = buiksloterham_ds
    assert ds.sizes["time"] == 8760
    assert (np.diff(ds["time"].to_numpy()) == np.timedelta64(1, "h")).all()
    for name, var in ds.data_vars.items():
        assert var.attrs.get("units"), name
        assert var.attrs.get("long_name"), name
    # every declared output of every node is finite every hour; NaN only where a node
    # has no such output (results by node)
    for node, type_name in zip(ds["node"].values, ds["node_type"].values, strict=True):
        declared = {o.name for o in nexus.node_types()[type_name].outputs}
        for name, var in ds.data_vars.items():
            if "time" not in var.dims:  # annual tables (costs, CO2): NaN = not priced
                continue
            values = var.sel(node=node).to_numpy() if "node" in var.dims else var.to_numpy()
            if "node" not in var.dims or name in declared or "element" in var.dims:
                assert np.isfinite(values).all(), (node, name)
            elif name not in NODE_TERMS:  # balance terms: 0 where a node has none
                assert np.isnan(values).all(), (node, name)
    assert set(ds["node_role"].values) == {"source", "unit", "sink"}
    assert ds["node_type"].sel(node="gw_hp") == "greywater_heat_pump"
    assert ds["heat_recovered_kW"].attrs["role"] == "heat_recovered"
    assert ds.attrs["district_name"] == "Buiksloterham"
    assert len(ds.attrs["district_sha256"]) == 64
    assert ds.attrs["nexus_version"] == nexus.__version__


@pytest.mark.integration
def test_every_hour_balances_close(buiksloterham_ds):
    result = nexus.balances(buiksloterham_ds)
    assert set(result) == {"dwhr", "gw_hp", "digester", "chp", "struvite", "district"}
    assert {"water", "COD", "N", "P", "K", "Mg", "Ca", "Na", "Cl", "energy"} <= set(
        result["struvite"]
    )
    for scope, quantities in result.items():
        for quantity, imbalance in quantities.items():
            assert np.abs(imbalance).max() <= TIGHT, (scope, quantity, np.abs(imbalance).max())


@pytest.mark.integration
def test_balance_harness_detects_a_leak(buiksloterham_ds):
    ds = buiksloterham_ds.copy(deep=True)
    ds["load_kg_h"][100, 0, 4] *= 1.001  # 0.1 % more phosphate on one stream in one hour
    result = nexus.balances(ds)
    assert np.abs(result["district"]["P"]).max() > 1e-5 or np.abs(result["dwhr"]["P"]).max() > 1e-5


@pytest.mark.integration
def test_annual_totals_equal_per_capita_figures(buiksloterham, buiksloterham_ds):
    ds = buiksloterham_ds
    spec = buiksloterham.sources["homes"].params
    from_homes = ds["stream_from"] == "homes"
    flow = ds["flow_m3_h"].where(from_homes, 0).sum().item()
    w = spec.water
    litres = (
        w.shower_L_p_d + w.washbasin_L_p_d + w.kitchen_L_p_d + w.laundry_L_p_d + w.blackwater_L_p_d
    )
    expected = (litres + w.kitchen_waste_kg_p_d) / 1000 * spec.residents * 365
    assert flow == pytest.approx(expected, rel=1e-12)
    P = ds["load_kg_h"].sel(component=["PO4_P", "Porg_P"]).where(from_homes, 0).sum().item()
    per_capita_P = spec.greywater.P_g_p_d + spec.blackwater.P_g_p_d + spec.kitchen_waste.P_g_p_d
    assert P == pytest.approx(per_capita_P * spec.residents * 365 / 1000, rel=1e-12)


@pytest.mark.integration
def test_kpis_are_plausible_and_named_with_units(buiksloterham_ds):
    table = nexus.kpis(buiksloterham_ds)
    assert all(name.endswith("]") for name in table.index)
    assert table["heat delivered [MWh/yr]"] > 0
    assert 0 < table["space heating and hot water covered [%]"] <= 100
    assert 2.0 < table["gw_hp: seasonal performance factor [-]"] < 7.0
    assert table["heat recovered [MWh/yr]"] <= table["heat delivered [MWh/yr]"]
    assert table["sewer: phosphorus received [kg/yr]"] > 0
    # Greywater gives up heat: the water leaving the heat pump is colder than what enters.
    ds = buiksloterham_ds
    T_in = ds["T_C"].sel(stream="homes.greywater -> gw_hp.in").mean().item()
    T_out = ds["T_C"].sel(stream="gw_hp.out -> sewer.in").mean().item()
    assert T_out < T_in


@pytest.mark.integration
def test_netcdf_round_trip_keeps_kpis(buiksloterham_ds, tmp_path):
    path = write_netcdf(buiksloterham_ds, tmp_path / "b.nc")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back.load()
    assert back["flow_m3_h"].attrs["units"] == "m3 h-1"
    assert nexus.kpis(back).equals(nexus.kpis(buiksloterham_ds))
    assert [p.name for p in tmp_path.iterdir()] == ["b.nc"]


@pytest.mark.unit
def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    ds = xr.Dataset({"x": ("t", np.arange(3.0))})

    def explode(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", explode)
    with pytest.raises(KeyboardInterrupt):
        write_netcdf(ds, tmp_path / "r.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.component
def test_same_seed_same_result_other_seed_differs():
    from pathlib import Path

    small = Path(__file__).parent / "data" / "small_district.toml"
    a = nexus.simulate(nexus.load_district(small))
    b = nexus.simulate(nexus.load_district(small))
    assert a.identical(b)
    import tomllib

    from nexus.district import district_from_dict

    data = tomllib.loads(small.read_text())
    data["district"]["seed"] = 8
    c = nexus.simulate(district_from_dict(data))
    assert not np.array_equal(a["flow_m3_h"].to_numpy(), c["flow_m3_h"].to_numpy())
    assert a["flow_m3_h"].sum().item() == pytest.approx(c["flow_m3_h"].sum().item(), rel=1e-12)


@pytest.mark.unit
def test_every_load_field_reaches_a_component():
    from nexus import sources
    from nexus.schema import LoadsPerCapita, TapWater

    mapped = set(sources.LOAD_FIELDS.values())
    for _, _, total, frac in sources.SPLIT_FIELDS:
        mapped |= {total, frac}
    assert mapped == set(LoadsPerCapita.model_fields)
    assert set(sources.TAP_FIELDS.values()) == set(TapWater.model_fields)


@pytest.mark.component
def test_a_nan_from_a_unit_is_refused_not_returned(monkeypatch):
    from pathlib import Path

    from nexus.units import heat_recovery as hr

    real = hr.dwhr_heat_kW

    def broken(*args, **kwargs):
        result = real(*args, **kwargs)
        result.heat_kW[5] = np.nan
        return result

    monkeypatch.setattr(hr, "dwhr_heat_kW", broken)
    district = nexus.load_district(Path(__file__).parent / "data" / "small_district.toml")
    with pytest.raises(nexus.NexusError, match=r"non-finite value in '.*' at 2025-01-01T05:00"):
        nexus.simulate(district)


@pytest.mark.integration
def test_struvite_reactor_recovers_the_phosphate_it_takes_from_the_water(buiksloterham_ds):
    ds = buiksloterham_ds
    PO4 = ds["load_kg_h"].sel(component="PO4_P")
    taken = (
        PO4.sel(stream="digester.out -> struvite.in") - PO4.sel(stream="struvite.out -> sewer.in")
    ).to_numpy()
    reactor = ds.sel(node="struvite")
    removed = reactor["removed_kg_h"]
    harvested = removed.sel(element="P").to_numpy()
    np.testing.assert_allclose(taken, harvested, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(reactor["P_recovered_kg_h"], harvested)
    # struvite is MgNH4PO4.6H2O: one P, one N and one Mg per formula unit
    M = MOLAR_MASS_g_mol  # [g/mol] = [kg/kmol]
    kmol_h = harvested / M["P"]
    np.testing.assert_allclose(reactor["struvite_kg_h"], kmol_h * M["MgNH4PO4.6H2O"], rtol=1e-9)
    np.testing.assert_allclose(removed.sel(element="N"), kmol_h * M["N"], rtol=1e-9)
    np.testing.assert_allclose(removed.sel(element="Mg"), kmol_h * M["Mg"], rtol=1e-9)
    # without a pH target the pH floats down as struvite releases H+, and no base is dosed
    wet = reactor["treated_m3_h"].to_numpy() > 0
    assert np.all(reactor["pH_final"].to_numpy()[wet] < reactor["pH_in"].to_numpy()[wet])
    assert reactor["NaOH_kg_h"].sum().item() == 0.0
    table = nexus.kpis(ds)
    assert table["struvite: phosphorus recovered [kg/yr]"] == pytest.approx(harvested.sum())
    assert table["phosphorus recovered for farms [kg/yr]"] == pytest.approx(harvested.sum())
    from_homes = ds["stream_from"] == "homes"
    P_released = ds["load_kg_h"].sel(component=["PO4_P", "Porg_P"]).where(from_homes, 0).sum()
    assert table["phosphorus recovered for farms, share of what the sources release [%]"] == (
        pytest.approx(100 * harvested.sum() / float(P_released))
    )
    assert 0 < table["struvite: phosphate-P recovered, share of what reaches it [%]"] < 100
    assert table["struvite: chemicals cost [EUR/yr]"] > 0


@pytest.mark.integration
def test_a_supersaturated_effluent_is_logged_as_a_warning(buiksloterham, caplog):
    """The struvite reactor's inlet water is supersaturated with hydroxyapatite (calcium
    phosphate the model leaves out): a warning on the ``nexus`` logger says so."""
    import logging

    with caplog.at_level(logging.WARNING, logger="nexus"):
        ds = nexus.simulate(buiksloterham)
    records = [r for r in caplog.records if "hydroxyapatite" in r.getMessage()]
    assert len(records) == 1 and records[0].name == "nexus.units.struvite.reactor"
    si = float(ds["SI_hydroxyapatite_in"].sel(node="struvite").max())
    assert si > 0 and f"{si:.1f}" in records[0].getMessage()


@pytest.mark.integration
def test_struvite_reactor_without_a_ph_is_a_clear_error():
    import tomllib
    from pathlib import Path

    from nexus.district import district_from_dict

    data = tomllib.loads((Path(__file__).parent / "data" / "small_district.toml").read_text())
    data["connections"] = [c for c in data["connections"] if not c.startswith("homes.black")]
    data["connections"] += ["homes.blackwater -> struvite.in", "struvite.out -> sewer.in"]
    data["units"]["struvite"] = {"type": "struvite_reactor", "V_m3": 1.0}
    with pytest.raises(nexus.DistrictError) as err:
        district_from_dict(data, file="test.toml")  # refused when loaded, before a run
    message = str(err.value)
    assert "test.toml" in message and "units.struvite" in message
    assert "needs water that has passed a node of type anaerobic_digester" in message


@pytest.mark.integration
def test_a_struvite_reactor_after_a_digester_not_built_harvests_nothing(buiksloterham, caplog):
    """The optimizer's cheapest design may leave the digester unbuilt: its water carries no pH,
    and the struvite reactor, as the optimizer models it, harvests nothing (a warning says so)."""
    ds = nexus.simulate(buiksloterham.with_sizes({"digester": {"V_liq_m3": 0.0}}))
    assert float(ds["removed_kg_h"].sel(node="struvite").sum()) == 0.0
    assert any("without a pH" in r.getMessage() for r in caplog.records)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("call", "expect"),
    [
        (lambda d: nexus.simulate(None), r"simulate: district is a NoneType; expected a District"),
        (
            lambda d: nexus.simulate("districts/buiksloterham.toml"),
            r"simulate: district is a str.*\(load it first: nexus\.load_district\(path\)\)",
        ),
        (lambda d: nexus.kpis(d), r"kpis: ds is a District; expected the xarray\.Dataset"),
        (lambda d: nexus.kpis(xr.Dataset()), r"kpis: ds has no time, node, node_role; expected"),
        (lambda d: nexus.balances(None), r"balances: ds is a NoneType; expected the xarray"),
        (lambda d: nexus.load_district(3), r"load_district: path is a int; expected a str or"),
        (lambda d: nexus.load_district(b"d.toml"), r"load_district: path is a bytes"),
        (lambda d: d.with_sizes(None), r"with_sizes: sizes is a NoneType; expected \{unit:"),
        (lambda d: d.with_sizes({"pump": {}}), r"with_sizes: 'pump' is not a unit; expected one"),
        (lambda d: d.with_sizes({"gw_hp": 3}), r"with_sizes: sizes\['gw_hp'\] is a int"),
        (lambda d: d.with_sizes({"gw_hp": {"x": 1.0}}), r"'x' is not a size of 'gw_hp'; expected"),
        (
            lambda d: d.with_sizes({"gw_hp": {"area_m2": "big"}}),
            r"sizes\['gw_hp'\]\['area_m2'\] = 'big'; expected a finite number",
        ),
        (lambda d: d.with_sizes({"gw_hp": {"area_m2": True}}), r"= True; expected a finite"),
        (lambda d: d.with_values(None), r"with_values: values is a NoneType; expected"),
    ],
)
def test_wrong_arguments_to_the_api_raise_parameter_errors_naming_them(call, expect):
    district = nexus.load_district(Path(__file__).parent / "data" / "small_district.toml")
    with pytest.raises(nexus.ParameterError, match=expect):
        call(district)
