"""Physical constants used across nexus, each with its source.

Water properties are taken constant over 5-60 °C: the error this makes in
sensible heat is below 0.5 % (cp varies from 4.205 to 4.183 kJ/(kg K) between
5 and 60 °C, Incropera et al. 2007, Table A.6), smaller than the uncertainty
of any household load.
"""

from collections.abc import Mapping
from types import MappingProxyType

#: Density of water [kg/m3]. 1 L of solution = 1 kg of water is the convention
#: of nexus (as in PHREEQC's default for dilute solutions).
RHO_WATER_kg_m3: float = 1000.0

#: Specific heat capacity of liquid water [J/(kg K)] at about 30 °C.
#: Incropera, DeWitt, Bergman & Lavine (2007), Fundamentals of Heat and Mass
#: Transfer, 6th ed., Table A.6 (4.178 kJ/(kg K) at 305 K), rounded.
CP_WATER_J_kgK: float = 4180.0

#: Energy units: 1 kWh = 3.6 MJ (exact, by the definitions of the watt-hour and the joule).
MJ_PER_kWh: float = 3.6

#: Volumetric heat capacity of water [kWh/(m3 K)] = RHO * CP / 3.6e6.
CV_WATER_kWh_m3K: float = RHO_WATER_kg_m3 * CP_WATER_J_kgK / (MJ_PER_kWh * 1e6)

#: 0 °C in kelvin.
T0_K: float = 273.15

#: Days in the simulated (non-leap) year.
DAYS_PER_YEAR: int = 365

#: Hours in the simulated (non-leap) year.
HOURS_PER_YEAR: int = 24 * DAYS_PER_YEAR

#: Element masses [g/mol] of PHREEQC's phreeqc.dat, SOLUTION_MASTER_SPECIES, column
#: element_gfw (the file of nexus.units.struvite.DATABASE).
_ELEMENT_g_mol = {
    "H": 1.008,
    "C": 12.0111,
    "N": 14.0067,
    "O": 16.0,
    "Na": 22.9898,
    "Mg": 24.312,
    "P": 30.9738,
    "Cl": 35.453,
    "K": 39.102,
    "Ca": 40.08,
    "S": 32.064,
}

#: Atoms per formula unit of the compounds nexus weighs: the HCO3 of alkalinity
#: (phreeqc.dat's gfw_formula of C), fertilizer P2O5 and K2O, the chemicals dosed and struvite.
_FORMULAS = {
    "H2O": {"H": 2, "O": 1},
    "HCO3": {"H": 1, "C": 1, "O": 3},
    "P2O5": {"P": 2, "O": 5},
    "K2O": {"K": 2, "O": 1},
    "NaOH": {"Na": 1, "O": 1, "H": 1},
    "HCl": {"H": 1, "Cl": 1},
    "MgCl2": {"Mg": 1, "Cl": 2},
    "MgCl2.6H2O": {"Mg": 1, "Cl": 2, "H": 12, "O": 6},
    "MgNH4PO4.6H2O": {"Mg": 1, "N": 1, "H": 16, "P": 1, "O": 10},
    # the acid of an ammonia scrubber and its product (nexus.units.stripping)
    "H2SO4": {"H": 2, "S": 1, "O": 4},
    "(NH4)2SO4": {"N": 2, "H": 8, "S": 1, "O": 4},
}

#: Molar masses [g/mol] = [kg/kmol] of the elements and compounds nexus converts
#: between mass and moles, read-only: the one table of nexus.
#:
#: The elements are phreeqc.dat's gram formula weights (Parkhurst & Appelo 2013,
#: doi:10.3133/tm6A43; phreeqc.dat as shipped with PHREEQC 3.7.3), so that a mg/L of
#: a stream means the same moles in nexus as in PHREEQC: the struvite model
#: reproduces PHREEQC to 1e-8 only with these. They differ from the IUPAC 2013
#: standard atomic weights by at most 3e-4 relative (Mg 24.312 against 24.305). A
#: compound is the sum of its elements, as PHREEQC's compute_gfw weighs a formula.
#:
#: ADM1 (nexus.units.adm1) keeps 14 g/mol for N and 12 g/mol for C: its nitrogen and
#: inorganic-carbon states (S_IN, S_IC, ...) are in kmol, and BSM2's stoichiometry
#: (N contents such as N_xc = 0.0376/14 kmol/kg COD, the C contents) and its published
#: steady state (Rosen & Jeppsson 2006) are written with those round values; using
#: this table there would break the reproduction of BSM2. The table converts stream
#: loads [kg] to and from ADM1's kmol at the digester's boundary
#: (nexus.units.digester).
MOLAR_MASS_g_mol: Mapping[str, float] = MappingProxyType(
    {
        **_ELEMENT_g_mol,
        **{
            name: sum(n * _ELEMENT_g_mol[element] for element, n in atoms.items())
            for name, atoms in _FORMULAS.items()
        },
    }
)
