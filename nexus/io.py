"""Writing results safely."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nexus.errors import NexusError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["write_netcdf"]


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
    path = Path(path)
    if not path.parent.is_dir():
        raise NexusError(f"{path}: cannot write results: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
