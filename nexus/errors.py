"""Exceptions of nexus.

Every error a user can cause is raised at the boundary (file loading, argument
checking) with a message that names the file, the key or argument, the value
and what was expected. The hierarchy follows IDAES's exception module:

- :class:`NexusError` is the base of all of them;
- :class:`DistrictError` for a district file (or weather file) that is wrong;
- :class:`ParameterError` (also a ``ValueError``) for a bad argument or parameter;
- :class:`SolverError` (also a ``RuntimeError``) when a solve does not end optimal;
- :class:`InfeasibleError` (a ``SolverError``) when a problem has no solution;
- :class:`BalanceError` when a simulation's hourly balances do not close (checked in
  debug mode: ``simulate(district, check_balances=True)`` or ``NEXUS_DEBUG=1``);
- :class:`VerificationError` (a ``SolverError``) when a design the optimizer proposes
  cannot be simulated: a defect or limitation of nexus, not of the district file.
"""

from __future__ import annotations


class NexusError(Exception):
    """Base class of every error nexus raises on purpose."""


class DistrictError(NexusError):
    """A district file (or a file it names) is invalid.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : str, optional
        The file the error is about; prefixed to the message.
    key : str, optional
        The dotted key path inside the file (``units.gw_hx.area_m2``).
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.file = file
        self.key = key
        self.reason = message
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class ParameterError(NexusError, ValueError):
    """A function argument or model parameter is out of its valid range."""


class SolverError(NexusError, RuntimeError):
    """A numerical solve or an optimization did not end with a valid solution."""


class InfeasibleError(SolverError):
    """A problem has no solution; the message says which limit cannot be met."""


class VerificationError(SolverError):
    """A design the optimizer proposed could not be simulated with the full unit models.

    The optimizer should only propose what the simulator runs, so this is nexus's
    failure, not the user's: the message says so, with the design.

    Attributes
    ----------
    design : dict of str to dict of str to float
        The chosen sizes by unit.
    routes : dict of str to str
        The inlet each routed outlet was sent to.
    unit : str or None
        The node whose model failed, where the simulation named one.
    """

    def __init__(
        self,
        message: str,
        *,
        design: dict[str, dict[str, float]],
        routes: dict[str, str],
        unit: str | None,
    ) -> None:
        self.design = design
        self.routes = routes
        self.unit = unit
        super().__init__(message)


class BalanceError(NexusError):
    """A balance of a simulated district does not close (a defect of nexus).

    Attributes
    ----------
    quantity : str
        ``water``, an element (``N``, ``P`` ...) or ``energy``.
    node : str
        The unit, or ``"district"``.
    hour : str
        The first hour it does not close (``YYYY-MM-DDTHH:MM``).
    imbalance : float
        Its relative imbalance that hour (NaN where the balance cannot be computed).
    """

    def __init__(
        self, message: str, *, quantity: str, node: str, hour: str, imbalance: float
    ) -> None:
        self.quantity = quantity
        self.node = node
        self.hour = hour
        self.imbalance = imbalance
        super().__init__(message)
