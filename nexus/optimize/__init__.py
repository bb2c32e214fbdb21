"""District design and operation optimization with Pyomo and HiGHS.

- :func:`build_model` returns the Pyomo model of a district (researchers may
  add constraints before solving);
- :func:`solve` optimizes, verifies the design by simulation and returns an
  ``xarray.Dataset`` (with a ``pareto`` dimension for a front).

Pyomo is imported only when these are used, so ``import nexus`` stays fast.
"""

from __future__ import annotations

from nexus.optimize.model import annuity_factor, build_model
from nexus.optimize.solve import net_energy_kWh, solve

__all__ = ["annuity_factor", "build_model", "net_energy_kWh", "solve"]
