"""Writing results: one atomic-write function, and the layout of a sweep directory.

Every file the package writes (Parquet frames, parts, the manifest, ``sweep.json``,
``report.md``, figures, the command line's tables) goes through :func:`atomic_write`: it is
filled under a temporary dot name beside its destination, then renamed into place
(``os.replace``). A reader never sees half a file; a crash (SIGKILL included) leaves at worst a
hidden temporary file, never a corrupt one under the real name. The file, then its directory,
is flushed to disk (``fsync``) before and after the rename, so a power cut cannot leave a
renamed but empty part either.

A sweep directory::

    sweep.json                   the spec, its digest and the sweep axes
    manifest.txt                 the finished tasks, one id per line
    sweep.lock                   locked (flock) while a sweep runs: one sweep at a time
    parts/part-NNNNNN.parquet    one row per finished task

Nothing is written before the place is checked (:func:`check_directory`, :func:`check_file`):
a file where a directory goes, a path under a file, a directory that cannot be written, or a
sweep of another spec is refused first, so a refused command leaves the place as it was.

A part counts only if its name is exactly ``part-NNNNNN.parquet`` for a task of the sweep and
it reads back as one row of that task with the sweep's columns (:func:`scan_parts`). A sweep
that resumes sets aside a bad part (renamed ``*.bad``, with a warning) and runs its task again,
and removes the temporary files a killed sweep left; anything else under ``parts/`` (copies,
subdirectories) is a stray: never read, named in a warning.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ExperimentError",
    "PartsWarning",
    "PartScan",
    "SweepDirectory",
    "scan_parts",
    "part_name",
    "warn_strays",
    "atomic_write",
    "write_parquet",
    "write_text",
    "PARTS",
    "PART_GLOB",
    "MANIFEST",
    "SWEEP_META",
    "RUN_FILES",
    "LOCK",
    "check_directory",
    "check_file",
    "make_directory",
]

#: The names of a sweep directory's files (see the module docstring).
PARTS = "parts"
PART_GLOB = "part-*.parquet"
#: Exactly the names of the parts a sweep writes (:func:`part_name`).
PART_NAME = re.compile(r"part-(\d{6,})\.parquet")
#: A part set aside as bad (:meth:`SweepDirectory.done`).
BAD_SUFFIX = ".bad"
#: The temporary files of :func:`atomic_write` (``.STEM.PID.tmpSUFFIX``).
TEMPORARY = re.compile(r"\.(?P<stem>.+)\.(?P<pid>\d+)\.tmp(?P<suffix>\.[^.]*)?")
#: The columns every part holds (besides the sweep's axes and the outcome).
PART_COLUMNS = ("task", "regime", "scenario", "seed", "recovered")
MANIFEST = "manifest.txt"
SWEEP_META = "sweep.json"
#: The lock file of a sweep directory: one sweep at a time (:class:`SweepDirectory`).
LOCK = "sweep.lock"
#: The Parquet files of a run directory (``experiments.run``).
RUN_FILES = ("trajectories.parquet", "macro.parquet", "summary.parquet", "events.parquet")


class ExperimentError(ValueError):
    """An experiment cannot proceed (e.g. an output directory made by another spec).

    Parameters
    ----------
    message : str
        What is wrong.
    parameter : str, optional
        The parameter at fault (``out``, ``scheduler``, ``workers``): the message starts with
        its name, and the command line names its option instead (``--out``).
    """

    def __init__(self, message: str, parameter: str | None = None) -> None:
        self.parameter = parameter
        self.detail = message
        super().__init__(f"{parameter}: {message}" if parameter else message)


class PartsWarning(UserWarning):
    """A sweep directory holds a bad part (set aside or skipped) or a stray file."""


def part_name(task: int) -> str:
    """The file name of a task's part: ``part-NNNNNN.parquet``.

    Parameters
    ----------
    task : int
        The task's number.

    Returns
    -------
    str
        The name; :data:`PART_NAME` matches it, and only it, for this task.
    """
    return f"part-{task:06d}.parquet"


def _fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename) to disk; POSIX only (Windows cannot open one)."""
    if os.name == "nt":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Write a file atomically: ``write(tmp)`` fills a temporary file, renamed onto ``path``.

    Parameters
    ----------
    path : str or Path
        The destination; its directory must exist.
    write : callable
        Called with the temporary path, which lies in the same directory (so the rename is
        atomic), starts with a dot (so directory readers such as pyarrow skip it) and keeps
        ``path``'s suffix (so writers that infer the format from the name, like matplotlib's
        ``savefig``, see the right one). The file is flushed to disk (``fsync``) before the
        rename and the directory after it.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    Exception
        Whatever ``write`` raises; the temporary file is removed first and ``path`` is left
        as it was.
    """
    path = Path(path)
    # the process id keeps two processes writing the same file from sharing a temporary one
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_directory(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to Parquet atomically (without its index).

    Parameters
    ----------
    frame : DataFrame
        The rows to write.
    path : str or Path
        The destination file.

    Returns
    -------
    Path
        ``path``.
    """
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically (UTF-8).

    Parameters
    ----------
    path : str or Path
        The destination file.
    text : str
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _part_table(row: dict):
    """A one-row Arrow table with types fixed by column (``recovered`` a nullable bool), so
    parts written apart read back as one table."""
    import pyarrow as pa

    def kind(key: str, value: Any):
        if key == "recovered":
            return pa.bool_()
        if isinstance(value, str):
            return pa.string()
        if isinstance(value, bool | np.bool_):
            return pa.bool_()
        if isinstance(value, int | np.integer):
            return pa.int64()
        return pa.float64()

    clean = {k: (None if v is pd.NA else v) for k, v in row.items()}
    schema = pa.schema([(k, kind(k, v)) for k, v in clean.items()])
    return pa.Table.from_pylist([clean], schema=schema)


