"""Reading untrusted input files (nexus.io.read_regular_file) and where nexus uses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import nexus
from nexus.io import DISTRICT_FILE_MAX_BYTES, read_regular_file
from nexus.weather import load_weather

HERE = Path(__file__).resolve().parent
SMALL = (HERE / "data" / "small_district.toml").read_text()


@pytest.fixture
def no_hang():
    """Fail instead of blocking forever (a FIFO opened for reading waits for a writer)."""

    def stop(*_):
        raise TimeoutError("blocked on a file")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


@pytest.mark.unit
def test_regular_file_is_read(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes(b"x = 1\n")
    assert read_regular_file(path, what="district file", max_bytes=100) == b"x = 1\n"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (lambda tmp: tmp, "is a folder; expected a district file (a regular file)"),
        (lambda tmp: Path("/dev/zero"), "is a special file (a device, FIFO or socket), not read"),
        (lambda tmp: _fifo(tmp, "pipe.toml"), "is a special file"),
        (lambda tmp: tmp / "none.toml", "cannot read the district file (not found)"),
    ],
    ids=["folder", "dev_zero", "fifo", "missing"],
)
def test_special_files_are_refused_at_once(tmp_path, no_hang, make, expect):
    path = make(tmp_path)
    with pytest.raises(nexus.DistrictError, match=r"^" + str(path).replace(".", r"\.")) as info:
        read_regular_file(path, what="district file", max_bytes=DISTRICT_FILE_MAX_BYTES)
    assert expect in str(info.value)


@pytest.mark.unit
def test_a_file_over_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("wb") as f:  # sparse: 200 MB without writing them
        f.truncate(200_000_000)
    with pytest.raises(nexus.DistrictError, match=r"is 200\.0 MB; expected a district file of at"):
        nexus.load_district(path)


@pytest.mark.component
@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "folder", "huge"])
def test_weather_path_to_a_special_or_huge_file_is_refused(tmp_path, no_hang, target):
    paths = {
        "/dev/zero": "/dev/zero",
        "fifo": str(_fifo(tmp_path, "w.csv")),
        "folder": str(tmp_path),
        "huge": str(tmp_path / "huge.csv"),
    }
    with (tmp_path / "huge.csv").open("wb") as f:
        f.truncate(200_000_000)
    district = tmp_path / "d.toml"
    district.write_text(SMALL + f"\n[weather]\nfile = {paths[target]!r}\n")
    with pytest.raises(nexus.DistrictError, match="weather file") as info:
        nexus.simulate(nexus.load_district(district))
    assert str(info.value).startswith(paths[target])


@pytest.mark.component
def test_weather_errors_quote_no_file_content_but_short_header_names(tmp_path):
    secret = "s3cret-" * 20_000  # a one-line file of 140 kB
    path = tmp_path / "w.csv"
    path.write_text(f"{secret},other\n1,2\n")
    with pytest.raises(nexus.DistrictError) as info:
        load_weather(path)
    message = str(info.value)
    assert "missing column 'time'" in message
    assert len(message) < 300 and secret not in message
    path.write_text("time,T_out_C\n" + "\x1b[31m\x07,1\n" * 8760)
    message = str(pytest.raises(nexus.DistrictError, load_weather, path).value)  # noqa: RUF061
    assert "\x1b" not in message and "\x07" not in message and "row 1" in message


@pytest.mark.component
def test_relative_weather_path_is_read_from_the_district_files_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    district = tmp_path / "sub" / "d.toml"
    district.write_text(SMALL + "\n[weather]\nfile = 'w.csv'\n")
    monkeypatch.chdir(tmp_path)
    assert nexus.load_district(district).weather_file == tmp_path / "sub" / "w.csv"


@pytest.mark.integration
@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_cli_validate_refuses_special_files_at_once(tmp_path, target):
    path = "/dev/zero" if target == "/dev/zero" else str(_fifo(tmp_path, "d.toml"))
    run = subprocess.run(
        [sys.executable, "-m", "nexus", "validate", path],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 1
    assert "is a special file" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.unit
def test_write_errors_of_the_os_are_clear_and_leave_no_temporary_file(tmp_path):
    import errno

    from nexus.io import atomic_write

    with pytest.raises(nexus.NexusError, match="cannot write"):
        atomic_write(tmp_path / ("r" * 300 + ".nc"), lambda tmp: None)  # name too long

    def full(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(nexus.NexusError, match=r"r\.nc: cannot write \(No space left on device\)"):
        atomic_write(tmp_path / "r.nc", full)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_terminated_write_leaves_no_temporary_file(tmp_path, sig):
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from nexus.io import atomic_write\n"
        "def slow(tmp):\n"
        "    Path(tmp).write_text('half')\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "atomic_write(sys.argv[1], slow)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "r.nc")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    assert proc.stdout.readline() == "writing\n"
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 128 + sig
    proc.stdout.close()
    assert list(tmp_path.iterdir()) == []
