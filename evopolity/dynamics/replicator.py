"""Dynamics of infinite populations: the replicator equation and its relatives.

Each function takes the interactions of ``k`` strategies as a payoff matrix ``A`` (``A[i, j]``
the payoff of ``i`` against ``j``): a square array, a DataFrame whose index and columns are the
strategy names, or any object with such a DataFrame in its ``.payoffs`` attribute (a
``Tournament``). It returns a :class:`~evopolity.dynamics.trajectory.Trajectory`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from evopolity.dynamics.fitness import (
    crossed_state,
    institution_revenue,
    lowest_fitness,
    member_state,
    regime_setup,
)
from evopolity.dynamics.trajectory import Trajectory
from evopolity.institutions.regime import MUTATION_MODELS, Regime
from evopolity.kernels import codes
from evopolity.kernels import replicator as _rk
from evopolity.kernels.fitness import institution_macro
from evopolity.kernels.layout import integrated_state
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    MAX_OUTPUT_BYTES,
    MAX_ROWS,
    as_payoff_matrix,
    boolean,
    check_magnitude,
    check_size,
    integer,
    mutation_matrix,
    nonnegative,
    simplex_point,
)

__all__ = ["replicator", "discrete_replicator"]

#: The largest payoff (plus a regime's fine, reward, cost and conformity) the integrators take:
#: they square rates of change (error norms, Jacobian products), which overflows a double for
#: payoffs near 1e146; 1e100 leaves room for the tolerances.
MAX_PAYOFF = 1e100

_SCHEMES = {"dopri5": codes.EXPLICIT, "auto": codes.AUTO, "rodas4": codes.IMPLICIT}
_STATUS = {
    codes.DONE: "done",
    codes.AT_REST: "rest point",
    codes.MAX_STEPS: "max_steps reached",
    codes.STEP_TOO_SMALL: "step size too small",
}


def replicator(
    payoffs: Any,
    x0: Any = None,
    t_max: float = 100.0,
    times: Sequence[float] | np.ndarray | None = None,
    mutation: float | np.ndarray = 0.0,
    *,
    n_points: int = 1001,
    integrator: Literal["auto", "dopri5", "rodas4", "rk4"] = "auto",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    dt: float = 0.01,
    stop_at_rest: bool = True,
    rest_tol: float = 1e-10,
    max_steps: int = 10_000_000,
    regime: Regime | None = None,
    cooperation: Any = None,
    mutation_model: Literal["independent", "fitness_weighted"] | None = None,
) -> Trajectory:
    r"""Integrate the replicator (or replicator--mutator) equation.

    .. math::

        \dot x_i = x_i\,\big(f_i - \phi\big), \qquad f = Ax,\ \phi = x^\top A x

    (Taylor & Jonker 1978; Hofbauer & Sigmund 1998). With mutation, where ``Q[j, i]`` is the
    probability that a mutating ``j`` becomes ``i``, either independently of selection
    (``mutation_model="independent"``, the default; Crow & Kimura 1970, Hofbauer 1985)

    .. math::

        \dot x_i = x_i\,(f_i - \phi) + \sum_j x_j Q_{ji} - x_i

    (with a uniform rate ``mu``: :math:`\mu\,((1 - x_i)/(k - 1) - x_i)`), which, like the
    replicator, a constant added to every payoff leaves unchanged; or at birth, weighted by
    fitness (``mutation_model="fitness_weighted"``, the replicator--mutator of Page & Nowak
    2002)

    .. math::

        \dot x_i = \sum_j x_j f_j Q_{ji} - x_i\, \phi,

    which is defined only while every fitness is non-negative (a negative fitness turns the
    inflow backwards) and changes when a constant is added to the payoffs.

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k interaction matrix ``A``, or an n-player
        :class:`~evopolity.play.group_games.GroupGame`, whose fitness is its expected payoff
        :math:`f_i(x)` (a multinomial sum over the group's co-players) in place of ``(Ax)_i``.
    x0 : array_like or Series, optional
        Initial frequencies (default: the barycentre).
    t_max : float
        End time when ``times`` is not given (``n_points`` equally spaced times from 0).
    times : array_like, optional
        Increasing output times; integration starts at ``times[0]``.
    mutation : float or array_like
        A uniform mutation rate ``mu`` (``Q_ii = 1 - mu``, ``Q_ij = mu / (k - 1)``) or a
        row-stochastic k x k matrix ``Q``.
    n_points : int
        Number of equally spaced output times from 0 to ``t_max`` (when ``times`` is not
        given).
    integrator : {"auto", "dopri5", "rodas4", "rk4"}
        ``"dopri5"``: adaptive Dormand--Prince 5(4) with dense output (``rtol``, ``atol``).
        ``"rodas4"``: the L-stable Rosenbrock method RODAS4 (Hairer & Wanner 1996), for stiff
        problems, with dense output. ``"auto"``: Dormand--Prince, switching to RODAS4 when it
        detects stiffness (typically as the population settles and strategies die out at
        fixed rates) and back when the stiffness is gone. ``"rk4"``: classical fixed-step
        RK4 (step ``dt``, shortened to land on every output time).
    rtol, atol : float
        Relative and absolute error tolerances of the adaptive integrators.
    dt : float
        The step of ``"rk4"``.
    stop_at_rest : bool
        Stop once every velocity is below ``rest_tol`` (and no present strategy grows at a
        per-capita rate above 1e-6); the remaining rows repeat the rest point.
    rest_tol : float
        The velocity below which the state is at rest.
    max_steps : int
        Most steps (accepted or rejected) before giving up; rows not reached are NaN and
        ``info["status"]`` says why.
    regime : Regime, optional
        An institutional regime (:mod:`evopolity.institutions.regime`): its fines, rewards, taxes,
        costs and conformity change the fitness, its ``mutation`` is the mutation rate (do not
        also pass ``mutation``), and a co-evolving institution's strength ``m`` is integrated
        with the frequencies and returned as the macro column ``institution_strength`` (a
        fixed institution acts at full strength and has no macro column). Given a
        ``Tournament`` played under the regime (``tournament(..., regime=r)``), its fine and
        reward are the sanctions played inside the matches, ``f_i = (A x)_i + s (S x)_i``
        (:mod:`evopolity.dynamics.fitness`), never applied twice: a tournament played under
        other in-play fields is refused, and on payoffs played without the regime a
        ``norm`` other than ``"any"`` or a ``fine_to`` other than ``"burned"`` is refused (the
        expected terms model only those). With ``fine_to="institution"`` the macro column
        ``to_institution`` is what the fines bring the institution per unit time,
        ``s x^T S_inst x``.
    cooperation : array_like or DataFrame, optional
        The k x k cooperation matrix ``C`` the regime needs (fraction of ``i``'s moves that
        cooperate against ``j``); taken from ``payoffs.cooperation`` when ``payoffs`` is a
        ``Tournament``. For a group game, a vector: each strategy's contribution (e.g.
        ``[1, 0, 1]`` for cooperators, defectors and loners, so that loners, who do not take
        part, are not fined as defectors).
    mutation_model : {"independent", "fitness_weighted"}, optional
        How ``mutation`` enters (the equations above; default ``"independent"``). With
        ``"fitness_weighted"`` every fitness the payoffs can give must be non-negative
        (``ValueError`` otherwise). With a regime, give it as ``regime.mutation_model``.

    Returns
    -------
    Trajectory
        ``info`` holds ``status`` ("done", "rest point", ...), ``steps`` (attempted steps),
        ``implicit_steps`` (those taken by RODAS4) and ``t_reached``.

    Raises
    ------
    ValueError
        For an unknown integrator, a state off the simplex, times that do not increase, a
        parameter out of range, an unknown ``mutation_model``, fitness that can turn negative
        with ``mutation_model="fitness_weighted"``, or a mutation rate (or model) given both
        as an argument and in the regime.
    TypeError
        For arguments of the wrong kind.

    Examples
    --------
    Hawk--Dove with ``V = 2, C = 3`` converges to hawks at ``V / C``:

    >>> tr = replicator([[-0.5, 2.0], [0.0, 1.0]], x0=[0.1, 0.9], t_max=200)
    >>> round(float(tr.final().iloc[0]), 6)
    0.666667
    """
    group = isinstance(payoffs, GroupGame)
    if group:  # an n-player game: its expected payoffs are the kernel's model GROUP
        names = payoffs.strategies
        A = np.zeros((payoffs.k, payoffs.k))  # a placeholder: the kernel takes k from it
    else:
        A, names = as_payoff_matrix(payoffs)
    k = A.shape[0]
    _check_payoff_size(payoffs if group else A, regime)
    stop_at_rest = boolean(stop_at_rest, "stop_at_rest")
    if not isinstance(integrator, str) or integrator not in (*_SCHEMES, "rk4"):
        raise ValueError(
            f"integrator must be one of 'auto', 'dopri5', 'rodas4', 'rk4', got {integrator!r}"
        )
    dt = nonnegative(dt, "dt", allow_zero=False)
    if times is None:
        t_end = nonnegative(t_max, "t_max", allow_zero=False)
        n = integer(n_points, "n_points", 2)
        check_size(n, MAX_ROWS, "output times", "n_points", bytes_per_item=8 * (k + 2))
        grid = np.linspace(0.0, t_end, n)
    else:
        try:
            grid = np.array(times, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("times must be an array of real numbers") from None
        if grid.ndim != 1 or grid.size < 1:
            raise ValueError(f"times must be a non-empty 1-d array, got shape {grid.shape}")
        if not np.isfinite(grid).all() or (grid[1:] <= grid[:-1]).any():
            raise ValueError("times must be finite and strictly increasing")
        check_size(grid.size, MAX_ROWS, "output times", "times", bytes_per_item=8 * (k + 1))
    setup = regime_setup(regime, mutation, payoffs, cooperation, names, members=True)
    model, params, mutation, C = setup.model, setup.params, setup.mutation, setup.C
    A = setup.A
    if x0 is None:
        x = np.full(k, 1.0 / k)
        if setup.names is not None:
            x = crossed_state(x, regime.initial_contributors)
    else:
        x = member_state(x0, names, setup, regime)
    if setup.names is not None:  # the strategies crossed with {contributes, abstains}
        names = setup.names
        k = len(names)
    y0, macro_names = integrated_state(x), ()
    if setup.macro_names:
        y0 = np.concatenate([x, setup.macro0])
        macro_names = setup.macro_names
    elif regime is not None and regime.coevolves:  # fixed institutions act at full strength
        y0 = integrated_state(x, regime.initial_strength)
        macro_names = ("institution_strength",)
    Q, mutate = mutation_matrix(mutation, k)
    model_name = _mutation_model(mutation_model, regime)
    if mutate and model_name == "fitness_weighted":
        low = lowest_fitness(regime, payoffs, setup.bare, setup.sanctions if regime else None)
        if low < 0.0:
            under = "" if regime is None else f" under regime {regime.name!r}"
            raise ValueError(
                f"payoffs must not be negative with mutation_model='fitness_weighted': the "
                f"lowest fitness they can give{under} is {low:g} (smallest payoff, less "
                "detection * fine and the cost; unbounded for a cost shared by contributors). "
                "The replicator-mutator's inflow x_j f_j Q_ji turns negative and can push a "
                "frequency below zero; unlike the replicator it changes when a constant is "
                "added to every payoff, so add one yourself if that is the model you mean, or "
                "use mutation_model='independent'"
            )
    mutate_code = (codes.NO_MUTATION if not mutate else codes.FITNESS_WEIGHTED
                   if model_name == "fitness_weighted" else codes.INDEPENDENT)
    rtol = nonnegative(rtol, "rtol", allow_zero=False)
    atol = nonnegative(atol, "atol", allow_zero=False)
    rest = nonnegative(rest_tol, "rest_tol", allow_zero=False) if stop_at_rest else 0.0
    max_steps = integer(max_steps, "max_steps")
    out = np.empty((grid.size, y0.size))
    At = np.ascontiguousarray(A.T)
    if integrator in _SCHEMES:
        status, steps, implicit_steps, t_reached = _rk.integrate(
            model, y0, A, At, params, Q, mutate_code, grid, _SCHEMES[integrator], rtol, atol,
            rest, max_steps, out,
        )  # fmt: skip
    elif integrator == "rk4":
        dt = nonnegative(dt, "dt", allow_zero=False)
        status, steps, t_reached = _rk.rk4(
            model, y0, A, At, params, Q, mutate_code, grid, dt, rest, max_steps, out
        )
        implicit_steps = 0
    else:
        raise ValueError(
            f"integrator must be one of 'auto', 'dopri5', 'rodas4', 'rk4', got {integrator!r}"
        )
    macro = out[:, k:] if macro_names else None
    played = setup.sanctions if regime is not None else None
    scale = None
    if regime is not None and (regime.funded or regime.chosen):
        macro, macro_names, scale = _member_macro(regime, setup, out, macro, macro_names)
    if played is not None and regime.fine_to == "institution":
        # what the fines bring the institution per unit time: a macro quantity
        strength = macro[:, 0] if macro_names and macro_names[0] == "institution_strength" \
            else None
        if scale is not None:  # a fine level the members chose scales what the fines bring
            strength = scale if strength is None else strength * scale
        revenue = institution_revenue(regime, played, C, out[:, :k], strength)
        macro = revenue[:, None] if macro is None else np.column_stack([macro, revenue])
        macro_names = (*macro_names, "to_institution")
    return Trajectory(
        grid,
        out[:, :k],
        names,
        macro=macro,
        macro_names=macro_names or None,
        params={
            "dynamic": "replicator",
            "x0": x,
            "regime": regime,
            # the game alone (x^T A x); what the institution adds is in "sanctions"
            "payoffs": payoffs if group else setup.bare,
            "sanctions": None if played is None else played.arrays(),
            "cooperation": C,
            "mutation": Q if mutate else 0.0,
            "mutation_model": model_name,
            "integrator": integrator,
            "rtol": rtol,
            "atol": atol,
            "dt": dt if integrator == "rk4" else None,
        },
        info={
            "status": _STATUS[int(status)],
            "steps": int(steps),
            "implicit_steps": int(implicit_steps),
            "t_reached": float(t_reached),
        },
    )


def _member_macro(regime: Regime, setup: Any, out: np.ndarray, macro: np.ndarray | None,
                  macro_names: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """The macro columns of a funded institution or a chosen fine: ``institution_strength``
    (what a funded institution affords, ``s``, at every row), ``fine_level`` (the level in
    force), ``prefer_high`` (the share of the population preferring the top of the bounds)
    and ``chosen_fine`` (the level the rule chooses); and the fine's scale ``F / fine``."""
    info = institution_macro(np.ascontiguousarray(out), setup.A, setup.params)
    columns = {name: macro[:, i] for i, name in enumerate(macro_names)}
    if regime.funded:
        columns = {"institution_strength": info[:, 0], **columns}
    scale = None
    if regime.chosen:
        lo, hi = regime.fine_bounds
        level = lo + columns["fine_level"] * (hi - lo)
        columns["fine_level"] = level
        columns["prefer_high"] = info[:, 1]
        columns["chosen_fine"] = lo + info[:, 2] * (hi - lo)
        scale = level / regime.fine
    names = tuple(columns)
    return np.column_stack([columns[n] for n in names]), names, scale