@dataclass
class PartScan:
    """What a sweep's ``parts/`` holds (:func:`scan_parts`).

    Attributes
    ----------
    good : dict
        Task number -> its part, read (a one-row Arrow table), for every part that verifies.
    bad : dict
        Task number -> ``(path, reason)`` for parts named for a task that do not verify.
    strays : list of Path
        Everything else that is not a temporary file nor a part set aside: copies, odd names,
        subdirectories, parts of tasks beyond the sweep's.
    temporary : list of Path
        The temporary files of :func:`atomic_write` (a killed writer leaves one behind).
    """

    good: dict = field(default_factory=dict)
    bad: dict = field(default_factory=dict)
    strays: list = field(default_factory=list)
    temporary: list = field(default_factory=list)


def _read_part(path: Path, task: int, required: set[str]):
    """A part's table, or the reason it is bad (a string)."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path).read()
    except Exception as exc:  # pyarrow raises several kinds for a truncated or empty file
        return f"unreadable ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    missing = sorted(required - set(table.column_names))
    if missing:
        return f"missing columns {', '.join(missing)}"
    if table.num_rows != 1:
        return f"{table.num_rows} rows, not 1"
    inside = table.column("task")[0].as_py()
    if inside != task:
        return f"holds task {inside}"
    return table


def scan_parts(parts: str | Path, n_tasks: int | None = None,
               axes: tuple[str, ...] | list[str] = ()) -> PartScan:
    """Sort a sweep's ``parts/`` into good parts, bad parts, strays and temporary files.

    A part is good when its name is exactly :func:`part_name` of a task below ``n_tasks``, it
    reads as Parquet, holds one row of that task with the columns every part has
    (:data:`PART_COLUMNS` and ``axes``), and its columns are those of most good parts (ties:
    those of the lowest task), so that the parts make one table.

    Parameters
    ----------
    parts : str or Path
        The directory (absent: nothing).
    n_tasks : int, optional
        The sweep's number of tasks (``None``: any task number).
    axes : sequence of str
        The sweep's axes: columns every part must hold.

    Returns
    -------
    PartScan
        The parts, sorted; nothing on disk is changed.
    """
    scan = PartScan()
    root = Path(parts)
    if not root.is_dir():
        return scan
    required = set(PART_COLUMNS) | set(axes)
    for path in sorted(root.iterdir()):
        name = path.name
        if TEMPORARY.fullmatch(name) and path.is_file():
            scan.temporary.append(path)
            continue
        if name.endswith(BAD_SUFFIX) and PART_NAME.fullmatch(name[:-len(BAD_SUFFIX)]):
            continue  # set aside on an earlier resume, and said so then
        match = PART_NAME.fullmatch(name)
        task = int(match.group(1)) if match else -1
        if (not match or name != part_name(task) or not path.is_file()
                or (n_tasks is not None and task >= n_tasks)):
            scan.strays.append(path)
            continue
        read = _read_part(path, task, required)
        if isinstance(read, str):
            scan.bad[task] = (path, read)
        else:
            scan.good[task] = read
    if scan.good:
        columns = Counter(tuple(t.column_names) for t in scan.good.values())
        top = max(columns.values())
        expected = next(tuple(t.column_names) for _, t in sorted(scan.good.items())
                        if columns[tuple(t.column_names)] == top)
        for task in [t for t, table in scan.good.items()
                     if tuple(table.column_names) != expected]:
            scan.bad[task] = (root / part_name(task), "columns unlike the other parts'")
            del scan.good[task]
    return scan


def warn_strays(strays: list[Path], parts: Path) -> None:
    """Warn (:class:`PartsWarning`) that ``parts`` holds files that are not parts, by name."""
    if strays:
        names = ", ".join(repr(p.name) for p in strays)
        warnings.warn(f"{parts} holds files that are not parts of this sweep, not read: {names}",
                      PartsWarning, stacklevel=3)


# -- output locations, checked before anything is written -------------------------------------

#: What a sweep directory and a run directory hold: name -> whether it is a directory.
_SWEEP_ENTRIES = {PARTS: True, SWEEP_META: False, MANIFEST: False, LOCK: False}
_RUN_ENTRIES = {**{name: False for name in RUN_FILES}, "report.md": False, "figures": True}


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()  # a dangling link is there too


def _writable(directory: Path) -> bool:
    # os.access: root may write anywhere but a read-only file system (EROFS is still refused)
    return os.access(directory, os.W_OK | os.X_OK)


def _check_creatable(path: Path, parameter: str) -> None:
    """Refuse a path that cannot be created: under a file, or in a directory not writable."""
    parent = next(p for p in path.absolute().parents if _present(p))
    if not parent.is_dir():
        raise ExperimentError(f"cannot create {str(path)!r}: {str(parent)!r} is a file, not a "
                              "directory", parameter)
    if not _writable(parent):
        raise ExperimentError(f"cannot create {str(path)!r}: {str(parent)!r} is not writable",
                              parameter)


def check_directory(out: str | Path, kind: str = "sweep", digest: str | None = None,
                    parameter: str = "out") -> None:
    """Check that ``out`` can be the output directory of a sweep or a run; write nothing.

    Parameters
    ----------
    out : str or Path
        The directory (it may not exist yet).
    kind : {"sweep", "run"}
        What will be written there.
    digest : str, optional
        The spec's digest: a sweep directory of another spec is refused.
    parameter : str
        The name of the parameter that gave ``out``, for the message.

    Raises
    ------
    ExperimentError
        If ``out`` is a file, lies under a file, cannot be written, holds a file where a
        directory goes (or the other way round: ``parts`` a file), holds a ``sweep.json``
        that cannot be read, or holds a sweep of another spec.
    """
    out = Path(out)
    if not _present(out):
        _check_creatable(out, parameter)
        return
    if not out.is_dir():
        raise ExperimentError(f"{str(out)!r} is a file, not a directory", parameter)
    if not _writable(out):
        raise ExperimentError(f"{str(out)!r} is not writable", parameter)
    for name, directory in (_SWEEP_ENTRIES if kind == "sweep" else _RUN_ENTRIES).items():
        path = out / name
        if not _present(path):
            continue
        if path.is_dir() != directory:
            raise ExperimentError(
                f"{str(path)!r} is a {'file' if directory else 'directory'}; a {kind} needs "
                f"a {'directory' if directory else 'file'} of that name", parameter)
        if directory and not _writable(path):
            raise ExperimentError(f"{str(path)!r} is not writable", parameter)
    meta = out / SWEEP_META
    if kind == "sweep" and digest is not None and meta.is_file():
        old = _read_meta(meta, parameter)
        if old.get("digest") != digest:
            raise ExperimentError(
                f"{str(out)!r} holds a sweep of another spec (digest {old.get('digest')}, this "
                f"one {digest}); use a new directory", parameter)


def _read_meta(meta: Path, parameter: str) -> dict:
    try:
        old = json.loads(meta.read_text())
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"{str(meta)!r} cannot be read as a sweep's record ({exc}); "
                              "use a new directory", parameter) from None
    if not isinstance(old, dict):
        raise ExperimentError(f"{str(meta)!r} is not a sweep's record; use a new directory",
                              parameter)
    return old


def check_file(path: str | Path, parameter: str = "out") -> None:
    """Check that a file can be written at ``path`` (replacing one there); write nothing.

    Parameters
    ----------
    path : str or Path
        The file.
    parameter : str
        The name of the parameter that gave ``path``, for the message.

    Raises
    ------
    ExperimentError
        If ``path`` is a directory, or its directory cannot be created or written.
    """
    path = Path(path)
    if path.is_dir():
        raise ExperimentError(f"{str(path)!r} is a directory, not a file", parameter)
    parent = path.absolute().parent
    if not _present(parent):
        _check_creatable(parent, parameter)
    elif not parent.is_dir():
        raise ExperimentError(f"cannot create {str(path)!r}: {str(parent)!r} is a file, not a "
                              "directory", parameter)
    elif not _writable(parent):
        raise ExperimentError(f"cannot write {str(path)!r}: {str(parent)!r} is not writable",
                              parameter)


def make_directory(out: str | Path, parameter: str = "out") -> Path:
    """Create a directory (and its parents), with a one-line error naming the parameter.

    Parameters
    ----------
    out : str or Path
        The directory.
    parameter : str
        The name of the parameter that gave ``out``, for the message.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ExperimentError
        If the directory cannot be created.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExperimentError(f"cannot create {str(out)!r}: {exc.strerror or exc}",
                              parameter) from None
    return out


