"""A counter-based random generator (splitmix64) for kernels.

Every task (a pair's repetition, a population run) derives its own stream from a 64-bit key
and its position, so results never depend on thread count or scheduling, and a draw costs a
few integer operations (3.6x faster than numba's global generator, docs/performance.md).

Reference: G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014 (the ``splitmix64`` finaliser).
"""

import numpy as np
from numba.extending import overload

from evopolity.kernels._jit import jit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@jit()
def mix64(z):
    """The splitmix64 finaliser: a bijective avalanche of a uint64."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


_M64 = (1 << 64) - 1


def _mix64_int(z: int) -> int:
    """:func:`mix64` on a Python integer (mod 2^64)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def stream_key(seed, a, b):
    """Key of the stream at position ``(a, b)`` under ``seed`` (all uint64-convertible).

    Called from Python this runs in Python integers (a kernel's key is made once per call:
    compiling the jitted twin for it would cost ~0.6 s of a cold first call); called from a
    kernel it is the jitted implementation below, the same numbers (tests/test_kernel_rng.py).
    """
    golden = int(GOLDEN)
    k = _mix64_int((int(seed) + golden * ((int(a) + 1) & _M64)) & _M64)
    return np.uint64(_mix64_int((k + golden * ((int(b) + 1) & _M64)) & _M64))


@overload(stream_key)
def _stream_key_jit(seed, a, b):
    """:func:`stream_key` inside kernels (uint64 arithmetic wraps mod 2^64)."""

    def impl(seed, a, b):
        k = mix64(np.uint64(seed) + GOLDEN * np.uint64(a + 1))
        return mix64(k + GOLDEN * np.uint64(b + 1))

    return impl


@jit()
def unit_float(counter):
    """A double in [0, 1) from the counter value ``counter`` of a stream.

    Kernels keep the counter in a local ``uint64``, add ``GOLDEN`` before each draw and call
    this; keeping it local (not in an array) lets LLVM hold it in a register.
    """
    return np.float64(mix64(counter) >> np.uint64(11)) * TO_UNIT


def packed_seed(seed_sequence: np.random.SeedSequence) -> np.uint64:
    """The 64-bit key of a kernel's streams from a ``SeedSequence`` (its first 64 bits of
    state, the first 32-bit word high)."""
    words = seed_sequence.generate_state(2, dtype=np.uint32)
    return np.uint64((int(words[0]) << 32) | int(words[1]))
