"""Water streams: flow, temperature and component loads over time.

A :class:`Stream` holds hourly series: volumetric flow [m3/h], temperature
[°C] and the load of every component of :mod:`nexus.components` [kg/h].
Heat content is sensible heat relative to 0 °C with the constant water
properties of :mod:`nexus.constants`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nexus.components import N_COMPONENTS
from nexus.constants import CV_WATER_kWh_m3K

__all__ = ["Stream", "mix"]


@dataclass(frozen=True)
class Stream:
    """A water stream over ``n`` hourly steps.

    Attributes
    ----------
    flow_m3_h : numpy.ndarray
        Volumetric flow, shape ``(n,)`` [m3/h].
    T_C : numpy.ndarray
        Temperature, shape ``(n,)`` [°C].
    loads_kg_h : numpy.ndarray
        Component loads, shape ``(n, N_COMPONENTS)`` in the order of
        :data:`nexus.components.COMPONENTS` [kg/h].
    """

    flow_m3_h: np.ndarray
    T_C: np.ndarray
    loads_kg_h: np.ndarray

    def __post_init__(self) -> None:
        n = self.flow_m3_h.shape
        if self.T_C.shape != n or self.loads_kg_h.shape != (*n, N_COMPONENTS):
            raise ValueError(
                f"stream arrays disagree: flow {n}, T {self.T_C.shape}, "
                f"loads {self.loads_kg_h.shape} (expected {(*n, N_COMPONENTS)})"
            )

    @property
    def heat_kW(self) -> np.ndarray:
        """Sensible heat flow relative to 0 °C [kW] (= kWh per hourly step)."""
        return CV_WATER_kWh_m3K * self.flow_m3_h * self.T_C

    def at_temperature(self, T_C: np.ndarray) -> Stream:
        """The same water and loads at another temperature [°C]."""
        return Stream(self.flow_m3_h, np.asarray(T_C, dtype=float), self.loads_kg_h)


def mix(streams: list[Stream]) -> Stream:
    """Mix streams adiabatically.

    Parameters
    ----------
    streams : list of Stream
        At least one stream, all of the same length.

    Returns
    -------
    Stream
        Flows and loads summed; temperature flow-weighted (heat conserved with
        constant cp). Where the total flow is zero the temperature is the
        plain mean of the inlet temperatures: no heat is carried, and the
        value stays finite.

    Examples
    --------
    >>> z = np.zeros((1, N_COMPONENTS))
    >>> a = Stream(np.array([1.0]), np.array([30.0]), z)
    >>> b = Stream(np.array([3.0]), np.array([10.0]), z)
    >>> float(mix([a, b]).T_C[0])
    15.0
    """
    if len(streams) == 1:
        return streams[0]
    flow = np.sum([s.flow_m3_h for s in streams], axis=0)
    flow_T = np.sum([s.flow_m3_h * s.T_C for s in streams], axis=0)
    mean_T = np.mean([s.T_C for s in streams], axis=0)
    positive = flow > 0
    T_C = np.where(positive, flow_T / np.where(positive, flow, 1.0), mean_T)
    loads = np.sum([s.loads_kg_h for s in streams], axis=0)
    return Stream(flow, T_C, loads)
