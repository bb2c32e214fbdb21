"""nexus: simulate and optimize the water-food-energy nexus of city districts.

Public API::

    district = nexus.load_district("districts/buiksloterham.toml")
    ds = nexus.simulate(district)        # xarray.Dataset, hourly, with units
    table = nexus.kpis(ds)               # pandas.Series of annual KPIs
    runs = nexus.sweep(district, {"units.gw_hp.exchanger.area_m2": [20, 40]})  # on Dask
    nexus.register(MyUnitType())         # a unit type of your own (docs/adding_a_unit.md)

Heavy libraries (pandas, xarray, pydantic, Pyomo) load on first use, so that
``import nexus`` stays fast.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import TYPE_CHECKING, Any

from nexus.errors import (
    BalanceError,
    DistrictError,
    InfeasibleError,
    NexusError,
    ParameterError,
    SolverError,
    VerificationError,
)

#: The version of nexus: its one source (pyproject.toml reads it from here).
__version__ = "0.1.0"

__all__ = [
    "BalanceError",
    "District",
    "DistrictError",
    "InfeasibleError",
    "NexusError",
    "NodeInputs",
    "NodeResult",
    "NodeType",
    "Output",
    "ParameterError",
    "Port",
    "Ratio",
    "SinkType",
    "Size",
    "SolverError",
    "SourceType",
    "UnitType",
    "VerificationError",
    "__version__",
    "balances",
    "kpis",
    "load_district",
    "node_types",
    "read_sweep",
    "register",
    "sensitivity",
    "simulate",
    "sweep",
    "unregister",
]

# nexus reports through the "nexus" logger (warnings about results a reader should know,
# such as a supersaturated effluent); like any library it leaves showing them to the
# application: the command line shows warnings, a script configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    **dict.fromkeys(
        (
            "NodeInputs",
            "NodeResult",
            "NodeType",
            "Output",
            "Port",
            "Ratio",
            "SinkType",
            "Size",
            "SourceType",
            "UnitType",
            "node_types",
            "register",
            "unregister",
        ),
        "nexus.registry",
    ),
    "load_district": "nexus.district",
    "District": "nexus.district",
    "simulate": "nexus.simulation",
    "kpis": "nexus.indicators",
    "balances": "nexus.balance",
    "sweep": "nexus.sweeps",
    "sensitivity": "nexus.sweeps",
    "read_sweep": "nexus.sweeps",
}

if TYPE_CHECKING:
    from nexus.balance import balances
    from nexus.district import District, load_district
    from nexus.indicators import kpis
    from nexus.registry import (
        NodeInputs,
        NodeResult,
        NodeType,
        Output,
        Port,
        Ratio,
        SinkType,
        Size,
        SourceType,
        UnitType,
        node_types,
        register,
        unregister,
    )
    from nexus.simulation import simulate
    from nexus.sweeps import read_sweep, sensitivity, sweep


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nexus' has no attribute {name!r}")