def _check_payoff_size(payoffs: np.ndarray | GroupGame, regime: Regime | None) -> None:
    """Refuse payoffs (with a regime's terms) too large for the integrators' arithmetic."""
    if isinstance(payoffs, GroupGame):
        largest = max(abs(v) for v in payoffs.payoff_range())
    else:
        largest = float(np.abs(payoffs).max())
    name = "payoffs"
    if isinstance(regime, Regime):
        largest += (max(regime.fine, regime.fine_bounds[1] if regime.chosen else 0.0)
                    + regime.reward + regime.cost + regime.conformity + regime.levy
                    + regime.second_order)
        name = "payoffs (with the regime's fine, reward, cost and conformity)"
    check_magnitude(
        largest, MAX_PAYOFF, name,
        "the integrators square rates of change (error norms, Jacobians), which overflows a "
        "double near 1e146; divide every payoff (and the regime's fine, reward, cost and "
        "conformity) by a constant c: the replicator is the same, c times slower "
        "(use t_max * c)",
    )  # fmt: skip


def _mutation_model(mutation_model: Any, regime: Regime | None) -> str:
    """The mutation model in force: the argument's, or the regime's (never both)."""
    if regime is not None:
        if mutation_model is not None:
            raise ValueError(
                "give the mutation model as regime.mutation_model, not as mutation_model"
            )
        return regime.mutation_model
    if mutation_model is None:
        return "independent"
    if mutation_model not in MUTATION_MODELS:
        raise ValueError(
            f"mutation_model must be one of {', '.join(map(repr, MUTATION_MODELS))}, "
            f"got {mutation_model!r}"
        )
    return str(mutation_model)


