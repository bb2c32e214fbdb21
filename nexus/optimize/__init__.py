"""District design and operation optimization with Pyomo and HiGHS.

- :func:`build_model` returns the Pyomo model of a district (researchers may
  add constraints before solving);
- :func:`solve` optimizes, verifies the design by simulation and returns an
  ``xarray.Dataset`` (with a ``pareto`` dimension for a front);
- :class:`Optimizer` builds once and re-solves after prices, demands or
  targets change (sweeps).

Pyomo is imported only when these are used, so ``import nexus`` stays fast.
"""

from __future__ import annotations

from nexus.costs import annuity_factor
from nexus.optimize.model import build_model
from nexus.optimize.solve import Optimizer, net_energy_kWh, solve

__all__ = ["Optimizer", "annuity_factor", "build_model", "net_energy_kWh", "solve"]
