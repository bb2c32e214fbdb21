"""One Dataset layout for simulation and optimization results.

Both :func:`nexus.simulate` and :func:`nexus.optimize.solve` return an
:class:`xarray.Dataset` built here, so that what a node did reads the same
way in both:

- dimension ``node`` (every source, unit and sink, in file order) with
  coordinates ``node_type`` and ``node_role``; each declared output
  (:class:`nexus.registry.Output`) is one variable over ``node`` (with the
  leading dimensions: ``time``, or ``pareto`` and ``step``), holding the
  values of the nodes that have it and NaN (not applicable) elsewhere; its
  ``role`` attribute says what it counts towards (:data:`nexus.registry.ROLES`);
- the balance terms every node has (:data:`NODE_TERMS`; per element,
  :data:`ELEMENT_TERMS` over ``element``);
- dimensions ``heat_link``, ``power_link`` and ``gas_link`` for the
  connections of each kind, with coordinates ``<dim>_from``, ``<dim>_to``,
  ``<dim>_from_role`` and ``<dim>_to_role``, and the flow on each
  (``heat_kW``, ``electricity_kW``, ``methane_Nm3_h``);
- CF attributes ``units`` and ``long_name`` on every variable; the nexus
  version, the district's name, file and SHA-256 and the solver status on the
  Dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.components import ELEMENTS

if TYPE_CHECKING:
    from collections.abc import Mapping

    import xarray as xr
    from numpy.typing import ArrayLike

    from nexus._typing import FloatArray, Floats
    from nexus.district import Connection, District

__all__ = [
    "ELEMENT_TERMS",
    "LINKS",
    "NODE_TERMS",
    "check_simulated",
    "dataset",
    "link_variables",
    "node_variables",
]

#: Balance terms of every node [units, long_name] (0 where a node has none).
NODE_TERMS: dict[str, tuple[str, str]] = {
    "fuel_kW": ("kW", "fuel burnt (lower heating value)"),
    "heat_backup_kW": ("kW", "heat the node needed but no connected supplier gave (backup)"),
    "heat_loss_kW": ("kW", "heat lost to the surroundings"),
    "water_lost_m3_h": ("m3 h-1", "water lost to the air (evapotranspiration)"),
    "heat_accumulation_kW": ("kW", "rate of change of the heat held in the node"),
    "heat_held_kWh": ("kWh", "heat held in the node at the end of the step"),
    "transport_lost_m3_h": ("m3 h-1", "water lost on the way to the node (route losses)"),
    "transport_lost_kW": ("kW", "sensible heat of the water lost on the way to the node"),
}
#: Balance terms of every node by element [units, long_name].
ELEMENT_TERMS: dict[str, tuple[str, str]] = {
    "removed_kg_h": ("kg h-1", "element leaving the water as a product or a gas"),
    "dosed_kg_h": ("kg h-1", "element added to the water in dosed chemicals"),
    "accumulation_kg_h": ("kg h-1", "element held back in the node (negative: released)"),
    "transport_lost_kg_h": ("kg h-1", "element lost on the way to the node (route losses)"),
}
#: Connections of each power or gas kind: (dimension, flow variable, units, long_name).
LINKS: dict[str, tuple[str, str, str, str]] = {
    "heat": ("heat_link", "heat_kW", "kW", "heat delivered"),
    "electricity": ("power_link", "electricity_kW", "kW", "electric power"),
    "gas": ("gas_link", "methane_Nm3_h", "m3 h-1", "methane flow (normal m3, 0 degC, 1.01325 bar)"),
}


def _variable(
    dims: tuple[str, ...], values: ArrayLike, units: str, long_name: str, **attrs: str
) -> xr.Variable:
    from nexus._xarray import xr

    return xr.Variable(dims, values, {"units": units, "long_name": long_name, **attrs})


def link_coords(district: District, dim: str, conns: list[Connection]) -> dict[str, Any]:
    """Coordinates of a connection dimension: labels as written, ends and their roles."""
    roles = {name: node.role for name, node in district.nodes.items()}
    return {
        dim: [c.label for c in conns],
        f"{dim}_from": (dim, [c.src for c in conns]),
        f"{dim}_to": (dim, [c.dst for c in conns]),
        f"{dim}_from_role": (dim, [roles[c.src] for c in conns]),
        f"{dim}_to_role": (dim, [roles[c.dst] for c in conns]),
    }


def link_variables(
    district: District,
    flows: Mapping[Connection, FloatArray],
    lead: tuple[str, ...],
    shape: tuple[int, ...],
) -> tuple[dict[str, Any], dict[str, xr.Variable]]:
    """Coordinates and flow variables of the heat, power and gas connections.

    Parameters
    ----------
    flows : dict of Connection to numpy.ndarray
        Flow on each connection, of shape ``shape`` (the leading dimensions).
    lead : tuple of str
        Names of the leading dimensions.
    """
    coords: dict[str, Any] = {}
    variables = {}
    for kind, (dim, name, units, long_name) in LINKS.items():
        conns = [c for c in district.connections if c.kind == kind]
        coords.update(link_coords(district, dim, conns))
        values = np.stack([flows[c] for c in conns], axis=-1) if conns else np.zeros((*shape, 0))
        variables[name] = _variable((*lead, dim), values, units, long_name)
    return coords, variables


def node_variables(
    district: District,
    values: Mapping[str, Mapping[str, Floats]],
    lead: tuple[str, ...],
    shape: tuple[int, ...],
    *,
    terms: Mapping[str, Mapping[str, Floats]] | None = None,
) -> tuple[dict[str, Any], dict[str, xr.Variable]]:
    """Coordinates of the ``node`` dimension and one variable per output name.

    Parameters
    ----------
    values : dict
        ``{output name: {node: array of shape ``shape``}}``; names are declared
        outputs of the nodes' types or :data:`NODE_TERMS`.
    lead, shape : tuple
        Leading dimensions and their shape.
    terms : dict, optional
        ``{term: {node: array}}`` of :data:`NODE_TERMS` and (with a last axis
        over :data:`~nexus.components.ELEMENTS`) :data:`ELEMENT_TERMS`;
        given for a simulation, where every node has every term (0 if none).

    Returns
    -------
    coords, variables
        Variables hold NaN for nodes without the output.
    """
    nodes = district.nodes
    names = list(nodes)
    index = {n: i for i, n in enumerate(names)}
    coords = {
        "node": names,
        "node_type": ("node", [node.type.name for node in nodes.values()]),
        "node_role": ("node", [node.role for node in nodes.values()]),
    }
    variables = {}
    for name, by_node in values.items():
        data = np.full((*shape, len(names)), np.nan)
        for node, v in by_node.items():
            data[..., index[node]] = v
        if name in NODE_TERMS:
            units, long_name = NODE_TERMS[name]
            attrs = {}
        else:
            declared = nodes[next(iter(by_node))].type.output(name)
            units, long_name = declared.units, declared.long_name
            attrs = {"role": declared.role} if declared.role else {}
        variables[name] = _variable((*lead, "node"), data, units, long_name, **attrs)
    for name, by_node in (terms or {}).items():
        per_element = name in ELEMENT_TERMS
        units, long_name = ELEMENT_TERMS[name] if per_element else NODE_TERMS[name]
        dims = (*lead, "node", "element") if per_element else (*lead, "node")
        data = np.zeros((*shape, len(names), len(ELEMENTS) if per_element else 1))
        for node, v in by_node.items():
            data[..., index[node], :] = v if per_element else np.asarray(v)[..., None]
        variables[name] = _variable(dims, data if per_element else data[..., 0], units, long_name)
    if terms:
        coords["element"] = list(ELEMENTS)
    return coords, variables


def dataset(
    district: District,
    variables: dict[str, Any],
    coords: dict[str, Any],
    *,
    title: str,
    solver_status: str,
    **attrs: Any,
) -> xr.Dataset:
    """The Dataset with nexus's attributes (version, district, file hash, solver status)."""
    from nexus import __version__
    from nexus._xarray import xr

    ds = xr.Dataset(variables, coords=coords)
    ds["node"].attrs["long_name"] = "source, unit or sink of the district"
    if "element" in ds.coords:
        ds["element"].attrs["long_name"] = "conserved balance element"
    ds.attrs.update(
        title=title,
        Conventions="CF-1.10",
        nexus_version=__version__,
        district_name=district.name,
        district_file=district.file,
        district_sha256=district.sha256,
        currency=district.info.currency,
        solver_status=solver_status,
        **attrs,
    )
    return ds


def check_simulated(ds: object, *, argument: str = "ds", function: str = "") -> None:
    """Raise unless ``ds`` is a Dataset as :func:`nexus.simulate` returns it.

    Raises
    ------
    nexus.ParameterError
        Not an ``xarray.Dataset``, or one without the dimensions and variables of a
        simulation; the message names the argument and the function.
    """
    from nexus._xarray import xr
    from nexus.errors import ParameterError

    where = f"{function}: " if function else ""
    if not isinstance(ds, xr.Dataset):
        raise ParameterError(
            f"{where}{argument} is a {type(ds).__name__}; expected the xarray.Dataset "
            "nexus.simulate returns"
        )
    missing = [n for n in ("time", "node", "node_role") if n not in ds]
    if missing:
        raise ParameterError(
            f"{where}{argument} has no {', '.join(missing)}; expected the xarray.Dataset "
            "nexus.simulate returns"
        )