def discrete_replicator(
    payoffs: Any,
    x0: Any = None,
    generations: int = 100,
    *,
    negative: Literal["raise", "shift"] = "raise",
) -> Trajectory:
    r"""The discrete-time replicator: the ecological model of Axelrod's *Ecosystem*.

    .. math::

        x_i' = \frac{x_i f_i}{\sum_j x_j f_j}, \qquad f = A x

    (Axelrod 1984, ch. 2; Hofbauer & Sigmund 1998, 16.2), without the ecosystem's noise.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        The k x k interaction matrix ``A``; its entries must not be negative: with a negative
        fitness the map is no longer selection (a frequency could turn negative; axelrod's
        ``Ecosystem`` silently runs it). Zero entries are fine (Axelrod's ``S = 0``).
    x0 : array_like or Series, optional
        Initial frequencies (default: the barycentre).
    generations : int
        Number of map steps; the trajectory has ``generations + 1`` rows (times
        0..generations). If the
        mean fitness reaches 0 (every present strategy earns nothing) the map is undefined:
        the remaining rows are NaN and ``info["generations"]`` says how many were computed.
    negative : {"raise", "shift"}
        With ``"raise"`` a matrix with a negative entry is refused (``ValueError``). With
        ``"shift"`` the constant ``-min(A)`` is added to every entry so that the smallest
        payoff is 0. The shift changes the trajectory (the discrete map, unlike the
        continuous one, is not invariant under adding a constant) but not its rest points.

    Returns
    -------
    Trajectory
        ``generations + 1`` rows at times ``0..generations``; ``info`` holds ``status``
        (``"done"`` or ``"mean fitness reached 0"``) and ``generations`` (steps computed);
        ``params["shift"]`` the constant added.

    Raises
    ------
    ValueError
        For a negative payoff with ``negative="raise"``, an unknown ``negative``, or a state
        off the simplex.
    """
    A, names = as_payoff_matrix(payoffs)
    k = A.shape[0]
    x = np.full(k, 1.0 / k) if x0 is None else simplex_point(x0, names)
    generations = integer(generations, "generations", 0)
    check_size(generations + 1, MAX_ROWS, "trajectory", "generations",
               bytes_per_item=8 * (k + 1), budget=MAX_OUTPUT_BYTES)
    if negative not in ("raise", "shift"):
        raise ValueError(f"negative must be 'raise' or 'shift', got {negative!r}")
    shift = 0.0
    if A.min() < 0.0:
        if negative == "raise":
            raise ValueError(
                f"payoffs must not be negative for the discrete replicator (min is "
                f"{A.min():g}); pass negative='shift' to add -min(payoffs) to every entry"
            )
        shift = -float(A.min())
        A = A + shift
    # the map is unchanged when every payoff is multiplied by c > 0: scale by a power of two
    # (exact) so that the sums x_j f_j of large payoffs cannot overflow
    largest = float(A.max())
    if largest > 2.0**500:
        A = np.ldexp(A, -math.frexp(largest)[1])
    out = np.empty((generations + 1, k))
    computed = _rk.discrete(codes.LINEAR, x, A, np.ascontiguousarray(A.T), np.zeros(0),
                            generations, out)
    return Trajectory(
        np.arange(generations + 1, dtype=np.float64),
        out,
        names,
        params={"dynamic": "discrete_replicator", "x0": x, "shift": shift},
        info={"status": "done" if computed == generations else "mean fitness reached 0",
              "generations": int(computed)},
    )
