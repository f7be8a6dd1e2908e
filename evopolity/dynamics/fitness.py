"""What a dynamic needs from a regime, and the fitness it gives each strategy.

:func:`regime_setup` turns an optional :class:`~evopolity.institutions.regime.Regime` and the
interactions into the fitness kernel's model code and flat parameter array (the same for the
replicator and the finite-population processes); :func:`fitness` reads the kernel's fitness
off at one population state.

Two paths lead a regime's fine and reward into fitness, and a run takes exactly one:

* **expected** (the interactions were played without the regime): ``- s q F d_i + s q B c_i``
  on the cooperation rates ``c = C x``, ``d = 1 - c``. It models ``norm="any"`` and
  ``fine_to="burned"`` only, so other norms and destinations are refused there.
* **played** (a ``Tournament`` played under the regime, ``tournament(..., regime=r)``): its
  payoffs are net of sanctions at full strength, ``A_net = A + S``, with ``S`` the net
  sanction per turn (fines received - fines paid + rewards, from ``Tournament.sanctions``).
  Sanctions are linear in the institution's strength, so fitness is
  ``f_i = (A x)_i + s (S x)_i`` (``s = m`` when the institution co-evolves); with a switch the
  fine part ``S_fine`` and the reward part ``S_reward`` act apart. The regime's in-play fields
  must be those the tournament was played with, or the sanctions would be applied twice.

A group game played under a regime (``GroupGame.under``) takes the played path too: its table
is net of the expected sanctions at full strength, so the regime's fine and reward are not
applied again (only its population-level terms are), a regime with other in-play fields is
refused, and so is a co-evolving strength or a switch (the table cannot scale its fines).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evopolity.institutions.regime import IN_PLAY_FIELDS, Regime, regime_parameters
from evopolity.kernels import codes
from evopolity.kernels.layout import group_regime_array
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    as_payoff_matrix,
    cooperation_matrix,
    nonnegative,
    probability,
    simplex_point,
)

__all__ = [
    "FITNESS_MAPS", "PlayedSanctions", "Setup", "crossed", "crossed_names", "crossed_state",
    "fitness", "institution_revenue", "member_state",
    "lowest_fitness", "moran_rule", "played_sanctions", "regime_setup",
]  # fmt: skip

# maps from payoff to the fitness of a Moran process (the ``fitness_map`` of moran and the
# analytical results)
FITNESS_MAPS = ("exponential", "linear")
# the per-turn k x k arrays of Tournament.sanctions
SANCTION_ARRAYS = ("fines_paid", "fines_received", "rewards", "to_institution")


class PlayedSanctions(NamedTuple):
    """The sanctions a tournament played inside its matches, per turn, at full strength.

    Attributes
    ----------
    fine : ndarray
        ``S_fine[i, j]``: fines ``i`` received less fines it paid against ``j``.
    reward : ndarray
        ``S_reward[i, j]``: rewards ``i`` received against ``j``.
    to_institution : ndarray
        ``S_inst[i, j]``: the part of ``i``'s fines against ``j`` that reached the institution.
    """

    fine: np.ndarray
    reward: np.ndarray
    to_institution: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """``S = S_fine + S_reward``: the net sanction, what ``payoffs`` include."""
        return self.fine + self.reward

    def arrays(self) -> dict[str, np.ndarray]:
        """The three matrices by name (``fine``, ``reward``, ``to_institution``), as a
        trajectory's ``params["sanctions"]`` stores them."""
        return {"fine": self.fine, "reward": self.reward, "to_institution": self.to_institution}


