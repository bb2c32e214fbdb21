"""Exceptions of nexus.

Every error a user can cause is raised at the boundary (file loading, argument
checking) with a message that names the file, the key or argument, the value
and what was expected. The hierarchy follows IDAES's exception module:

- :class:`NexusError` is the base of all of them;
- :class:`DistrictError` for a district file (or weather file) that is wrong;
- :class:`ParameterError` (also a ``ValueError``) for a bad argument or parameter;
- :class:`SolverError` (also a ``RuntimeError``) when a solve does not end optimal;
- :class:`InfeasibleError` (a ``SolverError``) when a problem has no solution.
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
