"""Executors: run a function over chunks of work, here, on a process pool or on Dask.

Each executor yields the results of ``work(chunk)`` as chunks finish (in any order); the
caller writes them. ``work`` must be picklable (a module-level function or a
``functools.partial`` of one) for the pool and Dask. Nothing here knows about specs or files.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["in_process", "process_pool", "dask", "check_dask", "cpus"]

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")


def cpus() -> int:
    """The number of CPUs this process may run on (its affinity where the system tells it).

    Returns
    -------
    int
        At least 1.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on every platform
        return max(1, os.cpu_count() or 1)


_DISTRIBUTED = ("Dask distributed is needed for --scheduler / --dask-local: "
                "pip install 'evopolity[distributed]'")


def check_dask(scheduler: str | None = None, timeout: float = 5.0) -> None:
    """Check, before anything is written, that Dask can run the work: ``distributed`` is
    installed and, given an address, a scheduler answers there within ``timeout`` seconds.

    Parameters
    ----------
    scheduler : str, optional
        The scheduler's address: ``tcp://host:port``, ``tls://host:port`` or ``host:port``.
    timeout : float
        Seconds to wait for the connection.

    Raises
    ------
    ImportError
        If ``distributed`` is not installed.
    ValueError
        If the address cannot be parsed or is not a TCP or TLS one.
    ConnectionError
        If nothing accepts a connection there in time.
    """
    try:
        from distributed.comm import parse_address
        from distributed.comm.addressing import parse_host_port
    except ImportError:
        raise ImportError(_DISTRIBUTED) from None
    if not scheduler:
        return
    expected = "expected tcp://host:port or tls://host:port"
    try:
        scheme, location = parse_address(scheduler)
        if scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a scheduler address ({exc}); {expected}") from None
    if scheme not in ("tcp", "tls"):
        raise ValueError(f"not a scheduler address: {scheme}:// is not a network protocol "
                         f"here; {expected}")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        why = (f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError)
               else exc.strerror or str(exc))
        raise ConnectionError(f"cannot reach a Dask scheduler at {scheduler} ({why}); is it "
                              "running, and is the address right?") from None


def in_process(work: Callable[[Chunk], Result], chunks: Sequence[Chunk]) -> Iterator[Result]:
    """Run the chunks one after another in this process.

    Parameters
    ----------
    work : callable
        Called with each chunk.
    chunks : sequence
        The work, in order.

    Returns
    -------
    iterator
        ``work(chunk)`` for each chunk, in order, computed lazily (a chunk starts when the
        previous result has been taken, so a caller that writes each result before taking
        the next loses only the chunk in flight when it dies).
    """
    return (work(chunk) for chunk in chunks)


def process_pool(work: Callable[[Chunk], Result], chunks: Sequence[Chunk], workers: int,
                 initializer: Callable[..., Any] | None = None,
                 initargs: tuple = ()) -> Iterator[Result]:
    """Run the chunks on a pool of ``workers`` fresh processes (spawned, not forked).

    Parameters
    ----------
    work : callable
        Called with each chunk in a worker; picklable.
    chunks : sequence
        The work.
    workers : int
        Worker processes.
    initializer : callable, optional
        Run once in each worker before its first chunk, with ``initargs``.
    initargs : tuple
        Arguments of ``initializer``.

    Yields
    ------
    object
        ``work(chunk)`` for each chunk, as they finish.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: numba's threading layer must not be forked while its threads exist
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer,
                             initargs=initargs) as pool:
        futures = [pool.submit(work, chunk) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


def dask(work: Callable[[Chunk], Result], chunks: Sequence[Chunk], workers: int,
         scheduler: str | None = None,
         local_setup: Callable[[], Any] | None = None) -> Iterator[Result]:
    """Run the chunks on a Dask distributed cluster.

    Parameters
    ----------
    work : callable
        Called with each chunk on a worker; picklable.
    chunks : sequence
        The work.
    workers : int
        Worker processes of the local cluster (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:port``); default: start a
        ``LocalCluster`` of ``workers`` single-threaded processes, closed at the end.
    local_setup : callable, optional
        Run once on every worker of the local cluster before the work (a remote cluster's
        workers are set up by whoever started them).

    Yields
    ------
    object
        ``work(chunk)`` for each chunk, as they finish.

    Raises
    ------
    ImportError
        If ``distributed`` is not installed.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError(_DISTRIBUTED) from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address="127.0.0.1:0", host="127.0.0.1")
        client = Client(cluster)
        if local_setup is not None:
            client.run(local_setup)
    try:
        futures = [client.submit(work, chunk, pure=False) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