class Setup(NamedTuple):
    """What a dynamic runs on (:func:`regime_setup`).

    Attributes
    ----------
    model : int
        The fitness model's kernel code.
    params : ndarray
        Its flat parameter array.
    mutation : float or ndarray
        The mutation to use.
    C : ndarray or None
        The cooperation matrix.
    A : ndarray
        The matrix the kernel reads (the bare payoffs, or for a fixed institution without a
        switch the payoffs net of sanctions, whose ``S x`` then costs nothing more).
    bare : ndarray
        The payoffs without sanctions, ``A`` (for ``x^T A x``, the game alone).
    sanctions : PlayedSanctions or None
        The sanctions played inside the matches, if any.
    played_under : Regime or None
        The regime the tournament was played under, if any.
    names : tuple of str or None
        The strategies the kernel runs on when they differ from the caller's: the crossed
        strategies of an institution the members fund (``"<name>+levy"`` contributors first,
        then the abstainers under their own names).
    macro_names : tuple of str
        The macro variables integrated after the frequencies: ``"institution_strength"``
        (``m``, when it co-evolves), then ``"fine_level"`` (as its position in the bounds,
        when the members choose it).
    macro0 : tuple of float
        Their starting values.
    """

    model: int
    params: np.ndarray
    mutation: Any
    C: np.ndarray | None
    A: np.ndarray
    bare: np.ndarray
    sanctions: PlayedSanctions | None
    played_under: Regime | None
    names: tuple[str, ...] | None = None
    macro_names: tuple[str, ...] = ()
    macro0: tuple[float, ...] = ()


def played_sanctions(payoffs: Any) -> tuple[Regime | None, PlayedSanctions | None]:
    """The regime a tournament was played under and its sanctions (None, None without one).

    Parameters
    ----------
    payoffs : Any
        The interactions; a ``Tournament`` carries ``settings["regime"]``.

    Returns
    -------
    tuple
        ``(regime, PlayedSanctions)`` for a tournament played under a regime, else
        ``(None, None)``.
    """
    settings = getattr(payoffs, "settings", None)
    regime = settings.get("regime") if isinstance(settings, dict) else None
    if regime is None:
        return None, None
    frame = payoffs.sanctions
    k = len(payoffs.strategies)
    arr = {name: frame[name].to_numpy(dtype=np.float64).reshape(k, k)
           for name in SANCTION_ARRAYS}
    return regime, PlayedSanctions(arr["fines_received"] - arr["fines_paid"], arr["rewards"],
                                   arr["to_institution"])


def _as_sanctions(sanctions: Any, k: int) -> PlayedSanctions:
    """``sanctions=`` given as PlayedSanctions or a mapping of its :meth:`arrays`."""
    if isinstance(sanctions, PlayedSanctions):
        return sanctions
    if not isinstance(sanctions, dict) or set(sanctions) != {"fine", "reward", "to_institution"}:
        raise TypeError(
            "sanctions must be a mapping with the k x k arrays 'fine', 'reward' and "
            f"'to_institution' (a trajectory's params['sanctions']), got {sanctions!r}"
        )
    arrays = {}
    for name, value in sanctions.items():
        a = np.asarray(value, dtype=np.float64)
        if a.shape != (k, k):
            raise ValueError(f"sanctions[{name!r}] must be {k} x {k}, got shape {a.shape}")
        arrays[name] = a
    return PlayedSanctions(**arrays)


def _in_play_fields(regime: Any) -> dict[str, Any] | None:
    """A regime's in-play fields, or None when nothing acts in play (as ``Regime.in_play``)."""
    if regime.detection == 0.0 or (regime.fine == 0.0 and regime.reward == 0.0):
        return None
    return {f: getattr(regime, f) for f in IN_PLAY_FIELDS}


def _check_played(regime: Regime, played: Any, what: str = "tournament") -> None:
    """Refuse a regime whose in-play fields differ from those the tournament (or group game)
    was played with: its sanctions would be applied twice, or not as the regime says."""
    if _in_play_fields(regime) == _in_play_fields(played):
        return
    ours = {f: getattr(regime, f) for f in IN_PLAY_FIELDS}
    theirs = {f: getattr(played, f) for f in IN_PLAY_FIELDS}
    differ = {f: (theirs[f], ours[f]) for f in IN_PLAY_FIELDS if ours[f] != theirs[f]}
    fix = ("Play the tournament with regime=r (evolve does)" if what == "tournament" else
           "Play the bare game with game.under(r, contributes=...)")
    raise ValueError(
        f"regime {regime.name!r} does not match the regime the {what} was played under "
        f"({getattr(played, 'name', played)!r}); in-play fields (played, given): {differ}. "
        f"The {what}'s payoffs already hold its sanctions; applying another regime's fine or "
        f"reward on top would count them twice. {fix}, or give a regime with the same fine, "
        "detection, reward, captured, norm and fine_to"
    )