def _lock(out: Path) -> int:
    """Take the sweep lock of ``out`` (an exclusive ``flock`` on :data:`LOCK`) or refuse.

    The operating system releases the lock when its process ends, however it ends (SIGKILL
    included), so a killed sweep never leaves a stale lock; the file stays, holding the pid
    and host of the last sweep that ran there (the lock, not the file, is what counts).
    """
    path = out / LOCK
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ExperimentError(f"cannot open the lock file {str(path)!r}: {exc.strerror}",
                              "out") from None
    try:
        if os.name == "nt":  # pragma: no cover - Windows: a lock on the first byte
            import msvcrt

            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.read(handle, 200).decode(errors="replace").strip()
        except OSError:
            holder = ""
        os.close(handle)
        raise ExperimentError(
            f"{str(out)!r} is in use by another sweep ({holder or 'another process'}, "
            f"{LOCK}); wait for it to end, or use another directory", "out") from None
    import socket

    os.ftruncate(handle, 0)
    os.lseek(handle, 0, os.SEEK_SET)
    os.write(handle, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
    return handle


def _alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine (on Windows: assumed, as ``os.kill``
    there would end it)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or no way to tell: leave its file alone
    return True


class SweepDirectory:
    """The output directory of a sweep: ``sweep.json``, the manifest and one part per task.

    One sweep at a time writes there: opening it takes an exclusive lock (``flock`` on
    ``sweep.lock``), held until :meth:`close` (or the end of a ``with`` block, or of the
    process, however it ends); a second sweep on the same directory is refused meanwhile.

    Parameters
    ----------
    out : Path
        The directory (created if needed, after :func:`check_directory`).
    info : dict
        What ``sweep.json`` records: at least ``digest`` (the spec's), and ``axes``.

    Raises
    ------
    ExperimentError
        If ``out`` cannot be a sweep directory (:func:`check_directory`), already holds a
        sweep of a spec with another digest, or another sweep holds its lock.
    """

    def __init__(self, out: Path, info: dict) -> None:
        self.out = Path(out)
        self.n_tasks = info.get("tasks")
        self.axes = list(info.get("axes") or ())
        self.parts = self.out / PARTS
        check_directory(self.out, "sweep", info["digest"])
        make_directory(self.out)
        self._lock: int | None = _lock(self.out)
        try:
            make_directory(self.parts)
            meta = self.out / SWEEP_META
            if meta.exists():  # again, under the lock
                old = _read_meta(meta, "out")
                if old.get("digest") != info["digest"]:
                    raise ExperimentError(
                        f"{str(self.out)!r} holds a sweep of another spec (digest "
                        f"{old.get('digest')}, this one {info['digest']}); use a new directory",
                        "out")
            else:
                write_text(meta, json.dumps(info, indent=2, default=str))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the directory's lock (a second call does nothing)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> SweepDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def path(self, task: int) -> Path:
        """The part file of a task.

        Parameters
        ----------
        task : int
            The task's number.

        Returns
        -------
        Path
            ``parts/part-NNNNNN.parquet``.
        """
        return self.parts / part_name(task)

    def clean(self) -> list[Path]:
        """Remove the temporary files a killed writer left (in ``parts/`` and beside it).

        A temporary file of a process still alive (another than this one) is left alone.

        Returns
        -------
        list of Path
            The files removed.
        """
        removed = []
        for directory in (self.out, self.parts):
            for path in directory.iterdir():
                match = TEMPORARY.fullmatch(path.name)
                if not match or not path.is_file():
                    continue
                pid = int(match.group("pid"))
                if pid != os.getpid() and _alive(pid):
                    continue
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def done(self) -> set[int]:
        """The finished tasks; bad parts are set aside, so that their tasks run again.

        A bad part (:func:`scan_parts`: truncated, empty, of another task, with other columns)
        is renamed ``part-NNNNNN.parquet.bad`` (an earlier one of that name is replaced) and
        named in a :class:`PartsWarning`; strays are named in another and left alone.

        Returns
        -------
        set of int
            Tasks whose part verifies (the files are the truth; the manifest follows them).
        """
        scan = scan_parts(self.parts, self.n_tasks, self.axes)
        for task, (path, reason) in sorted(scan.bad.items()):
            os.replace(path, path.with_name(path.name + BAD_SUFFIX))
            warnings.warn(f"bad part of task {task} set aside as {path.name}{BAD_SUFFIX}, "
                          f"to run again: {reason}", PartsWarning, stacklevel=2)
        if scan.bad:
            _fsync_directory(self.parts)
        warn_strays(scan.strays, self.parts)
        return set(scan.good)

    def write(self, task: int, row: dict) -> None:
        """Write a task's part, atomically.

        pyarrow directly, not pandas: ~0.6 ms a part, the serial cost of every task.

        Parameters
        ----------
        task : int
            The task's number.
        row : dict
            Its row (one value per column; ``recovered`` may be ``pd.NA``).
        """
        import pyarrow.parquet as pq

        table = _part_table(row)
        atomic_write(self.path(task), lambda tmp: pq.write_table(table, tmp))

    def write_manifest(self, done: set[int]) -> None:
        """Rewrite the manifest, one finished task per line, in order.

        Parameters
        ----------
        done : set of int
            The finished tasks (:meth:`done`).
        """
        write_text(self.out / MANIFEST, "".join(f"{t}\n" for t in sorted(done)))

    def append_manifest(self, task: int) -> None:
        """Add a finished task to the manifest.

        Appending keeps the cost per task constant; a torn last line after a crash is
        harmless (the parts are the truth, and the manifest is rebuilt from them on resume).

        Parameters
        ----------
        task : int
            The task's number.
        """
        with open(self.out / MANIFEST, "a") as handle:
            handle.write(f"{task}\n")
