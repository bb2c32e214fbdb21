"""Reading input files and writing results safely.

Input files (district, scenario and weather files) may come from anyone: they are
read only if they are regular files under a size limit, checked with ``stat`` before
they are opened, and opened without blocking, so a device, a FIFO or a folder is
refused at once (:func:`read_regular_file`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from nexus.errors import NexusError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pandas as pd
    import xarray as xr

__all__ = [
    "atomic_write",
    "check_output_folder",
    "check_output_path",
    "read_regular_file",
    "write_csv",
    "write_netcdf",
]

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


def check_output_path(path: str | Path, *, option: str = "", inputs: tuple[Path, ...] = ()) -> Path:
    """Check that a result can be written to ``path``, before any work is done.

    Parameters
    ----------
    path : str or pathlib.Path
        Target file.
    option : str
        The option that named it (``"--out"``), for messages.
    inputs : tuple of pathlib.Path
        Files the command reads, which must not be overwritten.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    nexus.NexusError
        The target is a folder, a device, a FIFO or an input file, or its folder is
        missing or not writable.
    """
    path = Path(path)
    label = f"{option} {path}" if option else str(path)
    folder = path.parent
    try:
        info: os.stat_result | None = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as exc:  # a name too long, a loop of links
        raise NexusError(f"{label}: cannot write ({exc.strerror})") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise NexusError(f"{label}: is a folder; expected a file name to write")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise NexusError(f"{label}: is a special file (a device, FIFO or socket); expected a file")
    for source in inputs:
        try:
            same = info is not None and os.path.samefile(path, source)
        except OSError:  # an input that cannot be found is not the target
            same = False
        if same:
            raise NexusError(f"{label}: is the input file {source}; expected another file name")
    if not folder.is_dir():
        raise NexusError(f"{label}: cannot write: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise NexusError(f"{label}: cannot write: folder {folder} is not writable")
    return path


def check_output_folder(path: str | Path, *, option: str = "") -> Path:
    """Check that files can be written into the folder ``path`` (made if missing).

    Raises
    ------
    nexus.NexusError
        ``path`` is a file or a special file, or it (or, if missing, its parent) is not
        a writable folder.
    """
    path = Path(path)
    label = f"{option} {path}" if option else str(path)
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:  # a name too long
        raise NexusError(f"{label}: cannot write ({exc.strerror})") from None
    if exists and not is_dir:
        raise NexusError(f"{label}: is not a folder; expected a folder for the figures")
    folder = path if exists else path.parent
    if not folder.is_dir():
        raise NexusError(f"{label}: cannot write: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise NexusError(f"{label}: cannot write: folder {folder} is not writable")
    return path


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Write a file whole or not at all.

    ``write`` writes to a temporary file in the target's folder, which is renamed onto
    the target only once complete: an interrupted write (Ctrl-C, SIGTERM, SIGHUP) leaves
    no half file and no temporary file, and an existing file is replaced whole or not
    at all. The file gets the permissions a new file gets (the umask's), not the
    temporary file's owner-only ones.

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
        The target is not a file that can be written (:func:`check_output_path`), or
        the operating system refuses the write (a full disk, a name too long).
    """
    path = check_output_path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise NexusError(f"{path}: cannot write ({exc.strerror})") from None
    os.close(fd)
    try:
        with _signals_as_exit():
            write(tmp)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise NexusError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def _signals_as_exit() -> Iterator[None]:
    """SIGTERM and SIGHUP end the process through ``SystemExit`` (so cleanup runs), as
    SIGINT does through ``KeyboardInterrupt``; in the main thread, where Python
    handles signals, and only for signals not ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    old = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
            old[sig] = signal.signal(sig, leave)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


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

    Raises
    ------
    nexus.NexusError
        The target cannot be written (:func:`atomic_write`), or the HDF5 library fails
        while writing it; nothing is left behind.
    """

    def write(tmp: str) -> None:
        try:
            ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        except (RuntimeError, ValueError) as exc:  # raised by h5netcdf, h5py or HDF5
            raise NexusError(
                f"{path}: cannot write the netCDF file ({type(exc).__name__} from the "
                f"h5netcdf/HDF5 writer: {exc}); please report it with the command if the "
                "folder is writable and has space"
            ) from None

    return atomic_write(path, write)