def _group_played_setup(regime: Regime, game: GroupGame, C: np.ndarray) -> Setup:
    """The setup of a group game played under a regime (``GroupGame.under``): its table holds
    the fines and rewards at full strength, so the kernel applies only the population-level
    terms (cost, tax, conformity) and the regime's mutation."""
    _check_played(regime, game.played_under, "group game")
    if regime.coevolves or regime.switch > 0.0:
        raise ValueError(
            f"regime {regime.name!r} has a co-evolving strength or a switch, which scale or "
            "switch the fines over time; a group game played under a regime holds them at "
            "full strength: use a fixed institution (feedback = decay = 0, switch = 0), or "
            "the bare game with cooperation= (the expected path, fines burned)"
        )
    given = C[:, 0]
    wanted = np.array([v is True for v in game.contributes], dtype=np.float64)
    if not np.array_equal(given, wanted):
        raise ValueError(
            f"cooperation must be the contributions the game was played with ({wanted}), got "
            f"{given}; leave cooperation out to use them"
        )
    params = regime_parameters(regime.replace(fine=0.0, reward=0.0), C)
    k = game.k
    return Setup(codes.GROUP_INSTITUTIONS, group_regime_array(params, game.kernel_params()),
                 regime.mutation, C, np.zeros((k, k)), np.zeros((k, k)), None, None)


def _check_expected(regime: Regime, group: bool) -> None:
    """The expected path fines every detected defection and burns the fine: refuse a regime
    whose norm or destination says otherwise, where a fine acts."""
    if regime.detection * regime.fine == 0.0:
        return
    if regime.norm == "any" and regime.fine_to == "burned":
        return
    what = ("play the group game under the regime (game.under(r, contributes=[...]), which "
            "takes fine_to; a one-shot group has no rounds for norm='unjustified') and pass "
            "that game" if group else
            "play the tournament with regime=r (ep.tournament(strategies, ..., regime=r), or "
            "ep.evolve, which does) and pass that Tournament")
    raise ValueError(
        f"regime {regime.name!r} has norm={regime.norm!r} and fine_to={regime.fine_to!r}, "
        "which act only on sanctions played inside matches; the expected-payoff path on "
        "these payoffs fines every detected defection and burns the fine (norm='any', "
        f"fine_to='burned'): {what}"
    )


def fitness(
    regime: Regime,
    payoffs: Any,
    cooperation: Any,
    x: Any,
    strength: float | None = None,
    *,
    sanctions: Any = None,
) -> pd.Series:
    """Fitness of every strategy in population ``x`` under ``regime`` (the kernel's terms).

    For reading off what the institution does to each strategy (the table of
    :mod:`evopolity.institutions.regime`); the dynamics call the same kernel.

    Parameters
    ----------
    regime : Regime
        The institutional regime.
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions: a matrix game or an n-player game. A ``Tournament`` played under
        ``regime`` (``tournament(..., regime=regime)``) brings its sanctions: fitness is then
        ``(A x)_i + s (S x)_i`` with the bare payoffs ``A`` (module docstring).
    cooperation : array_like, DataFrame or Tournament
        The k x k cooperation matrix (for a group game, a vector of contributions).
    x : array_like, Series or dict
        The population state (frequencies summing to 1); with ``funding="contributions"``
        over the crossed strategies, or over the bare ones (a share
        ``regime.initial_contributors`` of each contributing).
    strength : float, optional
        The institution's ``m`` in [0, 1] (default ``regime.initial_strength``; a fixed
        institution always acts at full strength, a funded one at what it affords at ``x``).
        A fine level the members choose is read at ``regime.fine``.
    sanctions : mapping, optional
        The sanctions played inside matches, ``{"fine", "reward", "to_institution"}`` (k x k
        per turn at full strength, a trajectory's ``params["sanctions"]``), with ``payoffs``
        the bare matrix.

    Returns
    -------
    Series
        The fitness of each strategy (each crossed strategy when the members fund the
        institution), indexed by strategy, named ``fitness``.

    Raises
    ------
    TypeError
        If ``regime`` is not a ``Regime``.
    ValueError
        For a state off the simplex, a cooperation matrix that does not fit, a tournament
        played under different in-play fields, or a norm or destination the expected path
        does not model.
    """
    from evopolity.kernels.replicator import fitness as kernel_fitness

    if isinstance(payoffs, GroupGame):
        names = payoffs.strategies
    else:
        _, names = as_payoff_matrix(payoffs)
    if not isinstance(regime, Regime):
        raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
    setup = regime_setup(regime, 0.0, payoffs, cooperation, names, sanctions=sanctions,
                         members=True)
    freq = member_state(x, names, setup, regime)
    if setup.names is not None:
        names = setup.names
    m = regime.initial_strength if strength is None else probability(strength, "strength")
    out = np.empty(len(names))
    A = setup.A
    macro = list(setup.macro0) if setup.macro_names else [m]
    if setup.macro_names and regime.coevolves:
        macro[0] = m
    kernel_fitness(setup.model, np.concatenate([freq, macro]), A, np.ascontiguousarray(A.T),
                   setup.params, out)
    return pd.Series(out, index=pd.Index(names, name="strategy"), name="fitness")


