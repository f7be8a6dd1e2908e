"""Numba configuration shared by every kernel.

``cache=True`` makes numba write compiled kernels next to the source, or, when the package
directory is read-only, into ``NUMBA_CACHE_DIR``. When neither is writable numba refuses to
*import* the module ("cannot cache function ... no locator available"), so we decide here,
once, whether caching is possible and where it goes (docs/performance.md, "Numba caching, a trap").
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numba

__all__ = ["CACHE", "cache_directory", "cache_is_warm", "jit", "numba_threads", "one_thread"]


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=directory, prefix=".evopolity-probe-", delete=True)
        probe.close()
        return True
    except OSError:
        return False


def _configure_cache() -> bool:
    """Return whether kernels can be cached, pointing numba at a writable directory if needed."""
    if os.environ.get("EVOPOLITY_NO_CACHE"):
        return False
    if _writable(Path(__file__).parent / "__pycache__"):
        return True
    if numba.config.CACHE_DIR and _writable(Path(numba.config.CACHE_DIR)):
        return True
    fallback = Path(tempfile.gettempdir()) / f"evopolity-numba-cache-{os.getuid()}"
    if _writable(fallback):
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
