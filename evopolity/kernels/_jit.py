"""Numba configuration shared by every kernel.

``cache=True`` makes numba write compiled kernels next to the source, or, when the package
directory is read-only, into ``NUMBA_CACHE_DIR``. When neither is writable numba refuses to
*import* the module ("cannot cache function ... no locator available"), so we decide here,
once, whether caching is possible and where it goes: our private per-user directory when the
package's is read-only (docs/performance.md, "Numba caching, a trap").
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numba

__all__ = [
    "CACHE",
    "cache_directory",
    "cache_is_warm",
    "jit",
    "numba_threads",
    "one_thread",
    "user_cache_directory",
]


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=directory, prefix=".evopolity-probe-", delete=True)
        probe.close()
        return True
    except OSError:
        return False


def user_cache_directory() -> Path:
    """The per-user fallback for compiled kernels: ``$XDG_CACHE_HOME/evopolity/numba``
    (default ``~/.cache/evopolity/numba``), the platform's user cache directory.

    Returns
    -------
    Path
        The directory (it may not exist yet).
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "evopolity" / "numba"


def _private(directory: Path) -> bool:
    """Whether ``directory`` is this user's and nobody else can write it.

    numba unpickles the index files it finds in its cache directory, so a directory another
    user owns, or may write, would let them run code in our process.
    """
    try:
        st = directory.stat()
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)  # absent on Windows, where profiles are private
    owned = getuid is None or st.st_uid == getuid()
    return owned and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _configure_cache() -> bool:
    """Return whether kernels can be cached, pointing numba at a safe directory if needed.

    In order: the package's own ``kernels/__pycache__``, a ``NUMBA_CACHE_DIR`` the user set,
    then :func:`user_cache_directory`, created private (0700) and used only if it and its
    parent are this user's and writable by nobody else. Never a shared temporary directory:
    anyone could create that first and plant index files. With none, kernels compile in each
    process and nothing is cached.
    """
    if os.environ.get("EVOPOLITY_NO_CACHE"):
        return False
    if _writable(Path(__file__).parent / "__pycache__"):
        return True
    if numba.config.CACHE_DIR and _writable(Path(numba.config.CACHE_DIR)):
        return True
    fallback = user_cache_directory()
    try:
        fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    if _private(fallback.parent) and _private(fallback) and _writable(fallback):
        numba.config.CACHE_DIR = str(fallback)
        return True
    return False


CACHE: bool = _configure_cache()


def jit(*, parallel: bool = False, refcount: bool = True, **options):
    """``numba.njit`` with the package's caching decision (use as ``@jit()``).

    ``refcount=False`` compiles the function without numba's reference counting of arrays
    (its runtime, NRT). Every array a function binds to a new name (an argument of a function
    inlined into it, a tuple unpacked, a view) costs an atomic increment and decrement that
    numba's pruning often cannot remove once such functions nest; in the replicator's step
    loop at k = 3 they took about 80% of the time. A function compiled so must not allocate
    (numba refuses to compile it) nor keep an array a callee allocated: it works on arrays
    its caller owns. Functions it calls keep their own counting: ``refcount`` is set
    explicitly on every kernel, so that numba does not pass it on from caller to callee.
    """
    return numba.njit(cache=CACHE, parallel=parallel, _nrt=refcount, **options)


@contextlib.contextmanager
def numba_threads(n: int | None) -> Iterator[None]:
    """Run the block on ``n`` numba threads (at most the number numba started), then restore
    the previous count; ``None`` leaves the count alone.

    Changing the count costs milliseconds (docs/performance.md), so ``None`` skips both the
    change and the restoring.
    """
    if n is None:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def one_thread() -> None:
    """Use one numba thread from now on in this process: the set-up of a worker process that
    shares the cores with others (idle threads of a parallel kernel spin, docs/performance.md)."""
    numba.set_num_threads(1)


def cache_directory() -> Path | None:
    """Where numba keeps the compiled kernels of this package (``None``: caching is off).

    Returns
    -------
    Path or None
        The directory numba's cache locators pick for ``evopolity/kernels/*.py``: under
        ``NUMBA_CACHE_DIR`` when it is set (numba tries that first), else ``__pycache__`` next
        to the kernels.
    """
    if not CACHE:
        return None
    here = Path(__file__).parent
    if numba.config.CACHE_DIR:
        # numba's UserProvidedCacheLocator: the source directory's name and the SHA-1 of its
        # absolute path, so that two installations never share (and clobber) one cache
        source = os.path.abspath(here)
        digest = hashlib.sha1(source.encode()).hexdigest()
        return Path(numba.config.CACHE_DIR) / f"{os.path.basename(source)}_{digest}"
    return here / "__pycache__"


def cache_is_warm(*modules: str) -> bool:
    """Whether the kernels are already compiled and cached for this version of the package.

    Cheap (no compilation, a few small files read): looks for a numba index file (``.nbi``)
    written by this numba for the current source of each kernel module. numba stamps an
    index with the SHA-256 of the module's source, so a new version of the package (or of
    numba) reads as cold until it has compiled once.

    Parameters
    ----------
    *modules : str
        Kernel modules to check (``"replicator"``, ``"markov"``, ...). None given: whether any
        kernel module has current compiled code (the cache was filled at least once).

    Returns
    -------
    bool
        ``False`` when caching is off or the first call would compile.
    """
    directory = cache_directory()
    if directory is None or not directory.is_dir():
        return False
    here = Path(__file__).parent
    names = modules or tuple(p.stem for p in here.glob("*.py") if not p.stem.startswith("_"))
    current = [_has_current_index(directory, here / f"{name}.py") for name in names]
    return all(current) if modules else any(current)


def _has_current_index(directory: Path, source: Path) -> bool:
    """An index of ``source``'s kernels whose numba version and source stamp match (numba's
    own test in ``IndexDataCacheFile._load_index``), read as bytes: unpickling a file in a
    cache directory would run whatever code a planted file holds."""
    try:
        stamp = hashlib.sha256(source.read_bytes()).digest()
    except OSError:
        return False
    # numba writes pickle.dumps(numba.__version__) and then the pickled (stamp, overloads);
    # a raw 32-byte stamp stands in a pickle as it is
    version = pickle.dumps(numba.__version__, protocol=-1)
    for index in directory.glob(f"{source.stem}.*.nbi"):
        try:
            data = index.read_bytes()
        except OSError:
            continue
        if data.startswith(version) and stamp in data[len(version):]:
            return True
    return False