def member_state(x: Any, names: tuple[str, ...], setup: Setup, regime: Regime | None) -> np.ndarray:
    """The frequencies a dynamic starts from: over ``setup.names`` (the crossed strategies of a
    funded institution) when ``x`` has as many entries, else over ``names``, crossed with a
    share ``regime.initial_contributors`` of each contributing.

    Parameters
    ----------
    x : array_like, Series or dict
        The state.
    names : tuple of str
        The bare strategies.
    setup : Setup
        From :func:`regime_setup`.
    regime : Regime or None
        The regime.

    Returns
    -------
    ndarray
        Frequencies over the strategies the kernel runs on.
    """
    if setup.names is None:
        return simplex_point(x, names)
    n = len(x) if hasattr(x, "__len__") else -1
    if n == len(setup.names):
        return simplex_point(x, setup.names)
    return crossed_state(simplex_point(x, names), regime.initial_contributors)


def regime_setup(
    regime: Regime | None,
    mutation: Any,
    payoffs: Any,
    cooperation: Any,
    names: tuple[str, ...],
    *,
    sanctions: Any = None,
    members: bool = False,
) -> Setup:
    """What a dynamic needs from an optional regime, validated the same way everywhere.

    Parameters
    ----------
    regime : Regime or None
        The regime (None: the bare game; a tournament played under a regime then counts
        with its net payoffs, what its players earned).
    mutation : float or array_like
        The mutation the caller was given (must be 0 with a regime, whose own is used).
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions.
    cooperation : array_like, DataFrame or Tournament, optional
        The cooperation matrix; for a group game a vector may say how much each strategy
        contributes (``c_i`` whatever the population); a group game played under a regime
        brings its own (``contributes``).
    names : tuple of str
        The strategies' names, in order.
    sanctions : mapping or PlayedSanctions, optional
        Sanctions played inside matches, with ``payoffs`` the bare matrix (a trajectory's
        ``params["sanctions"]``); a ``Tournament`` played under a regime brings its own.
    members : bool
        Whether the caller runs institutions the members fund or rules they choose
        (``funding="contributions"``, ``rule_by``; the replicator and ``evolve`` do): these
        change the strategies (crossed with {contributes, abstains}) and the macro state, so
        other callers get a ``ValueError``.

    Returns
    -------
    Setup
        ``(model, params, mutation, C, A, bare, sanctions, played_under, names, macro_names,
        macro0)``: the kernel model
        code, the flat parameter array, the mutation to use, the cooperation matrix (from
        ``cooperation`` or ``payoffs.cooperation``; None when there is neither and no regime
        needs it), the matrix the kernel reads, the bare payoffs, the played sanctions and
        the regime they were played under.

    Raises
    ------
    ValueError
        For a mutation given twice, a regime without a cooperation matrix, a cooperation
        given without a regime, a tournament played under other in-play fields than
        ``regime``'s, (on payoffs played without the regime) a norm other than ``"any"``
        or a ``fine_to`` other than ``"burned"`` where a fine acts, or an institution the
        members fund or rules they choose where ``members`` is False or on a group game; for a
        group game played under a regime (``GroupGame.under``): other in-play fields, a
        co-evolving strength or a switch, or a ``cooperation`` other than its contributions.
    TypeError
        For a regime that is not a ``Regime`` or malformed ``sanctions``.
    """
    group = isinstance(payoffs, GroupGame)
    if group:
        A = np.zeros((payoffs.k, payoffs.k))  # a placeholder: the kernel takes k from it
    else:
        A, _ = as_payoff_matrix(payoffs)
    played_under, played = (None, None) if group else played_sanctions(payoffs)
    if sanctions is not None:
        if played is not None:
            raise ValueError("sanctions= is for bare payoffs; this tournament carries its own")
        played = _as_sanctions(sanctions, len(names))
    C = None
    if cooperation is not None:
        if regime is None:
            raise ValueError("cooperation is only used with a regime")
        if group and np.ndim(cooperation) == 1:
            vector = np.asarray(cooperation, dtype=np.float64)
            if vector.shape != (len(names),):
                raise ValueError(
                    f"cooperation must give one rate per strategy of the group game "
                    f"({len(names)}), got {vector.shape[0]}"
                )
            cooperation = np.repeat(vector[:, None], len(names), axis=1)
        C = cooperation_matrix(cooperation, names, "cooperation")
    elif hasattr(payoffs, "cooperation"):
        C = cooperation_matrix(payoffs, names, "payoffs.cooperation")
    elif group and payoffs.played_under is not None and regime is not None:
        # a group game played under a regime knows who contributes (None: not judged, 0)
        vector = np.array([v is True for v in payoffs.contributes], dtype=np.float64)
        C = np.repeat(vector[:, None], len(names), axis=1)
    if regime is None:
        if sanctions is not None:
            raise ValueError("sanctions= needs a regime (the dynamics scale them by its strength)")
        if group:
            return Setup(codes.GROUP, payoffs.kernel_params(), mutation, C, A, A, None, None)
        # a tournament played under a regime: its net payoffs are what its players earned
        return Setup(codes.LINEAR, np.zeros(0), mutation, C, A, A, played, played_under)
    if not isinstance(regime, Regime):
        raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
    if not (np.isscalar(mutation) and float(mutation) == 0.0):
        raise ValueError("give the mutation rate as regime.mutation, not as mutation")
    if C is None:
        where = ("the contribution of each strategy (a vector, e.g. [1, 0, 0] for "
                 "cooperators, defectors, loners)" if group else
                 "the cooperation matrix (a Tournament carries its own)")
        raise ValueError(f"a regime needs {where}: pass cooperation=")
    if regime.funded or regime.chosen:
        what = ("funding='contributions'" if regime.funded else f"rule_by={regime.rule_by!r}")
        if not members or group:
            raise ValueError(
                f"regime {regime.name!r} has {what}, which the replicator and evolve model on "
                "matrix games (the strategies are crossed with {contributes, abstains}, or "
                "the fine level is a macro variable); not here"
            )
        return _member_setup(regime, A, C, played, played_under, names)
    if group and payoffs.played_under is not None:
        return _group_played_setup(regime, payoffs, C)
    if played is None:
        _check_expected(regime, group)
        params = regime_parameters(regime, C)
        if group:
            return Setup(codes.GROUP_INSTITUTIONS,
                         group_regime_array(params, payoffs.kernel_params()), regime.mutation,
                         C, A, A, None, None)
        return Setup(codes.INSTITUTIONS, params, regime.mutation, C, A, A, None, None)
    if played_under is not None:
        _check_played(regime, played_under)
        bare = A - played.total  # the tournament's payoffs are net of its sanctions
        net = A
    else:
        bare = A
        net = A + played.total
    if not regime.coevolves and regime.switch == 0.0:
        # a fixed institution without a switch acts at full strength always: S folds into A
        # (f = A_net x), and the expected fine and reward are off
        params = regime_parameters(regime.replace(fine=0.0, reward=0.0), C)
        return Setup(codes.INSTITUTIONS, params, regime.mutation, C,
                     np.ascontiguousarray(net), bare, played, played_under)
    # the played matrices replace the expected fine and reward (the kernel reads no F, B then)
    mats = (played.total,) if regime.switch == 0.0 else (played.fine, played.reward)
    params = regime_parameters(regime, C, sanctions=mats)
    return Setup(codes.INSTITUTIONS, params, regime.mutation, C, np.ascontiguousarray(bare),
                 bare, played, played_under)


