"""Water streams: flow, temperature and component loads over time.

A :class:`Stream` holds hourly series: volumetric flow [m3/h], temperature
[°C] and the load of every component of :mod:`nexus.components` [kg/h].
Heat content is sensible heat relative to 0 °C with the constant water
properties of :mod:`nexus.constants`. A stream may also carry its pH, where a
unit has computed it (the digester, from ADM1's charge balance; the struvite
reactor, at equilibrium); pH does not mix linearly, so a mix of streams
carries none unless all agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nexus.components import N_COMPONENTS
from nexus.constants import CV_WATER_kWh_m3K

if TYPE_CHECKING:
    from nexus._typing import FloatArray, Floats

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
    pH : numpy.ndarray or None
        pH, shape ``(n,)`` [-], where a unit computed it; None when unknown.
    """

    flow_m3_h: FloatArray
    T_C: FloatArray
    loads_kg_h: FloatArray
    pH: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.flow_m3_h.shape
        pH_ok = self.pH is None or self.pH.shape == n
        if self.T_C.shape != n or self.loads_kg_h.shape != (*n, N_COMPONENTS) or not pH_ok:
            raise ValueError(
                f"stream arrays disagree: flow {n}, T {self.T_C.shape}, "
                f"loads {self.loads_kg_h.shape} (expected {(*n, N_COMPONENTS)}), "
                f"pH {None if self.pH is None else self.pH.shape}"
            )

    @property
    def heat_kW(self) -> FloatArray:
        """Sensible heat flow relative to 0 °C [kW] (= kWh per hourly step)."""
        return CV_WATER_kWh_m3K * self.flow_m3_h * self.T_C

    @classmethod
    def dry(cls, n: int) -> Stream:
        """No water over ``n`` steps (an inlet nothing reaches; its temperature, 20 °C, carries
        no heat)."""
        return cls(np.zeros(n), np.full(n, 20.0), np.zeros((n, N_COMPONENTS)))

    def cooled_by(self, heat_kW: Floats) -> Stream:
        """The stream after giving up ``heat_kW`` [kW]; a step without flow keeps its
        temperature."""
        flow = self.flow_m3_h
        drop = np.divide(heat_kW, CV_WATER_kWh_m3K * flow, out=np.zeros_like(flow), where=flow > 0)
        return self.at_temperature(self.T_C - drop)

    def scaled(self, factor: Floats) -> Stream:
        """The same water and loads times ``factor`` [-] (a share of the stream), at its
        temperature and pH."""
        f = np.asarray(factor, dtype=float)
        return Stream(self.flow_m3_h * f, self.T_C, self.loads_kg_h * f[..., None], self.pH)

    def at_temperature(self, T_C: FloatArray) -> Stream:
        """The same water, loads and pH at another temperature [°C].

        The pH is kept: the temperature changes of heat recovery (a few K)
        shift it by less than the pH models' own uncertainty.
        """
        return Stream(self.flow_m3_h, np.asarray(T_C, dtype=float), self.loads_kg_h, self.pH)


def mix(streams: list[Stream], n: int | None = None) -> Stream:
    """Mix streams adiabatically.

    Parameters
    ----------
    streams : list of Stream
        Streams of the same length; none gives :meth:`Stream.dry` of ``n`` steps.
    n : int, optional
        Number of steps, needed only when ``streams`` is empty.

    Returns
    -------
    Stream
        Flows and loads summed; temperature flow-weighted (heat conserved with
        constant cp). Where the total flow is zero the temperature is the
        plain mean of the inlet temperatures: no heat is carried, and the
        value stays finite. The pH is kept only if every stream carries the
        same pH; otherwise the mix has none (pH does not mix by flow).

    Examples
    --------
    >>> z = np.zeros((1, N_COMPONENTS))
    >>> a = Stream(np.array([1.0]), np.array([30.0]), z)
    >>> b = Stream(np.array([3.0]), np.array([10.0]), z)
    >>> float(mix([a, b]).T_C[0])
    15.0
    """
    if not streams:
        if n is None:
            raise ValueError("mix() of no streams needs the number of steps n")
        return Stream.dry(n)
    if len(streams) == 1:
        return streams[0]
    flow = np.sum([s.flow_m3_h for s in streams], axis=0)
    flow_T = np.sum([s.flow_m3_h * s.T_C for s in streams], axis=0)
    mean_T = np.mean([s.T_C for s in streams], axis=0)
    positive = flow > 0
    T_C = np.where(positive, flow_T / np.where(positive, flow, 1.0), mean_T)
    loads = np.sum([s.loads_kg_h for s in streams], axis=0)
    first = streams[0].pH
    same = first is not None and all(
        s.pH is not None and np.array_equal(s.pH, first) for s in streams
    )
    return Stream(flow, T_C, loads, first if same else None)
