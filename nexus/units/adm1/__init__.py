"""Anaerobic digestion: the IWA ADM1 exactly as implemented in BSM2.

The model is the Anaerobic Digestion Model No. 1 (Batstone et al., 2002) [1]_ with
the implementation choices of the Benchmark Simulation Model No. 2 (Rosen &
Jeppsson, 2006) [2]_: 26 liquid states (27 with inorganic phosphorus, below) and 3 gas
states, the BSM2 parameter set,
van 't Hoff temperature corrections, Hill-type pH inhibition, gas outflow from
the headspace pressure. Beyond BSM2, the biochemical rate constants follow the
digester temperature, k(T) = k(35 degC) exp(theta_g (T - 35 degC))
per process group (Siegrist et al., 2002 [3]_, coefficients as in ADM1da), exactly
BSM2 at 35 degC; the model is validated, and accepted, from 20 to 35 degC. The acid-base ions (S_va-, S_bu-, S_pro-, S_ac-,
S_hco3-, S_nh3) are algebraic: the charge balance is solved for S_H+ at every
right-hand-side evaluation (vectorized safeguarded Newton), so pH is never
fixed and never a state.

Modules
-------
Every public name below is importable from ``nexus.units.adm1``; the code is
split by concern:

- :mod:`nexus.units.adm1.params`: the state names
  (:data:`~nexus.units.adm1.params.LIQUID_STATES`,
  :data:`~nexus.units.adm1.params.GAS_STATES`, :data:`~nexus.units.adm1.params.STATES`)
  and the named index map :class:`Ix` into a state vector (no magic slices), the
  units of the results, :class:`ADM1Params` (the BSM2 parameter set, every default
  cited) and the BSM2 reference case (:data:`~nexus.units.adm1.params.BSM2_INFLUENT`,
  :data:`~nexus.units.adm1.params.BSM2_DIGESTER`);
- :mod:`nexus.units.adm1.kinetics`: temperature-corrected constants
  (:func:`rate_factors`, the factor of each group of biochemical rate constants) and the
  stoichiometry; :func:`speciation` (the charge balance solved for S_H+ and the
  ions), :func:`gas_phase` (partial pressures and gas flow of a state),
  :func:`rhs` (the pure right-hand side dy/dt on a batch of state vectors),
  :func:`jacobian` (its exact complex-step Jacobian) and
  :func:`conserved_totals` (COD, N, C and strong-ion charge of a state);
- :mod:`nexus.units.adm1.steady`: :func:`steady_states`, the steady state of
  one or a batch of digesters as arrays (:class:`SteadyState`; pseudo-transient
  Newton, vectorized over the batch; continuation from neighbouring rows and a
  dynamic start-up where that fails), :func:`steady_state`, the same as an
  ``xarray.Dataset``, and :class:`WashoutError`, raised when the methanogens
  wash out;
- :mod:`nexus.units.adm1.dynamic`: :func:`simulate`, a dynamic run for
  time-varying influent (by default the error-controlled Radau IIA of
  :func:`nexus.numerics.radau5_grid`, whose steps end on the influent's time
  grid; or scipy's BDF, LSODA or Radau, all with the exact Jacobian), and
  :func:`balance_flows`, the flows of COD, N, C and charge in and out
  (effluent plus gas) of a digester;
- :mod:`nexus.units.adm1.minerals`: mineral precipitation of the ADM1 phosphorus
  extension (Flores-Alsina et al. 2016): amorphous calcium phosphate, struvite and
  calcite with the rate form of Kazadi Mbamba et al. (2015)
  (:func:`~nexus.units.adm1.minerals.precipitation_rate`), its steady state in a reactor
  (:func:`~nexus.units.adm1.minerals.precipitate_steady`), saturation from nexus's own
  aqueous speciation (:mod:`nexus.units.struvite`); the digester unit uses it
  (:func:`nexus.units.digester.precipitate_by_day`).

Beyond BSM2, inorganic phosphorus ``S_IP`` (the ADM1 phosphorus extension's) is a liquid
state, after BSM2's 26 and before the gas: a weak acid (H2PO4-/HPO4-2, phreeqc.dat's pKa
and enthalpy) in the charge balance, with no reaction. An influent may leave it out (it is
then 0), and with it absent or 0 every BSM2 result is unchanged
(``tests/validation/test_adm1_bsm2.py``).

Physics cores return numpy arrays or NamedTuples (:func:`steady_states` is the
one the digester uses); :func:`steady_state` and :func:`simulate`, the public
edge, return an ``xarray.Dataset`` with units.

Symbols (BSM2 units)
--------------------
====================  ==========================================  ============
state                 meaning                                     unit
====================  ==========================================  ============
S_su .. S_ac          sugars, amino acids, LCFA, valerate,        kg COD m-3
                      butyrate, propionate, acetate (total)
S_h2, S_ch4           dissolved hydrogen, methane                 kg COD m-3
S_IC, S_IN            inorganic carbon, inorganic nitrogen        kmol m-3
S_I                   soluble inerts                              kg COD m-3
X_c                   composite particulates (BSM2's X_xc)        kg COD m-3
X_ch, X_pr, X_li      carbohydrates, proteins, lipids             kg COD m-3
X_su .. X_h2          the seven biomass groups                    kg COD m-3
X_I                   particulate inerts                          kg COD m-3
S_cat, S_an           strong cations, anions                      kmol m-3
S_IP                  inorganic phosphorus (H2PO4- + HPO4-2;      kmol P m-3
                      ADM1 P extension, 0 when absent)
S_gas_h2, S_gas_ch4   headspace hydrogen, methane                 kg COD m-3
S_gas_co2             headspace carbon dioxide                    kmol m-3
====================  ==========================================  ============

Units are those of BSM2: concentrations per m3, time in days, pressures in
bar inside the model (results report Pa).

References
----------
.. [1] Batstone, D.J., Keller, J., Angelidaki, I., Kalyuzhnyi, S.V.,
   Pavlostathis, S.G., Rozzi, A., Sanders, W.T.M., Siegrist, H., Vavilin, V.A.
   (2002). Anaerobic Digestion Model No. 1. IWA STR 13, IWA Publishing.
   doi:10.2166/wst.2002.0292
.. [2] Rosen, C., Jeppsson, U. (2006). Aspects on ADM1 implementation within
   the BSM2 framework. Dept. of Industrial Electrical Engineering and
   Automation, Lund University, Sweden.
.. [3] Siegrist, H., Vogt, D., Garcia-Heras, J.L., Gujer, W. (2002). Mathematical
   model for meso- and thermophilic anaerobic sewage sludge digestion. Environ.
   Sci. Technol. 36, 1113-1123 (not retrieved here: its coefficients were read as
   tabulated for ADM1da, Schlattmann 2011, in the public dgaida/PyADM1ODE).
"""