def crossed(matrix: np.ndarray) -> np.ndarray:
    """A k x k matrix over the bare strategies as a 2k x 2k one over the crossed strategies
    (contributors first, then abstainers): ``[[M, M], [M, M]]``, since whether a member pays
    the levy changes nothing in play."""
    return np.ascontiguousarray(np.tile(np.asarray(matrix, dtype=np.float64), (2, 2)))


def crossed_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The crossed strategies' names: ``"<name>+levy"`` (contributes) for each, then each
    bare name (abstains)."""
    return (*(f"{n}+levy" for n in names), *names)


def crossed_state(x: np.ndarray, contributors: float) -> np.ndarray:
    """A state over the bare strategies as one over the crossed strategies, a share
    ``contributors`` of each strategy contributing."""
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([contributors * x, (1.0 - contributors) * x])


def _member_setup(regime: Regime, A: np.ndarray, C: np.ndarray,
                  played: PlayedSanctions | None, played_under: Regime | None,
                  names: tuple[str, ...]) -> Setup:
    """The setup of an institution the members fund or a fine level they choose.

    Sanctions always travel as the two matrices ``S_fine`` and ``S_reward`` (for payoffs
    played without the regime, their expectation ``S_fine = - q F (1 - C)`` (captured:
    ``- q F C``), ``S_reward = q B C``), so that the kernel can scale the fine part by the
    chosen level and the whole by what a funded institution affords. Funded: every matrix
    is crossed (:func:`crossed`) and the levy is taken from the contributors' rows of the
    kernel's matrix.
    """
    if played is None:
        _check_expected(regime, False)
        q = regime.detection
        fine = -q * regime.fine * (C if regime.captured else 1.0 - C)
        played = PlayedSanctions(fine, q * regime.reward * C, np.zeros_like(C))
        bare = A
    elif played_under is not None:
        _check_played(regime, played_under)
        bare = A - played.total
    else:
        bare = A
    macro_names: tuple[str, ...] = ()
    macro0: tuple[float, ...] = ()
    if regime.coevolves:
        macro_names, macro0 = ("institution_strength",), (regime.initial_strength,)
    if regime.chosen:
        lo, hi = regime.fine_bounds
        macro_names = (*macro_names, "fine_level")
        start = regime.fine if regime.initial_fine is None else regime.initial_fine
        macro0 = (*macro0, (start - lo) / (hi - lo))
    if not regime.funded:
        params = regime_parameters(regime, C, sanctions=(played.fine, played.reward))
        return Setup(codes.INSTITUTIONS, params, regime.mutation, C,
                     np.ascontiguousarray(bare), bare, played, played_under, None,
                     macro_names, macro0)
    k = len(names)
    cross = PlayedSanctions(crossed(played.fine), crossed(played.reward),
                            crossed(played.to_institution))
    kernel_A = crossed(bare)
    kernel_A[:k] -= regime.levy  # contributors pay the levy, whoever they meet
    C2 = crossed(C)
    params = regime_parameters(regime, C2, sanctions=(cross.fine, cross.reward),
                               revenue=cross.to_institution)
    return Setup(codes.INSTITUTIONS, params, regime.mutation, C2, kernel_A, crossed(bare),
                 cross, played_under, crossed_names(tuple(names)), macro_names, macro0)


def institution_revenue(regime: Regime, sanctions: PlayedSanctions, C: np.ndarray,
                        X: np.ndarray, strength: np.ndarray | None = None) -> np.ndarray:
    """What reaches the institution per unit time: ``s x^T S_inst x`` at every row of ``X``.

    ``S_inst[i, j]`` is the part of ``i``'s fines against ``j`` that the institution collects
    per turn at full strength (``fine_to="institution"``); ``s`` is its strength (``m`` of a
    co-evolving institution, else 1), and with a switch fines (hence revenue) act only while
    the cooperation level ``x^T C x`` is at least ``theta``.

    Parameters
    ----------
    regime : Regime
        The regime in force.
    sanctions : PlayedSanctions
        The sanctions played inside the matches.
    C : ndarray
        The k x k cooperation matrix.
    X : ndarray
        Frequencies, T x k.
    strength : ndarray, optional
        The institution's strength at each row (default: 1, a fixed institution).

    Returns
    -------
    ndarray
        ``T`` values (0 where fines go elsewhere).
    """
    X = np.asarray(X, dtype=np.float64)
    revenue = np.einsum("ti,ij,tj->t", X, sanctions.to_institution, X)
    if strength is not None:
        revenue = revenue * np.asarray(strength, dtype=np.float64)
    if regime.switch > 0.0:
        level = np.einsum("ti,ij,tj->t", X, C, X)
        revenue = np.where(level >= regime.switch, revenue, 0.0)
    return revenue


def lowest_fitness(regime: Regime | None, payoffs: Any, A: np.ndarray,
                   sanctions: PlayedSanctions | None = None) -> float:
    """A lower bound of every fitness the interactions and the regime can give, at any state.

    The base payoff is at least the smallest payoff (``min A``, or a group game's smallest
    entry); the regime subtracts at most ``detection * fine`` (fines fall on a rate in
    [0, 1], at a strength ``m <= 1``), or with sanctions played inside matches at most
    ``-min(0, min S)`` (``s (S x)_i >= min(0, min S)`` for ``s`` in [0, 1]), and ``cost`` per
    capita; rewards and conformity only add, and the tax mixes payoffs with their mean, which
    keeps the lowest. A cost shared by contributors (``cost_by_contributors``) has no bound: a
    rare contributor's share ``kappa c_i / mean(c)`` grows without limit, so the bound is
    ``-inf``.

    Parameters
    ----------
    regime : Regime or None
        The regime (None: the bare game).
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions.
    A : ndarray
        The k x k payoff matrix of a matrix game (unused for a group game): the bare one when
        ``sanctions`` are given.
    sanctions : PlayedSanctions, optional
        The sanctions played inside matches (:attr:`Setup.sanctions`).

    Returns
    -------
    float
        The bound (``-inf`` when there is none).
    """
    low = payoffs.payoff_range()[0] if isinstance(payoffs, GroupGame) else float(A.min())
    if regime is None:
        return float(low)
    if regime.cost > 0.0 and regime.cost_by_contributors:
        return -np.inf
    # a fine level the members choose reaches the top of its bounds at most; contributors pay
    # the levy, abstainers the second-order fine (a sum bounds either)
    scale = regime.fine_bounds[1] / regime.fine if regime.chosen else 1.0
    members = 0.0
    cost = regime.cost
    if regime.funded:
        members = regime.levy + regime.second_order_detection * regime.second_order
        cost = 0.0
    if sanctions is not None:
        worst = min(0.0, scale * float(sanctions.fine.min()),
                    float((scale * sanctions.fine + sanctions.reward).min()))
        return float(low + worst - cost - members)
    return float(low - (regime.detection * regime.fine * scale + cost + members))


def moran_rule(fitness_map: Any, selection: Any, lowest: float) -> tuple[int, float]:
    """The kernel code of a Moran process with ``fitness_map`` and its validated selection.

    ``"exponential"``: fitness ``exp(w pi)``, ``w >= 0``; a constant added to every payoff
    multiplies every fitness by ``exp(w c)``, which birth probabilities (ratios of fitnesses)
    do not see. ``"linear"``: ``1 - w + w pi`` with ``w`` in [0, 1], refused when the
    smallest payoff ``lowest`` makes it non-positive.

    Parameters
    ----------
    fitness_map : {"exponential", "linear"}
        The map from payoff to fitness.
    selection : float
        The intensity of selection ``w``.
    lowest : float
        The smallest payoff the population can earn.

    Returns
    -------
    tuple
        ``(codes.MORAN_EXP or codes.MORAN, w)``.

    Raises
    ------
    ValueError
        For an unknown map, a negative ``selection`` (above 1 for the linear map), or a linear
        fitness ``1 - w + w * lowest`` that is not positive.
    """
    if fitness_map == "exponential":
        return codes.MORAN_EXP, nonnegative(selection, "selection")
    if fitness_map != "linear":
        raise ValueError(
            f"fitness_map must be one of {', '.join(map(repr, FITNESS_MAPS))}, got "
            f"{fitness_map!r}"
        )
    w = nonnegative(selection, "selection")
    if w > 1.0:
        raise ValueError(
            f"selection must lie in [0, 1] for fitness_map='linear', got {selection!r}"
        )
    low = 1.0 - w + w * lowest
    if low <= 0.0:
        raise ValueError(
            f"selection = {w:g} gives non-positive Moran fitness 1 - w + w * min(payoffs) = "
            f"{low:g} with fitness_map='linear'; lower selection, shift the payoffs or use "
            "fitness_map='exponential'"
        )
    return codes.MORAN, w
