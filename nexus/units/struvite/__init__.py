"""Struvite (MgNH4PO4·6H2O) precipitation from anaerobic effluent and urine.

Aqueous speciation reproduces PHREEQC (Parkhurst & Appelo 2013) with its
``phreeqc.dat`` database for the system H-O-Na-K-Ca-Mg-Cl-N(-3)-P-C(4): the same
species, log K and their temperature dependence, activity coefficients and
activity of water, so that a saturation index computed here is PHREEQC's. On
top of it, struvite precipitates to equilibrium in a closed system after Mg is
dosed as MgCl2, with the pH either floating or held with NaOH (or HCl).

All waters of a call are solved at once by a vectorized Newton method: pure
functions on broadcasting numpy arrays, results in an :class:`xarray.Dataset`
with dimension ``water``.

Contents
--------
- :func:`equilibrate`: speciation of the influent, Mg dosing, struvite
  precipitation; saturation indices of struvite, hydroxyapatite and calcite;
  :func:`equilibrate_distinct`, the same on each distinct water once (the
  struvite reactor's and the ammonia stripper's way in);
- :class:`StruviteReactorParams`, :func:`struvite_reactor`: a struvite reactor
  on a flow (struvite harvested, fertilizer value, Mg and NaOH use);
- :func:`log_k`, :func:`debye_huckel_A_B`: the constants as phreeqc.dat and
  PHREEQC compute them;
- :func:`tune_for_throughput`: opt-in allocator setting of the whole process
  for large batches (nexus changes no process-wide setting unless it is called).

Parts
-----
- :mod:`~nexus.units.struvite.database`: the thermodynamic data transcribed
  from phreeqc.dat (species, log K and its temperature terms, gram formula
  weights, Debye-Hückel A and B), each with its provenance;
- :mod:`~nexus.units.struvite.speciation`: activity coefficients, species
  molalities, the mass and charge balances and their Jacobian;
- :mod:`~nexus.units.struvite.equilibrium`: the Newton solver, batching, and
  :func:`struvite_equilibrium` with its input checks (arrays in the shape of
  the input, :class:`Equilibrium`), and :func:`equilibrate`, the same as an
  ``xarray.Dataset`` with CF attributes (the public edge);
- :mod:`~nexus.units.struvite.reactor`: the unit process,
  :class:`StruviteReactorParams`, :class:`ReactorResult` and
  :func:`struvite_reactor`, and the unit type ``struvite_reactor``
  (:class:`StruviteReactorType`: ports, size, outputs, simulation, sampled
  map and optimizer model).

Conventions
-----------
Inputs are in mg/L: N as N, P as P, alkalinity as mg/L HCO3- (1 mmol of
alkalinity = 61.0191 mg HCO3-). 1 L of influent = 1 kg of water. In the
closed reactor the mass of water then changes as in PHREEQC (from the oxygen
balance): struvite takes its 6 H2O out of the solution, neutralisation by NaOH
forms water. Amounts after the reaction (struvite, residual P, N, Mg, NaOH) are
per litre of influent, so that they close the mass balances. Molar masses are
those of :data:`nexus.constants.MOLAR_MASS_g_mol`: phreeqc.dat's element masses
(Mg 24.312, K 39.102 g/mol, ...), so that a mg/L value means the same moles as
in PHREEQC, and the sums of them for struvite and the chemicals dosed.
"""

from nexus.units.struvite.database import (
    COMPONENTS,
    DATABASE,
    SPECIES,
    STRUVITE_LOG_KSP_25C,
    STRUVITE_DELTA_H_kJ_mol,
    STRUVITE_g_mol,
    debye_huckel_A_B,
    log_k,
)
from nexus.units.struvite.equilibrium import (
    WATER_ARGS,
    Equilibrium,
    equilibrate,
    equilibrate_distinct,
    struvite_equilibrium,
    tune_for_throughput,
)
from nexus.units.struvite.reactor import (
    P2O5_PER_P,
    ReactorResult,
    StruviteReactorParams,
    StruviteReactorType,
    struvite_reactor,
)

__all__ = [
    "COMPONENTS",
    "DATABASE",
    "P2O5_PER_P",
    "SPECIES",
    "STRUVITE_LOG_KSP_25C",
    "WATER_ARGS",
    "Equilibrium",
    "ReactorResult",
    "STRUVITE_DELTA_H_kJ_mol",
    "STRUVITE_g_mol",
    "StruviteReactorParams",
    "StruviteReactorType",
    "debye_huckel_A_B",
    "equilibrate",
    "equilibrate_distinct",
    "log_k",
    "struvite_equilibrium",
    "struvite_reactor",
    "tune_for_throughput",
]
