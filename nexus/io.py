"""Reading input files and writing results safely.

Input files (district, scenario and weather files) may come from anyone: they are
read only if they are regular files under a size limit, checked with ``stat`` before
they are opened, and opened without blocking, so a device, a FIFO or a folder is
refused at once (:func:`read_regular_file`).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nexus.errors import NexusError

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    import xarray as xr

__all__ = ["atomic_write", "read_regular_file", "write_csv", "write_netcdf"]

#: Largest district or scenario file read [bytes]: the largest shipped district is
#: under 30 kB, so 5 MB leaves room for any hand-written one.
DISTRICT_FILE_MAX_BYTES = 5_000_000
#: Largest weather file read [bytes]: 8,784 rows of timestamps and a few columns are
#: under 1 MB; 50 MB allows many extra columns.
WEATHER_FILE_MAX_BYTES = 50_000_000


def read_regular_file(path: str | Path, *, what: str, max_bytes: int) -> bytes:
    """The bytes of a regular file no larger than ``max_bytes``.

    The file is checked with ``stat`` before it is opened: a folder, a device
    (``/dev/zero``), a FIFO or a socket is refused at once, as is a file above the
    limit; it is then opened with ``O_NONBLOCK`` (a FIFO put in its place cannot
    block) and checked again on the open descriptor.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    what : str
        What the file is, for messages (``"district file"``).
    max_bytes : int
        Largest size read [bytes].

    Returns
    -------
    bytes

    Raises
    ------
    nexus.DistrictError
        Missing, unreadable, not a regular file, or too large; the message names
        the file and says what was expected. Nothing of the file's content is shown.
    """
    from nexus.errors import DistrictError

    name = str(path)

    def refuse(reason: str) -> DistrictError:
        return DistrictError(f"{reason}; expected a {what} (a regular file)", file=name)

    def check(info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise refuse("is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise refuse("is a special file (a device, FIFO or socket), not read")
        if info.st_size > max_bytes:
            raise DistrictError(
                f"is {info.st_size / 1e6:.1f} MB; expected a {what} of at most "
                f"{max_bytes / 1e6:g} MB",
                file=name,
            )

    try:
        check(os.stat(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DistrictError(f"cannot read the {what} (not found)", file=name) from None
    except OSError as exc:
        raise DistrictError(f"cannot read the {what} ({exc.strerror})", file=name) from None
    except ValueError:  # a NUL byte in the path
        raise refuse("is not a valid path") from None
    try:
        check(os.fstat(fd))  # the file opened is the file checked
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise DistrictError(f"cannot read the {what} ({exc.strerror})", file=name) from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:  # grew since stat
        raise DistrictError(f"is over {max_bytes / 1e6:g} MB; expected a smaller {what}", file=name)
    return raw


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