from __future__ import annotations

from nexus.units.adm1.dynamic import balance_flows, simulate
from nexus.units.adm1.kinetics import (
    COD_kg_per_Nm3_CH4,
    GasPhase,
    Speciation,
    conserved_totals,
    gas_phase,
    jacobian,
    methane_solubility_kgCOD_m3_bar,
    rate_factors,
    rhs,
    speciation,
)
from nexus.units.adm1.params import (
    BSM2_DIGESTER,
    BSM2_INFLUENT,
    GAS_STATES,
    LIQUID_STATES,
    STATES,
    ADM1Params,
    Ix,
)
from nexus.units.adm1.steady import SteadyState, WashoutError, steady_state, steady_states

__all__ = [
    "BSM2_DIGESTER",
    "BSM2_INFLUENT",
    "GAS_STATES",
    "LIQUID_STATES",
    "STATES",
    "ADM1Params",
    "COD_kg_per_Nm3_CH4",
    "GasPhase",
    "Ix",
    "Speciation",
    "SteadyState",
    "WashoutError",
    "balance_flows",
    "conserved_totals",
    "gas_phase",
    "jacobian",
    "methane_solubility_kgCOD_m3_bar",
    "rate_factors",
    "rhs",
    "simulate",
    "speciation",
    "steady_state",
    "steady_states",
]
