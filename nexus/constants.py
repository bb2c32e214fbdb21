"""Physical constants used across nexus, each with its source.

Water properties are taken constant over 5-60 °C: the error this makes in
sensible heat is below 0.5 % (cp varies from 4.205 to 4.183 kJ/(kg K) between
5 and 60 °C, Incropera et al. 2007, Table A.6), smaller than the uncertainty
of any household load.
"""

#: Density of water [kg/m3]. 1 L of solution = 1 kg of water is the convention
#: of nexus (as in PHREEQC's default for dilute solutions).
RHO_WATER_kg_m3: float = 1000.0

#: Specific heat capacity of liquid water [J/(kg K)] at about 30 °C.
#: Incropera, DeWitt, Bergman & Lavine (2007), Fundamentals of Heat and Mass
#: Transfer, 6th ed., Table A.6 (4.178 kJ/(kg K) at 305 K), rounded.
CP_WATER_J_kgK: float = 4180.0

#: Volumetric heat capacity of water [kWh/(m3 K)] = RHO * CP / 3.6e6.
CV_WATER_kWh_m3K: float = RHO_WATER_kg_m3 * CP_WATER_J_kgK / 3.6e6

#: 0 °C in kelvin.
T0_K: float = 273.15

#: Days in the simulated (non-leap) year.
DAYS_PER_YEAR: int = 365

#: Hours in the simulated (non-leap) year.
HOURS_PER_YEAR: int = 24 * DAYS_PER_YEAR
