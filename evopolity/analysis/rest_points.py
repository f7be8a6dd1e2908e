"""Rest points of the replicator and their stability.

A rest point of :math:`\\dot x_i = x_i (f_i(x) - \\phi(x))` is a state at which every strategy
present earns the mean: on the face of the simplex spanned by a support ``S``,
``f_i(x) = f_j(x)`` for ``i, j`` in ``S`` (Hofbauer & Sigmund 1998, 7.2). For a k x k matrix
game ``f = A x`` is linear and each support gives a linear system (support enumeration, as
for Nash equilibria: Shapley 1974; Nashpy's ``support_enumeration``); for a group game or a
regime the fitness is a polynomial and each face is searched by root finding (bisection on
edges, Newton from a lattice of starts on larger faces).

Stability comes from the Jacobian of the velocity on the simplex's tangent space
``{v : sum v = 0}``: at a point with support ``S`` it is block triangular, with the
**internal** eigenvalues (the Jacobian on the face) and the **transversal** ones
``f_j - phi`` for ``j`` not in ``S`` (the growth rate of a rare ``j``: a point is *saturated*
when none is positive, Hofbauer & Sigmund 1998, 13.3).
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.fitness import regime_setup
from evopolity.institutions.regime import Regime
from evopolity.kernels.layout import integrated_state
from evopolity.kernels.velocity import fitness as kernel_fitness
from evopolity.play.games import Game
from evopolity.play.group_games import GroupGame
from evopolity.validate import as_payoff_matrix, integer

#: The most Newton starts per side of a face's lattice (a face of 5 strategies has about
#: ``starts**4`` of them).
MAX_STARTS = 64

__all__ = ["rest_points", "stability_label", "MAX_STRATEGIES", "MAX_GROUP_STRATEGIES"]

#: The most strategies support enumeration takes (2^k - 1 linear systems).
MAX_STRATEGIES = 12
#: The most strategies the root finding on faces takes (group games, regimes).
MAX_GROUP_STRATEGIES = 5

# a real part below this (relative to the largest eigenvalue, at least 1) counts as zero
_ZERO = 1e-7
# a frequency below this is off the face's relative interior
_INSIDE = 1e-9


def rest_points(
    payoffs: Any,
    regime: Regime | None = None,
    *,
    cooperation: Any = None,
    starts: int = 8,
) -> pd.DataFrame:
    r"""Every rest point of the replicator, with its eigenvalues and stability.

    For a matrix game (``f = A x``), support enumeration: for each support ``S``, the linear
    system ``(A_{SS} x_S)_i = v`` for ``i`` in ``S``, ``sum x_S = 1``; a solution strictly
    inside the face is a rest point. For a group game or a (fixed) regime, root finding of
    ``f_i(x) = f_j(x)`` on each face: bisection over a grid of 400 points on each edge, damped
    Newton from a lattice of starts on each larger face. The Jacobian of the velocity
    restricted to the tangent space of the simplex gives ``k - 1`` eigenvalues: those of the
    face and the transversal ``f_j - phi`` of each absent ``j``.

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament, Game or GroupGame
        A k x k interaction matrix (k <= 12), a stage game (its one-shot 2 x 2 matrix,
        strategies ``"C"`` and ``"D"``) or an n-player game (k <= 5).
    regime : Regime, optional
        A regime whose fines, rewards, taxes and conformity change the fitness (a fixed
        institution, without mutation: the rest points of the pure replicator).
    cooperation : array_like or DataFrame, optional
        The cooperation matrix (or a group game's contribution vector) the regime needs.
    starts : int
        Newton starts per side of the lattice on faces of 3+ strategies (root finding only).

    Returns
    -------
    DataFrame
        One row per rest point (vertices first, then by support size): a column per strategy
        (its frequency), ``support`` (the number of strategies present), ``eigenvalues``
        (a tuple of the ``k - 1`` complex eigenvalues on the simplex, the face's first),
        ``transversal`` (a tuple of ``f_j - phi`` for the absent ``j``), ``saturated``
        (no transversal eigenvalue positive: a Nash equilibrium of the game) and
        ``stability``: ``"stable"`` (every real part negative), ``"unstable"`` (every real
        part positive), ``"saddle"`` (both signs), ``"centre"`` (none positive, some purely
        imaginary pairs: a linear centre, like the interior of rock--paper--scissors) or
        ``"degenerate"`` (none positive and a zero eigenvalue: the linearisation does not
        decide).

    Raises
    ------
    ValueError
        For more strategies than the method takes, a regime that co-evolves or mutates, or
        payoffs that are not a square matrix.
    TypeError
        For a regime that is not a ``Regime``.

    Examples
    --------
    Hawk--Dove (``V = 2, C = 3``): the mixed point ``V / C`` is stable, the corners unstable.

    >>> rp = rest_points([[-0.5, 2.0], [0.0, 1.0]])
    >>> rp.loc[rp.support == 2, "stability"].item()
    'stable'
    """
    starts = integer(starts, "starts", minimum=2)
    if starts > MAX_STARTS:  # the lattice of a face of d + 1 strategies has ~starts^d points
        raise ValueError(f"starts must be at most {MAX_STARTS}, got {starts}")
    if isinstance(payoffs, Game):  # the one-shot stage game: cooperate or defect
        payoffs = pd.DataFrame(payoffs.matrix, index=["C", "D"], columns=["C", "D"])
    group = isinstance(payoffs, GroupGame)
    if group:
        names = payoffs.strategies
        A = np.zeros((payoffs.k, payoffs.k))
    else:
        A, names = as_payoff_matrix(payoffs)
    k = A.shape[0]
    if regime is not None:
        if not isinstance(regime, Regime):
            raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
        if regime.coevolves:
            raise ValueError(
                "regime must be a fixed institution: a co-evolving one adds the institution's "
                "strength to the state (run the replicator and classify its attractor instead)"
            )
        if regime.mutation != 0.0:
            raise ValueError(
                f"regime.mutation must be 0 for rest points of the replicator, got "
                f"{regime.mutation} (mutation moves the rest points off the faces)"
            )
    linear = regime is None and not group
    limit = MAX_STRATEGIES if linear else MAX_GROUP_STRATEGIES
    if k > limit:
        how = ("support enumeration solves 2^k - 1 systems" if linear
               else "root finding on every face")
        raise ValueError(
            f"payoffs must have at most {limit} strategies for rest_points ({how}), got {k}"
        )
    setup = regime_setup(regime, 0.0, payoffs, cooperation, names)
    model, params, A = setup.model, setup.params, setup.A
    At = np.ascontiguousarray(A.T)
    out = np.empty(k)

    def fit(x: np.ndarray) -> np.ndarray:
        kernel_fitness(model, integrated_state(x), A, At, params, out)
        return out.copy()

    found: list[np.ndarray] = []
    for size in range(1, k + 1):
        for S in itertools.combinations(range(k), size):
            idx = np.array(S)
            if size == 1:
                x = np.zeros(k)
                x[idx[0]] = 1.0
                found.append(x)
            elif linear:
                found.extend(_linear_face(A, idx))
            else:
                found.extend(_face_roots(fit, k, idx, int(starts)))
    rows = []
    for x in found:
        S = np.flatnonzero(x > 0.0)
        internal, transversal = _eigen(A if linear else None, fit, x, S)
        eig = tuple(complex(v) for v in np.concatenate([internal, transversal.astype(complex)]))
        rows.append(
            [*x, len(S), eig, tuple(float(v) for v in transversal),
             bool((transversal <= _tolerance(transversal)).all()), stability_label(eig)]
        )
    cols = [*names, "support", "eigenvalues", "transversal", "saturated", "stability"]
    frame = pd.DataFrame(rows, columns=cols)
    frame.columns.name = None
    return frame


def _tolerance(values: np.ndarray) -> float:
    """What counts as zero among eigenvalues of this size."""
    scale = max(1.0, float(np.max(np.abs(values)))) if np.size(values) else 1.0
    return _ZERO * scale


def stability_label(eigenvalues: Any) -> str:
    """The stability of a rest point from its eigenvalues on the simplex.

    Parameters
    ----------
    eigenvalues : sequence of complex
        The ``k - 1`` eigenvalues of the Jacobian on the simplex's tangent space.

    Returns
    -------
    str
        ``"stable"``, ``"unstable"``, ``"saddle"``, ``"centre"`` or ``"degenerate"`` (see
        :func:`rest_points`); a point with no eigenvalue (one strategy) is ``"stable"``.
    """
    ev = np.asarray(eigenvalues, dtype=complex)
    if ev.size == 0:
        return "stable"
    tol = _tolerance(ev)
    re = ev.real
    pos, neg = (re > tol).any(), (re < -tol).any()
    if pos and neg:
        return "saddle"
    if pos:
        return "unstable"
    zero = np.abs(re) <= tol
    if not zero.any():
        return "stable"
    if (np.abs(ev[zero].imag) > tol).all():
        return "centre"
    return "degenerate"


def _linear_face(A: np.ndarray, idx: np.ndarray) -> list[np.ndarray]:
    """The rest point inside the face ``idx`` of the matrix game, if there is exactly one."""
    s = idx.size
    M = np.zeros((s + 1, s + 1))
    M[:s, :s] = A[np.ix_(idx, idx)]
    M[:s, s] = -1.0
    M[s, :s] = 1.0
    rhs = np.zeros(s + 1)
    rhs[s] = 1.0
    try:
        sol = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        sol = None
    scale = max(1.0, float(np.abs(M).max()))
    if sol is None or not np.isfinite(sol).all() or np.linalg.cond(M) > 1e12:
        sol, *_ = np.linalg.lstsq(M, rhs, rcond=None)
        if np.abs(M @ sol - rhs).max() < 1e-9 * scale and (sol[:s] > _INSIDE).all():
            warnings.warn(
                f"the face of strategies {tuple(int(i) for i in idx)} holds a continuum of "
                "rest points (a singular system): none of them is listed",
                stacklevel=3,
            )
        return []
    xs = sol[:s]
    if (xs <= _INSIDE).any():
        return []
    x = np.zeros(A.shape[0])
    x[idx] = xs / xs.sum()
    return [x]


def _on_face(k: int, idx: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The state with free coordinates ``z`` (all but the last of the face) on face ``idx``."""
    x = np.zeros(k)
    x[idx[:-1]] = z
    x[idx[-1]] = 1.0 - z.sum()
    return x


def _face_roots(fit: Any, k: int, idx: np.ndarray, starts: int) -> list[np.ndarray]:
    """Rest points strictly inside the face ``idx`` of a nonlinear game."""
    s = idx.size

    def g(z: np.ndarray) -> np.ndarray:
        f = fit(_on_face(k, idx, z))
        return f[idx[:-1]] - f[idx[-1]]

    roots: list[np.ndarray] = []
    if s == 2:
        grid = np.linspace(0.0, 1.0, 401)[1:-1]
        vals = np.array([g(np.array([t]))[0] for t in grid])
        for a, b, va, vb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
            if va == 0.0:
                roots.append(np.array([a]))
            elif va * vb < 0.0:
                for _ in range(80):
                    m = 0.5 * (a + b)
                    vm = g(np.array([m]))[0]
                    if va * vm <= 0.0:
                        b, vb = m, vm
                    else:
                        a, va = m, vm
                roots.append(np.array([0.5 * (a + b)]))
        if vals[-1] == 0.0:
            roots.append(np.array([grid[-1]]))
    else:
        lattice = [
            np.array(c, dtype=float) / starts
            for c in itertools.product(range(1, starts), repeat=s - 1)
            if sum(c) < starts
        ]
        for z0 in lattice:
            z = _newton(g, z0)
            if z is not None:
                roots.append(z)
    points = []
    for z in roots:
        x = _on_face(k, idx, z)
        if (x[idx] <= 1e-7).any():
            continue
        if all(np.abs(x - p).max() > 1e-6 for p in points):
            points.append(x)
    return points


def _newton(g: Any, z: np.ndarray, iterations: int = 60) -> np.ndarray | None:
    """Damped Newton for ``g(z) = 0`` inside the open face; None when it does not converge."""
    n = z.size
    gz = g(z)
    for _ in range(iterations):
        if np.abs(gz).max() < 1e-13:
            return z
        h = 1e-7
        J = np.empty((n, n))
        for j in range(n):
            zp = z.copy()
            zp[j] += h
            J[:, j] = (g(zp) - gz) / h
        try:
            step = np.linalg.solve(J, -gz)
        except np.linalg.LinAlgError:
            return None
        lam = 1.0
        while lam > 1e-4:
            zn = z + lam * step
            if (zn > 0.0).all() and zn.sum() < 1.0:
                gn = g(zn)
                if np.abs(gn).max() < np.abs(gz).max() or lam < 1e-3:
                    break
            lam *= 0.5
        else:
            return None
        if not ((zn > 0.0).all() and zn.sum() < 1.0):
            return None
        z, gz = zn, gn
    return z if np.abs(gz).max() < 1e-10 else None


def _tangent_basis(m: int) -> np.ndarray:
    """An orthonormal basis (m x (m - 1)) of ``{v in R^m : sum v = 0}``."""
    D = np.zeros((m, m - 1))
    for j in range(m - 1):
        D[j, j] = 1.0
        D[m - 1, j] = -1.0
    Q, _ = np.linalg.qr(D)
    return Q


def _eigen(A: np.ndarray | None, fit: Any, x: np.ndarray, S: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Internal eigenvalues (on the face ``S``) and transversal ones (``f_j - phi``, ``j``
    absent) of the replicator's Jacobian at ``x``."""
    k = x.size
    f = fit(x)
    phi = float(x @ f)
    absent = np.setdiff1d(np.arange(k), S)
    transversal = f[absent] - phi
    s = S.size
    if s == 1:
        return np.zeros(0, dtype=complex), transversal
    V = _tangent_basis(s)
    if A is not None:
        # d/dx_j [x_i ((Ax)_i - x.Ax)] = [i=j](f_i - phi) + x_i (A_ij - (A^T x)_j - f_j)
        g = A.T @ x + f
        J = np.diag(f - phi) + x[:, None] * (A - g[None, :])
        Jf = J[np.ix_(S, S)]
    else:
        def vel(y: np.ndarray) -> np.ndarray:
            fy = fit(y)
            return y * (fy - y @ fy)

        Jf = np.empty((s, s))
        for j, i in enumerate(S):
            h = 1e-6
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            Jf[:, j] = (vel(up)[S] - vel(down)[S]) / (2 * h)
    internal = np.linalg.eigvals(V.T @ Jf @ V)
    # round-off: a real part far below the eigenvalue's size is zero
    tiny = np.abs(internal.real) < 1e-12 * max(1.0, float(np.abs(internal).max()))
    internal = np.where(tiny, 1j * internal.imag, internal)
    return internal, transversal
