"""Sweeps, uncertainty and sensitivity: many variants of a district, run on Dask.

``sweep(district, parameters)`` simulates the district once per *scenario*, each
a few values of its file changed (:meth:`nexus.District.with_values`), and stacks
the annual KPIs of all of them into one Dataset along a ``scenario`` dimension::

    ds = nexus.sweep(district, {"units.gw_hp.exchanger.area_m2": [20, 40, 60]})
    ds["heat_recovered_MWh_yr"]                  # one value per scenario

Parameters are either lists of values (``method="grid"``: every combination) or
distributions (``method="monte_carlo"``, ``"sobol"``, ``"morris"``)::

    {"sources.homes.residents": {"dist": "uniform", "low": 1000, "high": 1300},
     "units.digester.reactor.T_C": {"dist": "normal", "mean": 25, "sd": 2}}

Sobol' and Morris designs are drawn, and their indices computed
(:func:`sensitivity`), with SALib (Herman & Usher 2017), the reference
implementation of the Saltelli/Jansen and Morris estimators.

Scenarios run on a Dask cluster: a ``LocalCluster`` of worker processes by
default, or the scheduler a ``client`` (or its address) names. The district is
sent to each worker once; each task carries only its few values. A scenario that
fails (a variant nexus refuses, a solve that does not converge) is recorded with
its reason in ``status`` and ``reason``, and the sweep goes on.

With ``path``, each finished scenario is written at once to a small netCDF file
under ``<path>.parts/`` and the whole sweep to ``path`` at the end: a sweep that
is interrupted and run again with the same ``path`` runs only the scenarios that
had not finished.

References
----------
Herman, J. and Usher, W. (2017). SALib: an open-source Python library for
sensitivity analysis. Journal of Open Source Software 2(9), 97.
https://doi.org/10.21105/joss.00097
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nexus.errors import DistrictError, NexusError, ParameterError

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

    from nexus._typing import FloatArray
    from nexus.district import District

__all__ = [
    "DISTRIBUTIONS",
    "METHODS",
    "Sweep",
    "design",
    "kpi_name",
    "kpi_parts",
    "kpi_units",
    "parse_set",
    "read_sweep",
    "run_optimizer_scenario",
    "run_scenario",
    "sensitivity",
    "sweep",
]

#: Ways to choose scenarios.
METHODS = ("grid", "monte_carlo", "sobol", "morris")

#: Distributions of an uncertain input: name -> its parameters, in order.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("median", "sd_log"),
}

#: Unbounded distributions are cut at these quantiles where a design puts a point on
#: the edge of the unit hypercube (Morris's levels 0 and 1, Sobol's first point).
EDGE_QUANTILE = 0.001

#: Levels of a Morris grid (SALib's default, Morris 1991's p = 4).
MORRIS_LEVELS = 4

#: A progress callback: ``progress(done, total)`` after each finished scenario.
Progress = Callable[[int, int], object]


def kpi_name(name: str) -> str:
    """The machine name of a KPI: its words and unit joined by underscores.

    Parameters
    ----------
    name : str
        A KPI as :func:`nexus.kpis` names it, ending with its unit in brackets.

    Returns
    -------
    str
        Letters, digits and underscores; percent as ``pct``, a unit of ``-``
        (a pure number) left out.

    Examples
    --------
    >>> kpi_name("heat recovered [MWh/yr]")
    'heat_recovered_MWh_yr'
    >>> kpi_name("gw_hp: seasonal performance factor [-]")
    'gw_hp_seasonal_performance_factor'
    >>> kpi_name("phosphorus recovered for farms, share of what the sources release [%]")
    'phosphorus_recovered_for_farms_share_of_what_the_sources_release_pct'
    """
    plain, units = kpi_parts(name)
    units = "" if units == "-" else units.replace("%", "pct")
    return re.sub(r"[^0-9A-Za-z]+", "_", f"{plain} {units}").strip("_")


def kpi_units(name: str) -> str:
    """The UDUNITS spelling of a KPI's unit (``"[MWh/yr]"`` -> ``"MWh yr-1"``).

    Examples
    --------
    >>> kpi_units("heat recovered [MWh/yr]"), kpi_units("x [-]"), kpi_units("y [%]")
    ('MWh yr-1', '1', '%')
    """
    units = kpi_parts(name)[1]
    if units in ("", "-"):
        return "1"
    top, *below = units.split("/")
    return " ".join([top, *(f"{b}-1" for b in below)])


def kpi_parts(name: str) -> tuple[str, str]:
    """A KPI name's words and the unit in its final brackets.

    Examples
    --------
    >>> kpi_parts("heat recovered [MWh/yr]")
    ('heat recovered', 'MWh/yr')
    """
    match = re.fullmatch(r"(.*?)\s*\[([^\[\]]*)\]\s*", name)
    return (match.group(1), match.group(2)) if match else (name, "")


@dataclass(frozen=True)
class Sweep:
    """The scenarios of a sweep, before any runs.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    keys : tuple of str
        The varied key paths, in the order given.
    scenarios : tuple of dict
        ``{key path: value}`` of each scenario.
    unit_sample : numpy.ndarray or None
        Each sampled scenario's inputs as quantiles of their distributions, shape
        (scenario, key) in [0, 1]; None for a grid.
    definition : dict
        What defines the sweep (parameters, method, samples, seed), as JSON types.
    """

    method: str
    keys: tuple[str, ...]
    scenarios: tuple[dict[str, Any], ...]
    unit_sample: FloatArray | None
    definition: dict[str, Any]


def design(
    district: District,
    parameters: Mapping[str, Any],
    *,
    samples: int | None = None,
    method: str = "grid",
    seed: int = 0,
    settings: bool = False,
) -> Sweep:
    """Choose a sweep's scenarios and check them against the district, before any runs.

    Parameters
    ----------
    district : District
        The district the scenarios vary.
    parameters : mapping
        ``{key path: [values]}`` for a grid, ``{key path: {"dist": name, ...}}``
        for a sampled method (:data:`DISTRIBUTIONS`: ``uniform`` low, high;
        ``normal`` mean, sd; ``triangular`` low, mode, high; ``lognormal`` median,
        sd_log, the standard deviation of the value's natural logarithm).
    samples : int, optional
        Monte Carlo: scenarios; Sobol': base samples N (a power of 2), giving
        N (k + 2) scenarios for k inputs; Morris: trajectories r, giving r (k + 1).
        Not for a grid.
    method : {"grid", "monte_carlo", "sobol", "morris"}
    seed : int
        Seed of the random draws, so a sweep is repeatable.
    settings : bool
        The keys are settings of :meth:`nexus.optimize.Optimizer.set` (prices, targets,
        the demand scale), not key paths of the district.

    Returns
    -------
    Sweep

    Raises
    ------
    nexus.ParameterError
        A bad method, sample count or distribution, naming the key path.
    nexus.DistrictError
        A key path the district does not have, or a value its file could not hold
        (every value of a grid, the smallest and largest of a sample are checked).
    """
    if method not in METHODS:
        raise ParameterError(f"method = {method!r}; expected one of: {', '.join(METHODS)}")
    if not parameters:
        raise ParameterError("parameters is empty; expected at least one key path to vary")
    keys = tuple(parameters)
    for key in keys:
        _check_key(key, settings)
    if method == "grid":
        if samples is not None:
            raise ParameterError(
                f"samples = {samples!r} with method 'grid'; a grid runs every combination of "
                "the values given (use monte_carlo, sobol or morris to sample)"
            )
        values = [_grid_values(key, parameters[key]) for key in keys]
        scenarios = tuple(
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)
        )
        unit = None
        definition_params: dict[str, Any] = dict(zip(keys, values, strict=True))
    else:
        dists = {key: _distribution(key, parameters[key]) for key in keys}
        unit = _unit_sample(method, len(keys), samples, seed)
        columns = [
            _from_quantiles(district, key, dists[key], unit[:, j], settings)
            for j, key in enumerate(keys)
        ]
        scenarios = tuple(
            {key: col[i] for key, col in zip(keys, columns, strict=True)} for i in range(len(unit))
        )
        definition_params = dists
    for key in keys:  # each value of a grid, the extremes of a sample, one at a time
        distinct = list({repr(s[key]): s[key] for s in scenarios}.values())
        if method != "grid":
            ordered = sorted(distinct, key=_order)
            distinct = [ordered[0], ordered[-1]] if len(ordered) > 1 else ordered
        for value in distinct:
            if settings:
                from nexus.optimize.solve import check_settings

                check_settings({key: value})
            else:
                _check_value(district, key, value)
    definition = {
        "parameters": definition_params,
        "method": method,
        "samples": samples,
        "seed": seed if method != "grid" else None,
    }
    return Sweep(method, keys, scenarios, unit, definition)


def _order(value: Any) -> tuple[int, Any]:
    """Numbers by value, other values by their text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


def _lookup(district: District, key: str) -> Any:
    """The value at a key path of the district's data (KeyError where there is none)."""
    target: Any = district.data
    for part in key.split("."):
        if not isinstance(target, dict):
            raise KeyError(key)
        target = target[part]
    return target


def _check_key(key: str, settings: bool) -> None:
    """A key path must be a non-empty dotted string (the district checks the rest); a
    setting, one of the optimizer's."""
    if settings:
        from nexus.optimize.solve import SETTABLE

        if key not in SETTABLE:
            raise ParameterError(
                f"{key!r} is not a setting of the optimizer; expected one of: {', '.join(SETTABLE)}"
            )
    elif not isinstance(key, str) or not key or "" in key.split("."):
        raise ParameterError(f"parameter key {key!r}; expected a dotted key path of the district")


def _check_value(district: District, key: str, value: Any) -> None:
    """The district with one value changed must be valid (it names the key and value)."""
    try:
        variant = district.with_values({key: value})
    except DistrictError as error:
        raise DistrictError(
            f"value {value!r}: {error.reason}", file=error.file, key=error.key
        ) from error
    try:
        _lookup(variant, key)
    except KeyError:
        raise DistrictError(
            "the district ignores this key (not a parameter of its node); expected a key path "
            "the file could hold",
            file=district.file,
            key=key,
        ) from None


def _grid_values(key: str, values: Any) -> list[Any]:
    if isinstance(values, Mapping):
        raise ParameterError(
            f"{key}: a distribution with method 'grid'; expected a list of values, or a "
            "sampled method (monte_carlo, sobol, morris)"
        )
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ParameterError(f"{key} = {values!r}; expected a non-empty list of values")
    return [_plain(v) for v in values]


def _plain(value: Any) -> Any:
    """numpy scalars as Python's, so the definition hashes and the file validates alike."""
    return value.item() if isinstance(value, np.generic) else value


def _distribution(key: str, spec: Any) -> dict[str, Any]:
    """A distribution checked: its name and finite parameters in their valid ranges."""
    if not isinstance(spec, Mapping) or "dist" not in spec:
        raise ParameterError(
            f"{key} = {spec!r}; expected a distribution such as "
            "{'dist': 'uniform', 'low': 1.0, 'high': 2.0} with a sampled method"
        )
    name = spec["dist"]
    if name not in DISTRIBUTIONS:
        raise ParameterError(f"{key}: dist = {name!r}; expected one of: {', '.join(DISTRIBUTIONS)}")
    wanted = DISTRIBUTIONS[name]
    given = set(spec) - {"dist"}
    if given != set(wanted):
        raise ParameterError(
            f"{key}: a {name} distribution with {', '.join(sorted(given)) or 'no parameters'}; "
            f"expected {', '.join(wanted)}"
        )
    p: dict[str, float] = {}
    for k in wanted:
        v = spec[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ParameterError(f"{key}: {k} = {v!r}; expected a finite number")
        p[k] = float(v)
    problem = {
        "uniform": lambda: p["low"] < p["high"] or "low < high",
        "normal": lambda: p["sd"] > 0 or "sd > 0",
        "triangular": lambda: (
            (p["low"] <= p["mode"] <= p["high"] and p["low"] < p["high"])
            or "low <= mode <= high and low < high"
        ),
        "lognormal": lambda: (p["median"] > 0 and p["sd_log"] > 0) or "median > 0 and sd_log > 0",
    }[name]()
    if problem is not True:
        shown = ", ".join(f"{k} = {v:g}" for k, v in p.items())
        raise ParameterError(f"{key}: a {name} distribution with {shown}; expected {problem}")
    return {"dist": name, **p}


def _unit_sample(method: str, k: int, samples: int | None, seed: int) -> FloatArray:
    """The design in the unit hypercube, shape (scenario, k)."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ParameterError(
            f"samples = {samples!r} with method {method!r}; expected a positive integer"
        )
    if method == "monte_carlo":
        return np.random.default_rng(seed).random((samples, k))
    problem = _salib_problem(k)
    if method == "sobol":
        if samples & (samples - 1):
            raise ParameterError(
                f"samples = {samples} with method 'sobol'; expected a power of 2 (the base "
                "sample N of Saltelli's scheme, balanced only then), such as "
                f"{1 << (samples.bit_length() - 1)} or {1 << samples.bit_length()}"
            )
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, samples, calc_second_order=False, seed=seed))
    if k < 2:
        raise ParameterError("method 'morris' needs at least two inputs; got one")
    from SALib.sample import morris

    return np.asarray(morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed))


def _salib_problem(k: int) -> dict[str, Any]:
    """SALib's problem over the unit hypercube (inputs named by position)."""
    return {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}


def _from_quantiles(
    district: District, key: str, dist: dict[str, Any], q: FloatArray, settings: bool = False
) -> list[Any]:
    """Values at quantiles ``q`` of a distribution; whole numbers where the file has one."""
    from scipy import stats

    name = dist["dist"]
    if name in ("normal", "lognormal"):
        q = np.clip(q, EDGE_QUANTILE, 1.0 - EDGE_QUANTILE)
    if name == "uniform":
        values = dist["low"] + q * (dist["high"] - dist["low"])
    elif name == "normal":
        values = stats.norm.ppf(q, loc=dist["mean"], scale=dist["sd"])
    elif name == "triangular":
        width = dist["high"] - dist["low"]
        c = (dist["mode"] - dist["low"]) / width
        values = stats.triang.ppf(q, c, loc=dist["low"], scale=width)
    else:
        values = dist["median"] * np.exp(dist["sd_log"] * stats.norm.ppf(q))
    try:
        current = None if settings else _lookup(district, key)
    except KeyError:
        current = None
    if isinstance(current, int) and not isinstance(current, bool):
        return [int(v) for v in np.rint(values)]
    return [float(v) for v in values]


def parse_set(item: str) -> tuple[str, Any]:
    """A ``--set`` of the command line as a key path and its values or distribution.

    Parameters
    ----------
    item : str
        ``key.path=v1,v2,...`` (values read as TOML values: ``40``, ``40.5``,
        ``true``; other text as a string) or ``key.path=DIST:a,b[,c]`` with DIST
        one of :data:`DISTRIBUTIONS`, its parameters in the order listed there.

    Returns
    -------
    tuple
        The key path and a list of values or a distribution dict.

    Raises
    ------
    nexus.ParameterError
        No ``=``, no values, or a distribution with the wrong number of numbers.

    Examples
    --------
    >>> parse_set("units.gw_hp.exchanger.area_m2=20,40")
    ('units.gw_hp.exchanger.area_m2', [20, 40])
    >>> parse_set("sources.homes.residents=uniform:1000,1300")
    ('sources.homes.residents', {'dist': 'uniform', 'low': 1000.0, 'high': 1300.0})
    """
    import tomllib

    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key or not text.strip():
        raise ParameterError(f"{item!r}; expected key.path=v1,v2,... or key.path=DIST:a,b")
    name, colon, numbers = text.partition(":")
    if colon and name.strip() in DISTRIBUTIONS:
        wanted = DISTRIBUTIONS[name.strip()]
        parts = [p.strip() for p in numbers.split(",")]
        try:
            params = [float(p) for p in parts]
        except ValueError:
            params = []
        if len(params) != len(wanted):
            raise ParameterError(
                f"{key}={text}: a {name.strip()} distribution takes {len(wanted)} numbers "
                f"({', '.join(wanted)}); got {numbers!r}"
            )
        return key, {"dist": name.strip(), **dict(zip(wanted, params, strict=True))}

    def value(word: str) -> Any:
        try:
            return tomllib.loads(f"v = {word}")["v"]
        except tomllib.TOMLDecodeError:
            return word

    return key, [value(w.strip()) for w in text.split(",")]


#: What a sweep file may hold besides its ``[parameters]``: the keyword arguments of
#: :func:`sweep` that choose the scenarios.
SWEEP_FILE_KEYS = ("parameters", "method", "samples", "seed")


def read_sweep(path: str | Path) -> dict[str, Any]:
    """A sweep's inputs from a TOML file: its parameters and, if given, method, samples, seed.

    The file's ``[parameters]`` table maps key paths of the district to a list of
    values (a grid) or a distribution table (a sampled method); key paths may be
    quoted (``"sources.homes.residents" = [1000, 1300]``) or written as nested
    tables (``[parameters.sources.homes.residents]`` with ``dist = "uniform"``)::

        method = "sobol"
        samples = 64
        seed = 1

        [parameters]
        "units.digester.reactor.T_C" = {dist = "uniform", low = 22.0, high = 35.0}

        [parameters.sources.homes.residents]
        dist = "uniform"
        low = 1000
        high = 1300

    Parameters
    ----------
    path : str or pathlib.Path
        The sweep file.

    Returns
    -------
    dict
        Keyword arguments of :func:`sweep`: ``parameters``, and ``method``,
        ``samples``, ``seed`` where the file gives them (``method`` is
        ``"monte_carlo"`` when the file gives only ``samples``), for
        ``nexus.sweep(district, **nexus.read_sweep(path))``.

    Raises
    ------
    nexus.DistrictError
        The file cannot be read, is not TOML, has a key it should not, or a value or
        distribution that is wrong; the message names the file and the key. Whether
        the key paths exist is checked against the district when the sweep starts.
    """
    from nexus.district import check_depth, read_toml

    file = str(path)
    data, _ = read_toml(Path(path), what="sweep file")
    check_depth(data, file)
    unknown = sorted(set(data) - set(SWEEP_FILE_KEYS))
    if unknown:
        raise DistrictError(
            f"unknown key; expected only {', '.join(SWEEP_FILE_KEYS)}", file=file, key=unknown[0]
        )
    table = data.get("parameters")
    if not isinstance(table, dict) or not table:
        raise DistrictError(
            "missing or empty; expected a table of key paths and their values or distributions",
            file=file,
            key="parameters",
        )
    parameters = _flatten_parameters(table)
    method = data.get("method", "grid" if "samples" not in data else "monte_carlo")
    wrong = {
        "method": method not in METHODS and f"one of {', '.join(METHODS)}",
        "samples": not _whole(data.get("samples", 1), 1) and "a whole number >= 1",
        "seed": not _whole(data.get("seed", 0), 0) and "a whole number >= 0",
    }
    for key, expected in wrong.items():
        if expected:
            raise DistrictError(
                f"{data[key]!r} is not valid; expected {expected}", file=file, key=key
            )
    for key, spec in parameters.items():
        try:
            _grid_values(key, spec) if method == "grid" else _distribution(key, spec)
        except ParameterError as error:
            raise DistrictError(str(error), file=file, key=f"parameters.{key}") from None
    given: dict[str, Any] = {k: data[k] for k in ("samples", "seed") if k in data}
    if "method" in data or "samples" in data:
        given["method"] = method
    return {"parameters": parameters, **given}


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _flatten_parameters(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{key path: values or distribution}`` from nested tables, in the file's order: a
    table is a distribution when it has ``dist`` and otherwise holds more of the key path
    (the file's depth is checked before, so the recursion is bounded)."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict) and "dist" not in value:
            flat.update(_flatten_parameters(value, key))
        else:
            flat[key] = value
    return flat


def definition_sha256(
    district: District, sweep_: Sweep, outputs: Sequence[str], objective: str | None = None
) -> str:
    """A hash of what decides a sweep's results: the district's data, the scenarios, the
    hourly outputs kept, the optimizer's objective and nexus's version."""
    from nexus import __version__

    text = json.dumps(
        {
            "objective": objective,
            "district": district.data,
            "definition": sweep_.definition,
            "scenarios": sweep_.scenarios,
            "outputs": list(outputs),
            "nexus": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def run_scenario(
    district: District, index: int, values: dict[str, Any], outputs: Sequence[str] = ()
) -> dict[str, Any]:
    """Simulate one scenario on a worker: its KPIs, or the reason it failed.

    Parameters
    ----------
    district : District
        The base district (sent to the worker once).
    index : int
        The scenario's number.
    values : dict
        ``{key path: value}``.
    outputs : sequence of str
        Hourly variables of :func:`nexus.simulate` to keep.

    Returns
    -------
    dict
        ``index``; ``kpis``, ``{prose name: (machine name, units, value)}``;
        ``status`` (``"ok"`` or ``"failed"``); ``reason`` (empty when ok); ``series``
        (``{name: DataArray}``) and ``time``.
    """
    from nexus.indicators import kpis
    from nexus.simulation import simulate

    try:
        ds = simulate(district.with_values(values))
        table = kpis(ds)
    except NexusError as error:
        return _failed(index, error)
    series = {name: ds[name].drop_vars(list(ds[name].coords)).load() for name in outputs}
    return {
        "index": index,
        "kpis": {str(k): (kpi_name(str(k)), kpi_units(str(k)), float(v)) for k, v in table.items()},
        "status": "ok",
        "reason": "",
        "series": series,
        "time": ds["time"].to_numpy(),
    }


def _failed(index: int, error: NexusError) -> dict[str, Any]:
    """A scenario that failed, with its reason."""
    return {"index": index, "kpis": {}, "status": "failed", "reason": str(error), "series": {}}


def run_optimizer_scenario(
    district: District, index: int, values: dict[str, Any], objective: str, key: str
) -> dict[str, Any]:
    """Re-solve the worker's optimizer with some settings changed: the optimum's figures.

    Each worker (each of its threads) builds one :class:`nexus.optimize.Optimizer` per
    sweep, at its first scenario, and re-solves it for the others (prices, targets and
    the demand scale are mutable Params: nothing is rebuilt).

    Parameters
    ----------
    district : District
        With an ``[optimize]`` table.
    index : int
        The scenario's number.
    values : dict
        ``{setting: value}``, settings of :meth:`nexus.optimize.Optimizer.set`.
    objective : str
        Objective of every solve.
    key : str
        The sweep's hash: the worker keeps the optimizer of this sweep only.

    Returns
    -------
    dict
        As :func:`run_scenario`; the figures are the optimum's (``energy_kWh_yr``,
        ``P_kg_yr``, ``cost_per_yr`` ...) and its design sizes (``<unit>_<size>``).
    """
    try:
        optimizer = _worker_optimizer(district, key)
        optimizer.set(**values)
        ds = optimizer.solve(objective)
    except NexusError as error:
        return _failed(index, error)
    figures: dict[str, tuple[str, str, float]] = {}
    for name, var in ds.data_vars.items():
        units = str(var.attrs.get("units", "1"))
        if var.dims == ("pareto",) and np.issubdtype(var.dtype, np.number):
            prose = f"{var.attrs.get('long_name', name)} [{units}]"
            figures[prose] = (str(name), units, float(var.values[0]))
        elif var.dims == ("pareto", "node"):  # the design: sizes by unit
            for node, value in zip(ds["node"].values, var.values[0], strict=True):
                if np.isfinite(value):
                    prose = f"{node}: {var.attrs.get('long_name', name)} [{units}]"
                    figures[prose] = (f"{node}_{name}", units, float(value))
    return {"index": index, "kpis": figures, "status": "ok", "reason": "", "series": {}}


def _worker_optimizer(district: District, key: str) -> Any:
    """This worker thread's optimizer of this sweep, built at its first scenario."""
    import threading

    from nexus.optimize import Optimizer

    try:
        from distributed import get_worker

        holder: Any = get_worker()
    except ValueError:  # not on a Dask worker (called directly): no reuse
        return Optimizer(district)
    cache = holder.__dict__.setdefault("nexus_optimizers", {})
    slot = (key, threading.get_ident())
    if slot not in cache:
        for old in [k for k in cache if k[0] != key]:  # an earlier sweep's: let it go
            del cache[old]
        cache[slot] = Optimizer(district)
    return cache[slot]


def _part_dataset(result: dict[str, Any], key: str) -> xr.Dataset:
    """One finished scenario as a small Dataset (its part file)."""
    from nexus._xarray import xr

    data: dict[str, Any] = {
        "status": ((), result["status"]),
        "reason": ((), result["reason"]),
        "kpi_value": (("kpi",), np.asarray([v[2] for v in result["kpis"].values()], dtype=float)),
    }
    for name, arr in result["series"].items():
        data[f"series_{name}"] = arr
    coords: dict[str, Any] = {
        "kpi": np.asarray(list(result["kpis"]), dtype=str),
        "kpi_name": ("kpi", np.asarray([v[0] for v in result["kpis"].values()], dtype=str)),
        "kpi_units": ("kpi", np.asarray([v[1] for v in result["kpis"].values()], dtype=str)),
    }
    if "time" in result and result["series"]:
        coords["time"] = result["time"]
    return xr.Dataset(data, coords=coords, attrs={"index": result["index"], "sweep_sha256": key})


def _read_parts(folder: Path, key: str, n: int) -> dict[int, xr.Dataset]:
    """The finished scenarios of this sweep in its parts folder."""
    from nexus._xarray import xr

    done: dict[int, xr.Dataset] = {}
    if not folder.is_dir():
        return done
    stamp = folder / "sweep_sha256"
    if stamp.exists() and stamp.read_text().strip() != key:
        raise ParameterError(
            f"path: {folder} holds the parts of a different sweep (another district, "
            "parameters, method, samples, seed or outputs); expected the same sweep to restart, "
            "or another path"
        )
    for file in sorted(folder.glob("scenario_*.nc")):
        with xr.open_dataset(file, engine="h5netcdf") as part:
            if part.attrs.get("sweep_sha256") == key and 0 <= int(part.attrs["index"]) < n:
                done[int(part.attrs["index"])] = part.load()
    return done


def sweep(
    district: District,
    parameters: Mapping[str, Any],
    *,
    samples: int | None = None,
    method: str = "grid",
    seed: int = 0,
    client: Client | str | None = None,
    workers: int | None = None,
    outputs: Sequence[str] = (),
    path: str | Path | None = None,
    progress: Progress | None = None,
    objective: str | None = None,
) -> xr.Dataset:
    """Simulate a district under many variants and stack their KPIs along ``scenario``.

    Parameters
    ----------
    district : District
        The base district.
    parameters : mapping
        ``{key path: [values]}`` (grid) or ``{key path: {"dist": ..., ...}}``
        (sampled methods); see :func:`design`.
    samples : int, optional
        Monte Carlo scenarios, Sobol' base samples (a power of 2) or Morris
        trajectories; not for a grid.
    method : {"grid", "monte_carlo", "sobol", "morris"}
        Default ``"grid"``.
    seed : int
        Seed of the sampled designs. Default 0.
    client : distributed.Client or str, optional
        A Dask client, or a scheduler's address (``"tcp://host:8786"``); default a
        ``LocalCluster`` of ``workers`` processes, closed at the end.
    workers : int, optional
        Worker processes of the local cluster; default the machine's cores, at most
        the scenarios to run.
    outputs : sequence of str
        Hourly variables of :func:`nexus.simulate` to keep for every scenario (as
        ``<name>`` with a ``scenario`` dimension in front).
    path : str or pathlib.Path, optional
        Write the result to this netCDF file, each finished scenario first to
        ``<path>.parts/``; run again with the same path, a sweep runs only the
        scenarios that had not finished.
    progress : callable, optional
        ``progress(done, total)`` after each scenario finished in this run.
    objective : str, optional
        Sweep the optimizer instead: the keys of ``parameters`` are settings of
        :meth:`nexus.optimize.Optimizer.set` (prices, targets, ``demand_scale``), and each
        scenario is the optimum for this objective (``"energy"``, ``"nutrients"``,
        ``"nitrogen"`` or ``"cost"``). Each worker builds the model once and re-solves it
        (:func:`run_optimizer_scenario`); the figures are the optimum's
        (``energy_kWh_yr``, ``P_kg_yr``, ``cost_per_yr`` ...) and its design sizes
        (``<unit>_<size>``).

    Returns
    -------
    xarray.Dataset
        Dimension ``scenario`` (and those of ``outputs``); the varied key paths as
        coordinates along it; each KPI as a variable named by :func:`kpi_name`,
        with ``units`` and ``long_name`` (NaN where a scenario lacks it); ``status``
        (``"ok"`` or ``"failed"``) and ``reason``. Sampled sweeps also hold
        ``unit_sample`` (scenario, parameter), each input as a quantile of its
        distribution, which :func:`sensitivity` reads. Attributes: the method,
        samples, seed, the definition as JSON, its hash, the district's name and hash
        and nexus's version.

    Raises
    ------
    nexus.ParameterError
        Bad arguments, a different sweep already at ``path``, an unreachable scheduler.
    nexus.DistrictError
        A key path or value the district cannot take (all before any scenario runs).

    Examples
    --------
    ::

        ds = nexus.sweep(district, {"sources.homes.residents": [1000, 1155, 1300]})
        ds["heat_recovered_MWh_yr"].to_series()
    """
    settings = objective is not None
    if settings:
        from nexus.optimize.solve import _check

        _check(district, objective, None)
        if outputs:
            raise ParameterError(
                "outputs with objective; an optimizer sweep keeps the optimum's figures, "
                "not hourly series"
            )
    plan = design(
        district, parameters, samples=samples, method=method, seed=seed, settings=settings
    )
    outputs = tuple(outputs)
    _check_outputs(outputs)
    key = definition_sha256(district, plan, outputs, objective)
    n = len(plan.scenarios)
    folder = None if path is None else Path(f"{path}.parts")
    done = {} if folder is None else _read_parts(folder, key, n)
    todo = [i for i in range(n) if i not in done]
    if folder is not None and todo:
        if not folder.parent.is_dir():
            raise ParameterError(f"path {path}: folder {folder.parent} does not exist")
        folder.mkdir(exist_ok=True)
        (folder / "sweep_sha256").write_text(key + "\n")
    if todo:
        task = (
            functools.partial(run_scenario, outputs=outputs)
            if objective is None
            else functools.partial(run_optimizer_scenario, objective=objective, key=key)
        )
        _execute(district, plan, todo, task, client, workers, folder, key, done, progress)
    ds = _assemble(district, plan, done, outputs, key, objective)
    if path is not None:
        from nexus.io import write_netcdf

        write_netcdf(ds, path)
    return ds


def _check_outputs(outputs: Sequence[str]) -> None:
    for name in outputs:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][0-9A-Za-z_]*", name):
            raise ParameterError(
                f"outputs: {name!r}; expected names of hourly variables of nexus.simulate "
                "such as 'heat_kW'"
            )


@contextmanager
def local_client(n: int) -> Iterator[Client]:
    """A Dask client of a ``LocalCluster`` of ``n`` worker processes (one thread each),
    closed at the end of the block: the cluster sweeps and the optimizer's map sampling
    run on."""
    from dask import config as dask_config
    from distributed import Client, LocalCluster

    # Dask's nanny fixes glibc's malloc trim threshold in its workers
    # (MALLOC_TRIM_THRESHOLD_=65536), which turns off glibc's adaptive mmap
    # threshold: a simulation's large temporary arrays are then mapped and unmapped
    # at every allocation, and a Buiksloterham year took 2.0-2.5 s in a worker
    # against 1.4 s outside (benchmarks/RESULTS.md). The workers keep glibc's default.
    environ = dict(dask_config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    # a worker is one of the cores: an optimizer in it samples its maps in it
    environ["NEXUS_MAP_WORKERS"] = "1"
    with (
        dask_config.set({"distributed.nanny.pre-spawn-environ": environ}),
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def _connect(client: Client | str, workers: int | None) -> Client:
    from distributed import Client

    if not isinstance(client, str):
        return client
    try:
        return Client(client, timeout="5s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError(
            f"client {client!r}: cannot reach a Dask scheduler there ({exc}); expected the "
            "address of a running scheduler, such as tcp://host:8786"
        ) from exc


def _execute(
    district: District,
    plan: Sweep,
    todo: list[int],
    task: Callable[..., dict[str, Any]],
    client: Client | str | None,
    workers: int | None,
    folder: Path | None,
    key: str,
    done: dict[int, xr.Dataset],
    progress: Progress | None,
) -> None:
    """Run the scenarios not yet done on Dask, keeping (and writing) each as it finishes."""
    import contextlib
    import os

    from distributed import as_completed

    from nexus.io import write_netcdf

    with contextlib.ExitStack() as stack:
        if client is None:
            n = workers or min(os.cpu_count() or 1, len(todo))
            if n < 1:
                raise ParameterError(f"workers = {workers!r}; expected a positive integer")
            dask = stack.enter_context(local_client(n))
        else:
            dask = _connect(client, workers)
            if isinstance(client, str):
                stack.callback(dask.close)
        shared = dask.scatter(district, broadcast=True, hash=False)  # a key of its own
        futures = [dask.submit(task, shared, i, plan.scenarios[i], pure=False) for i in todo]
        try:
            for count, future in enumerate(as_completed(futures, loop=dask.loop), start=1):
                result = future.result()
                part = _part_dataset(result, key)
                if folder is not None:
                    write_netcdf(part, folder / f"scenario_{result['index']:06d}.nc")
                done[result["index"]] = part
                future.release()
                if progress is not None:
                    progress(count, len(todo))
        finally:
            dask.cancel([*futures, shared])


def _assemble(
    district: District,
    plan: Sweep,
    done: dict[int, xr.Dataset],
    outputs: tuple[str, ...],
    key: str,
    objective: str | None,
) -> xr.Dataset:
    """All scenarios in one Dataset, KPIs by machine name."""
    from nexus import __version__
    from nexus._xarray import xr

    n = len(plan.scenarios)
    names: dict[str, str] = {}  # prose name -> machine name, first seen first
    units: dict[str, str] = {}
    for i in range(n):
        part = done[i]
        for prose, machine, unit in zip(
            part["kpi"].values, part["kpi_name"].values, part["kpi_units"].values, strict=True
        ):
            prose, machine = str(prose), str(machine)
            if prose not in names:
                while machine in names.values() or machine in ("status", "reason"):
                    machine += "_"
                names[prose] = machine
                units[prose] = str(unit)
    table = np.full((n, len(names)), np.nan)
    column = {prose: j for j, prose in enumerate(names)}
    for i in range(n):
        part = done[i]
        for prose, value in zip(part["kpi"].values, part["kpi_value"].values, strict=True):
            table[i, column[str(prose)]] = value
    data: dict[str, Any] = {}
    for prose, machine in names.items():
        plain = kpi_parts(prose)[0]
        data[machine] = xr.Variable(
            ("scenario",),
            table[:, column[prose]],
            {"units": units[prose], "long_name": plain, "kpi": prose},
        )
    data["status"] = xr.Variable(
        ("scenario",),
        np.asarray([str(done[i]["status"].values) for i in range(n)], dtype=str),
        {"long_name": "ok, or failed (see reason)"},
    )
    data["reason"] = xr.Variable(
        ("scenario",),
        np.asarray([str(done[i]["reason"].values) for i in range(n)], dtype=str),
        {"long_name": "why the scenario failed (empty when ok)"},
    )
    ds = xr.Dataset(data, coords={"scenario": np.arange(n)})
    for name in outputs:
        series = [
            done[i][f"series_{name}"].expand_dims(scenario=[i])
            for i in range(n)
            if f"series_{name}" in done[i]
        ]
        if series:
            stacked = xr.concat(series, dim="scenario", join="outer", fill_value=np.nan)
            ds[name] = stacked.reindex(scenario=ds["scenario"])
    for key_path in plan.keys:
        values = [s[key_path] for s in plan.scenarios]
        ds = ds.assign_coords(
            {key_path: ("scenario", np.asarray(values), {"long_name": f"district key {key_path}"})}
        )
    if plan.unit_sample is not None:
        ds["unit_sample"] = xr.Variable(
            ("scenario", "parameter"),
            plan.unit_sample,
            {"units": "1", "long_name": "each input as a quantile of its distribution"},
        )
        ds = ds.assign_coords(parameter=list(plan.keys))
    ds.attrs.update(
        {
            "nexus_version": __version__,
            "district_name": district.name,
            "district_sha256": district.sha256,
            "sweep_method": plan.method,
            "sweep_samples": -1
            if plan.definition["samples"] is None
            else plan.definition["samples"],
            "sweep_seed": plan.definition["seed"] if plan.definition["seed"] is not None else -1,
            "sweep_definition": json.dumps(plan.definition, sort_keys=True, default=str),
            "sweep_sha256": key,
            "sweep_objective": objective or "",
            "scenarios_failed": int((ds["status"] != "ok").sum()),
        }
    )
    return ds


def sensitivity(
    ds: xr.Dataset,
    outputs: Sequence[str] | None = None,
    *,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    seed: int = 0,
) -> xr.Dataset:
    """Sensitivity indices of a Sobol' or Morris sweep's KPIs, with SALib.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`sweep` with ``method="sobol"`` or ``"morris"``.
    outputs : sequence of str, optional
        Variables along ``scenario`` to analyse: KPIs by machine name, or numbers a
        caller added (``ds["net_MWh_yr"] = ...``); default every KPI.
    num_resamples : int
        Bootstrap resamples of the confidence intervals. Default 100.
    conf_level : float
        Confidence level of the intervals. Default 0.95.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    xarray.Dataset
        Dimensions ``output`` and ``parameter``. Sobol': ``S1`` and ``ST`` (first and
        total order, Saltelli 2010's and Jansen 1999's estimators) and their
        half-widths ``S1_conf``, ``ST_conf``. Morris: ``mu_star``, ``mu_star_conf``,
        ``sigma`` (of the elementary effects, in the output's units per unit of
        quantile: inputs of different distributions are comparable). NaN for an
        output a scenario failed to give.

    Raises
    ------
    nexus.ParameterError
        A sweep that is not Sobol' or Morris, or an output it does not have.
    """
    from nexus._xarray import xr

    method = ds.attrs.get("sweep_method")
    if method not in ("sobol", "morris"):
        raise ParameterError(
            f"a sweep with method {method!r}; expected one made with method 'sobol' or 'morris'"
        )
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level = {conf_level!r}; expected between 0 and 1")
    numeric = [
        str(n)
        for n, v in ds.data_vars.items()
        if v.dims == ("scenario",) and np.issubdtype(v.dtype, np.number)
    ]
    kpis = [n for n in numeric if "kpi" in ds[n].attrs]
    chosen = kpis if outputs is None else list(outputs)
    for name in chosen:
        if name not in numeric:
            raise ParameterError(
                f"outputs: {name!r} is not a number per scenario of this sweep; expected a "
                f"KPI ({', '.join(kpis)}) or a variable added along scenario"
            )
    params = [str(p) for p in ds["parameter"].values]
    problem = _salib_problem(len(params))
    # SALib's Sobol' analysis leaves its bootstrap unseeded for a seed of 0: a nonzero seed
    # drawn from the caller's makes every seed, 0 included, repeatable
    salib_seed = int(np.random.default_rng(seed).integers(1, 2**31))
    fields = (
        ("S1", "S1_conf", "ST", "ST_conf")
        if method == "sobol"
        else ("mu_star", "mu_star_conf", "sigma")
    )
    table = {f: np.full((len(chosen), len(params)), np.nan) for f in fields}
    for o, name in enumerate(chosen):
        y = ds[name].to_numpy().astype(float)
        if not np.isfinite(y).all():
            continue  # NaN propagates: a failed scenario leaves the indices undefined
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=num_resamples,
                conf_level=conf_level,
                seed=salib_seed,
            )
        else:
            from SALib.analyze import morris

            res = morris.analyze(
                problem,
                ds["unit_sample"].to_numpy(),
                y,
                num_resamples=num_resamples,
                conf_level=conf_level,
                num_levels=MORRIS_LEVELS,
                seed=salib_seed,
            )
        for f in fields:
            table[f][o] = np.asarray(res[f], dtype=float)
    long = {
        "S1": "first-order Sobol' index",
        "S1_conf": f"half-width of the {conf_level:.0%} confidence interval of S1",
        "ST": "total-order Sobol' index",
        "ST_conf": f"half-width of the {conf_level:.0%} confidence interval of ST",
        "mu_star": "Morris mean absolute elementary effect, per unit of input quantile",
        "mu_star_conf": f"half-width of the {conf_level:.0%} confidence interval of mu_star",
        "sigma": "Morris standard deviation of the elementary effects, per unit of input quantile",
    }
    units = {n: str(ds[n].attrs.get("units", "1")) for n in chosen}
    out = xr.Dataset(
        {
            f: (("output", "parameter"), table[f], {"long_name": long[f], "units": "1"})
            for f in fields
        },
        coords={
            "output": chosen,
            "parameter": params,
            "output_units": (
                "output",
                [units[n] for n in chosen],
                {"long_name": "units of the output"},
            ),
        },
        attrs={
            "sweep_method": method,
            "sweep_sha256": ds.attrs.get("sweep_sha256", ""),
            "conf_level": conf_level,
            "scenarios": ds.sizes["scenario"],
        },
    )
    if method == "morris":
        for f in ("mu_star", "mu_star_conf", "sigma"):
            out[f].attrs["units"] = "output's units (output_units)"
    return out
