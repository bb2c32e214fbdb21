"""Where a digester's COD goes: biogas, dissolved methane, withdrawn sludge, and its heat
balanced over the day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nexus.components import INDEX, N_COMPONENTS
from nexus.errors import DistrictError, ParameterError
from nexus.registry import Port, UnitType, register
from nexus.streams import Stream
from nexus.units import adm1
from nexus.units import digester as dg

ROOT = Path(__file__).resolve().parents[2]

#: Black water and kitchen waste of 1,000 people [kg/(p d)], as in the validation tests.
PER_PERSON_KG_D = {
    "COD_s": 0.024, "COD_x": 0.056, "NH4_N": 0.0096, "Norg_N": 0.0024, "PO4_P": 0.00108,
    "Porg_P": 0.00072, "K": 0.0035, "Mg": 0.0003, "Ca": 0.0006, "Na": 0.003, "Cl": 0.0045,
    "Alk_HCO3": 0.0418, "TSS": 0.04,
}  # fmt: skip


def feed(days: int = 3, persons: float = 1000.0) -> Stream:
    """Hourly feed at 5 L/(p d), more in the morning and evening."""
    shape = np.tile(1.0 + 0.8 * np.sin(np.linspace(0.0, 2.0 * np.pi, 24, endpoint=False)), days)
    share = shape / shape.reshape(-1, 24).sum(axis=1).repeat(24)
    loads = np.zeros((24 * days, N_COMPONENTS))
    for name, kg in PER_PERSON_KG_D.items():
        loads[:, INDEX[name]] = kg * persons * share
    return Stream(0.005 * persons * share, np.full(24 * days, 20.0), loads)


REACTOR = dg.ReactorParams(V_liq_m3=43.5, T_C=25.0, solids_retention_d=100.0)
COD = [INDEX["COD_s"], INDEX["COD_x"]]


def digest(**kw: object) -> dg.DailyDigestion:
    sludge = kw.pop("sludge", None)
    reactor = dg.ReactorParams(**{**REACTOR.__dict__, **kw})
    return dg.digest_by_day(feed(), reactor, dg.FeedParams(), np.full(72, 10.0), sludge)


@pytest.mark.component
def test_methane_splits_between_biogas_and_effluent_and_degassing_returns_it():
    base = digest()
    more = digest(methane_supersaturation=4.0)
    degassed = digest(degassing_frac=1.0)
    made = base.methane_Nm3_h + base.methane_dissolved_Nm3_h
    # What the reactor makes does not depend on where it leaves.
    np.testing.assert_allclose(more.methane_Nm3_h + more.methane_dissolved_Nm3_h, made)
    np.testing.assert_allclose(degassed.methane_Nm3_h, made)
    assert (degassed.methane_dissolved_Nm3_h == 0.0).all()
    np.testing.assert_allclose(degassed.methane_degassed_Nm3_h, base.methane_dissolved_Nm3_h)
    assert (more.methane_dissolved_Nm3_h > 1.6 * base.methane_dissolved_Nm3_h).all()
    # The dissolved methane is in the effluent's soluble COD.
    extra = (more.effluent.loads_kg_h - base.effluent.loads_kg_h)[:, INDEX["COD_s"]].sum()
    lost = (more.methane_dissolved_Nm3_h - base.methane_dissolved_Nm3_h).sum()
    assert extra == pytest.approx(lost * adm1.COD_kg_per_Nm3_CH4, rel=1e-9)


@pytest.mark.component
def test_sludge_carries_the_solids_and_every_element_closes():
    water = feed()
    whole = digest()
    split = digest(sludge=dg.SludgeParams())
    np.testing.assert_allclose(split.methane_Nm3_h, whole.methane_Nm3_h)
    # water: feed = effluent + sludge, hour by hour
    np.testing.assert_allclose(
        split.effluent.flow_m3_h + split.sludge.flow_m3_h, water.flow_m3_h, rtol=1e-12
    )
    # loads: the two outflows together are the unseparated outflow
    np.testing.assert_allclose(
        split.effluent.loads_kg_h + split.sludge.loads_kg_h, whole.effluent.loads_kg_h, atol=1e-12
    )
    sludge_tss = split.sludge.loads_kg_h[:, INDEX["TSS"]].sum() / split.sludge.flow_m3_h.sum()
    assert sludge_tss == pytest.approx(dg.SludgeParams().TSS_kg_m3)
    captured = split.sludge.loads_kg_h[:, INDEX["COD_x"]].sum()
    assert captured == pytest.approx(0.98 * whole.effluent.loads_kg_h[:, INDEX["COD_x"]].sum())
    # COD over the run: fed = effluent + sludge + gas + held (0 over whole days)
    fed = water.loads_kg_h[:, COD].sum()
    out = split.effluent.loads_kg_h[:, COD].sum() + split.sludge.loads_kg_h[:, COD].sum()
    gas = split.COD_to_biogas_kg_h.sum()
    assert fed == pytest.approx(out + gas, rel=1e-12)
    assert abs(split.accumulation_kg_h["COD"].sum()) < 1e-9 * fed
    for element in ("N", "P"):
        assert abs(split.accumulation_kg_h[element].reshape(-1, 24).sum(axis=1)).max() < 1e-12


@pytest.mark.unit
@settings(max_examples=60, deadline=None)
@given(
    loads=arrays(float, (4, N_COMPONENTS), elements=st.floats(0.0, 50.0)),
    part=arrays(float, (4, N_COMPONENTS), elements=st.floats(0.0, 1.0)),
    water=arrays(float, 4, elements=st.floats(0.0, 20.0)),
    capture=st.floats(0.0, 1.0),
    tss=st.floats(1.0, 400.0),
)
def test_separation_conserves_water_and_loads(loads, part, water, capture, tss):
    r = dg.separate_solids(
        loads, water, loads * part, dg.SludgeParams(capture_frac=capture, TSS_kg_m3=tss)
    )
    np.testing.assert_allclose(r.effluent_m3 + r.sludge_m3, water, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.effluent_kg + r.sludge_kg, loads, rtol=1e-12, atol=1e-9)
    assert (r.sludge_m3 >= 0).all() and (r.effluent_m3 >= -1e-12).all()
    assert (r.sludge_kg >= -1e-12).all() and (r.effluent_kg >= -1e-9).all()


@pytest.mark.integration
def test_no_day_exports_chp_heat_while_the_digester_buys_backup(buiksloterham_ds):
    ds = buiksloterham_ds

    def daily(x: np.ndarray) -> np.ndarray:
        return np.asarray(x).reshape(-1, 24).sum(axis=1)

    backup = daily(ds["heat_backup_kW"].sel(node="digester"))
    export = daily(ds["heat_kW"].sel(heat_link="chp.heat -> heat_network.in"))
    assert not ((backup > 1e-9) & (export > 1e-9)).any()
    held = ds["heat_accumulation_kW"].sel(node="digester").to_numpy()
    assert held.max() > 0.0  # it does hold heat within days ...
    assert np.abs(daily(held)).max() < 1e-9  # ... and none over a day
    received = daily(ds["heat_kW"].sel(heat_link="chp.heat -> digester.heat"))
    demand = daily(ds["heat_demand_kW"].sel(node="digester"))
    np.testing.assert_allclose(received + backup, demand, rtol=1e-12, atol=1e-9)


@pytest.mark.unit
def test_a_heat_inlet_may_hold_heat_only_over_a_divisor_of_a_day():
    class Odd(UnitType):
        name = "odd_heated_tank"
        description = "a test type"
        ports = (
            Port("in", "water", "in"),
            Port("out", "water", "out"),
            Port("heat", "heat", "in", takes=("process",), within_h=5),
        )

    with pytest.raises(ParameterError, match=r"within_h=5 .* must divide 24"):
        register(Odd())


@pytest.mark.integration
@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        (
            "solids_retention_d = 100.0",
            "solids_retention_d = -5.0",
            "units.digester.reactor.solids_retention_d",
            ">= 0",
        ),
        (
            "[units.digester.feed]",
            "[units.digester.sludges]\n[units.digester.feed]",
            "units.digester.sludges",
            "unknown key",
        ),
        (
            "[units.digester.feed]",
            "[units.digester.sludge]\ncapture_frac = 1.5\n[units.digester.feed]",
            "units.digester.sludge.capture_frac",
            "<= 1",
        ),
    ],
)
def test_bad_digester_input_names_the_key(tmp_path, old, new, key, expected):
    from nexus import load_district

    text = (ROOT / "districts" / "buiksloterham.toml").read_text()
    assert old in text
    path = tmp_path / "district.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DistrictError) as info:
        load_district(path)
    message = str(info.value)
    assert key in message and expected in message, message
