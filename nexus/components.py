"""The component set carried by every water stream, declared once.

A stream is a volumetric flow at a temperature that carries component loads
(mass flows). Every component is a mass in kg, so that every load in nexus is
in kg per hour and every balance is a sum of like quantities. Each component
names the balance element it counts towards (COD, N, P, K, Mg, ...) with its
mass fraction of that element, so the balances are computed from this table
and nowhere else.

Alkalinity is carried as mass of HCO3- equivalent (61.017 g/mol, one
equivalent per mole), the convention of the struvite model (alkalinity in
mg/L as HCO3-).

Particulate COD is carried in five disjoint components, each a mass of COD
that counts towards the COD element: ``COD_x``, *composites* of unknown
make-up (ADM1's X_c, which BSM2's disintegration splits into fixed shares of
carbohydrates, proteins, lipids and inerts; household black water and kitchen
waste are read so, as no cited fractionation of them is at hand), and
``COD_ch``, ``COD_pr``, ``COD_li``, ``COD_xI``, particulate COD *known* to
be carbohydrate, protein, lipid or inert (a co-substrate's composition,
``nexus.cosubstrates``). Nitrogen is not split the same way: all organic
N is ``Norg_N``, and the digester feed (:func:`nexus.units.digester.feed_to_adm1`)
gives each COD fraction its ADM1 N content from it. Oxidized nitrogen is
``NO3_N`` (nitrate) and ``NO2_N`` (nitrite), made by a nitrification unit
(:mod:`nexus.units.nitrification`); they count towards N. Units without a
model for them pass them through, except an anaerobic digester, which refuses
them (its ADM1 has no denitrification).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nexus._typing import FloatArray

__all__ = [
    "COMPONENTS",
    "ELEMENTS",
    "INDEX",
    "N_COMPONENTS",
    "PARTICULATE_COD",
    "Component",
    "element_indices",
    "element_matrix",
]


@dataclass(frozen=True)
class Component:
    """One component of a water stream.

    Attributes
    ----------
    name : str
        Short name used in files and results (``NH4_N``).
    long_name : str
        Plain-language name for reports and CF ``long_name``.
    element : str
        Balance element the component counts towards (``COD``, ``N``, ``P``...).
    conserved : bool
        Whether the element is conserved by every unit (or leaves only as a
        reported product or gas). Alkalinity and suspended solids are
        properties of the water that reactions change, not conserved masses.
    """

    name: str
    long_name: str
    element: str
    conserved: bool = True


#: The component set, in the order of the component axis of every load array.
COMPONENTS: tuple[Component, ...] = (
    Component("COD_s", "soluble chemical oxygen demand", "COD"),
    Component("COD_x", "particulate COD as composites (BSM2 split)", "COD"),
    Component("NH4_N", "ammonium and ammonia nitrogen", "N"),
    Component("Norg_N", "organic nitrogen", "N"),
    Component("PO4_P", "orthophosphate phosphorus", "P"),
    Component("Porg_P", "organic and particulate phosphorus", "P"),
    Component("K", "potassium", "K"),
    Component("Mg", "magnesium", "Mg"),
    Component("Ca", "calcium", "Ca"),
    Component("Na", "sodium", "Na"),
    Component("Cl", "chloride", "Cl"),
    Component("Alk_HCO3", "alkalinity as bicarbonate", "Alk", conserved=False),
    Component("TSS", "total suspended solids", "TSS", conserved=False),
    # Particulate COD of known make-up; appended so that earlier positions keep their meaning.
    Component("COD_ch", "particulate COD as carbohydrates", "COD"),
    Component("COD_pr", "particulate COD as proteins", "COD"),
    Component("COD_li", "particulate COD as lipids", "COD"),
    Component("COD_xI", "particulate COD as inerts", "COD"),
    # Oxidized nitrogen (nitrification, nexus.units.nitrification); appended likewise.
    Component("NO3_N", "nitrate nitrogen", "N"),
    Component("NO2_N", "nitrite nitrogen", "N"),
)

#: Named index map: component name -> position on the component axis.
INDEX: dict[str, int] = {c.name: i for i, c in enumerate(COMPONENTS)}

N_COMPONENTS: int = len(COMPONENTS)

#: The particulate COD components: composites, then those of known make-up.
PARTICULATE_COD: tuple[str, ...] = ("COD_x", "COD_ch", "COD_pr", "COD_li", "COD_xI")

#: Conserved balance elements, in order of first appearance.
ELEMENTS: tuple[str, ...] = tuple(dict.fromkeys(c.element for c in COMPONENTS if c.conserved))


def element_matrix() -> FloatArray:
    """Matrix mapping component loads to element loads.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(ELEMENTS), N_COMPONENTS)``; ``M @ loads`` sums the
        components of each conserved element [kg/h in, kg/h out].

    Examples
    --------
    >>> element_matrix().shape == (len(ELEMENTS), N_COMPONENTS)
    True
    """
    import numpy as np

    matrix = np.zeros((len(ELEMENTS), N_COMPONENTS))
    for j, component in enumerate(COMPONENTS):
        if component.conserved:
            matrix[ELEMENTS.index(component.element), j] = 1.0
    return matrix


def element_indices(element: str) -> tuple[int, ...]:
    """Positions on the component axis of the components that count towards ``element``.

    ``loads[..., element_indices("COD")].sum(axis=-1)`` is the COD of a load
    array, whichever COD components it carries.

    Examples
    --------
    >>> [COMPONENTS[i].name for i in element_indices("P")]
    ['PO4_P', 'Porg_P']
    """
    if element not in ELEMENTS:
        raise KeyError(f"{element!r} is not a conserved element; expected one of {ELEMENTS}")
    return tuple(i for i, c in enumerate(COMPONENTS) if c.conserved and c.element == element)
