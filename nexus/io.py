"""Writing results safely."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nexus.errors import NexusError

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    import xarray as xr

__all__ = ["atomic_write", "write_csv", "write_netcdf"]


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Write a file whole or not at all.

    ``write`` writes to a temporary file in the target's folder, which is renamed onto
    the target only once complete: an interrupted write leaves no half file, and an
    existing file is replaced whole or not at all. The file gets the permissions a new
    file gets (the umask's), not the temporary file's owner-only ones.

    Parameters
    ----------
    path : str or pathlib.Path
        Target file.
    write : callable
        Called with the temporary file's path; writes the content there.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    nexus.NexusError
        The target's folder does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise NexusError(f"{path}: cannot write: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_csv(table: pd.DataFrame | pd.Series, path: str | Path) -> Path:
    """Write a table to CSV atomically (:func:`atomic_write`), with its index."""
    return atomic_write(path, lambda tmp: table.to_csv(tmp))


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a Dataset to netCDF-4 atomically.

    The data go to a temporary file in the target's folder, which is renamed
    onto the target only once complete: an interrupted write leaves no half
    file, and an existing file is replaced whole or not at all.

    Parameters
    ----------
    ds : xarray.Dataset
        Results to write.
    path : str or pathlib.Path
        Target file (``.nc``).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    return atomic_write(
        path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
    )
