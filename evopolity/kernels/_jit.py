"""Numba configuration shared by every kernel.

``cache=True`` makes numba write compiled kernels next to the source, or, when the package
directory is read-only, into ``NUMBA_CACHE_DIR``. When neither is writable numba refuses to
*import* the module ("cannot cache function ... no locator available"), so we decide here,
once, whether caching is possible and where it goes (docs/performance.md, "Numba caching, a trap").
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numba

__all__ = ["CACHE", "jit", "numba_threads", "one_thread"]


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
