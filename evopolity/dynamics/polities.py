r"""Polities: many societies under their own rules that split, migrate, copy each other's
institutions and collapse, in a changing world.

The model is Traulsen & Nowak (2006), "Evolution of cooperation by multilevel selection",
PNAS 103: 10952, extended with migration of offspring (their extension), institutional
imitation between polities, collapse and a changing game. The event scheme, step by step, is
in :mod:`evopolity.kernels.polity` and :func:`polities`; docs/polities.md derives the theory
the tests check (the well-mixed limit, neutral fixation ``1 / (n m)``, Traulsen & Nowak's
condition ``b / c > 1 + n / (m - 2)``, the replicator of regimes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.environments import Constant, Environment, TemptationWalk
from evopolity.dynamics.fitness import crossed, crossed_names, played_sanctions, regime_setup
from evopolity.dynamics.trajectory import hill_numbers
from evopolity.institutions.regime import Regime, regime_parameters
from evopolity.kernels import codes
from evopolity.kernels import polity as _pk
from evopolity.kernels.rng import packed_seed
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    as_payoff_matrix,
    check_magnitude,
    check_size,
    integer,
    nonnegative,
    probability,
    real,
    seed_sequence,
)

__all__ = ["Collapse", "PolityRun", "multilevel_fixation", "polities"]

# the most (recorded rows x polities) one run keeps
MAX_RECORDED = 20_000_000
_LARGEST = 1e300
# multilevel_fixation runs on numba's threads from this many runs x n x m members
PARALLEL_WORK = 200_000


@dataclass(frozen=True)
class Collapse:
    """A polity whose mean payoff stays below ``threshold`` for ``duration`` generations
    collapses: it dies and is refounded as a copy of a uniformly chosen other polity.

    Parameters
    ----------
    threshold : float
        The subsistence level of a polity's mean payoff (after its regime).
    duration : int
        Generations (elementary steps) below it before the polity collapses (>= 1).

    Raises
    ------
    ValueError
        For a duration below 1 or a threshold that is not finite.
    """

    threshold: float
    duration: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", real(self.threshold, "collapse.threshold"))
        object.__setattr__(self, "duration", integer(self.duration, "collapse.duration", 1))


def _regime_labels(regimes: Sequence[Regime | None]) -> tuple[str, ...]:
    raw = ["none" if r is None else r.name for r in regimes]
    out = []
    for i, name in enumerate(raw):
        out.append(name if raw.count(name) == 1 else f"{name}#{i}")
    return tuple(out)


class PolityRun:
    """The record of a :func:`polities` run: frames per polity, per regime, events, survival.

    Built by :func:`polities`; read it through :meth:`frame`, :meth:`regimes`,
    :attr:`events`, :meth:`lifetimes`, :meth:`survival` and :meth:`median_lifetime`.

    Parameters
    ----------
    strategies : tuple of str
        The strategies' names.
    regime_names : tuple of str
        The regimes' labels (``Regime.name``, numbered when two share one; ``"none"``).
    generations : ndarray
        The recorded generations.
    counts : ndarray
        (rows, m, k) member counts per slot.
    ids, regime, strength, mean_payoff : ndarray
        (rows, m) polity id, regime index, institution strength and mean payoff per slot.
    events : DataFrame
        The event log (:attr:`events`).
    cooperation : ndarray or None
        The k x k cooperation matrix, when known.
    params : dict
        The run's settings.
    fine_level : ndarray, optional
        (rows, m) the fine level in force per slot (NaN where the regime's fine is not
        chosen), when some regime's members choose it.

    Raises
    ------
    ValueError
        Never for arrays built by :func:`polities`.
    """

    def __init__(
        self,
        strategies: tuple[str, ...],
        regime_names: tuple[str, ...],
        generations: np.ndarray,
        counts: np.ndarray,
        ids: np.ndarray,
        regime: np.ndarray,
        strength: np.ndarray,
        mean_payoff: np.ndarray,
        events: pd.DataFrame,
        cooperation: np.ndarray | None,
        params: dict[str, Any],
        fine_level: np.ndarray | None = None,
    ) -> None:
        self.fine_level = fine_level
        self.strategies = strategies
        self.regime_names = regime_names
        self.generations = generations
        self.counts = counts
        self.ids = ids
        self.regime = regime
        self.strength = strength
        self.mean_payoff = mean_payoff
        self._events = events
        self.cooperation = cooperation
        self.params = params

    def __repr__(self) -> str:
        rows, m, k = self.counts.shape
        return (f"PolityRun({m} polities, {k} strategies, {len(self.regime_names)} regimes, "
                f"{int(self.generations[-1])} generations, {len(self._events)} events)")

    @property
    def events(self) -> pd.DataFrame:
        """The event log, one row per event, in order.

        Columns: ``generation``, ``event`` (``split``, ``extinction``, ``collapse``,
        ``refounding``, ``adoption``, ``environment``), ``polity`` (the polity's id: the
        parent of a split, the one that died, collapsed, was refounded or adopted; -1 for an
        environment change), ``other`` (the daughter of a split; the daughter that took an
        extinct polity's slot; the new polity of a collapse; the polity copied by a
        refounding or an adoption; the new game of an environment change) and ``regime``
        (the regime concerned: of the parent, the dead, the refounded, the one adopted;
        None for an environment change).

        Returns
        -------
        DataFrame
            The events.
        """
        return self._events.copy()

    def frame(self) -> pd.DataFrame:
        """Every polity at every recorded generation, tidy.

        Returns
        -------
        DataFrame
            One row per (generation, slot): ``generation``, ``slot``, ``polity`` (its id),
            ``regime``, ``size``, one frequency column per strategy, ``diversity`` (the
            effective number of strategies among its members, the Hill number of order 1
            ``exp(-sum_i x_i ln x_i)``: 1 when one strategy holds every member, ``k`` when
            all are equally common; :func:`evopolity.analysis.metrics.hill_number`),
            ``mean_payoff`` (after the regime), ``institution_strength`` (a funded
            institution's: what its funds afford), ``fine_level`` (when some regime's members
            choose the fine; NaN under the others) and, when a
            cooperation matrix is known,
            ``cooperation`` (``sum_i x_i (C n - C_ii)_i / (N - 1)``, against the other members).
        """
        rows, m, k = self.counts.shape
        size = self.counts.sum(axis=2)
        data: dict[str, Any] = {
            "generation": np.repeat(self.generations, m),
            "slot": np.tile(np.arange(m), rows),
            "polity": self.ids.ravel(),
            "regime": pd.Categorical.from_codes(self.regime.ravel(),
                                                categories=list(self.regime_names)),
            "size": size.ravel(),
        }
        freq = self.counts / size[:, :, None]
        for i, s in enumerate(self.strategies):
            data[s] = freq[:, :, i].ravel()
        data["diversity"] = hill_numbers(freq.reshape(rows * m, k), 1.0)
        data["mean_payoff"] = self.mean_payoff.ravel()
        data["institution_strength"] = self.strength.ravel()
        if self.fine_level is not None:
            data["fine_level"] = self.fine_level.ravel()
        if self.cooperation is not None:
            C = self.cooperation
            n = self.counts.astype(np.float64)
            sc = n @ C.T - np.diag(C)[None, None, :]
            coop = (n * sc).sum(axis=2) / np.maximum(size * (size - 1.0), 1.0)
            data["cooperation"] = coop.ravel()
        return pd.DataFrame(data)

    def regimes(self) -> pd.DataFrame:
        """Each regime at every recorded generation: how many polities hold it, and how they
        fare.

        Returns
        -------
        DataFrame
            One row per (generation, regime): ``generation``, ``regime``, ``polities``,
            ``share`` (of the ``m`` polities), ``members``, and the means over its polities
            of ``mean_payoff``, ``diversity`` and (when known) ``cooperation`` (NaN when none
            holds it).
        """
        f = self.frame()
        m = self.counts.shape[1]
        agg: dict[str, Any] = {"polities": ("slot", "size"), "members": ("size", "sum"),
                               "mean_payoff": ("mean_payoff", "mean"),
                               "diversity": ("diversity", "mean")}
        if "cooperation" in f:
            agg["cooperation"] = ("cooperation", "mean")
        out = f.groupby(["generation", "regime"], observed=False).agg(**agg).reset_index()
        out["polities"] = out["polities"].astype(np.int64)
        out.insert(3, "share", out["polities"] / m)
        return out

    def lifetimes(self) -> pd.DataFrame:
        """Spells of polities under a regime: how long each lasted, and how it ended.

        A spell begins when a polity is present at the start, founded by a split or a
        refounding, or adopts a regime; it ends at the polity's extinction or collapse
        (``ended``), or is censored when the polity adopts another regime or the run ends.
        Without institutional imitation a spell is a polity's lifetime.

        Returns
        -------
        DataFrame
            ``polity``, ``regime``, ``start``, ``end``, ``lifetime`` (generations) and
            ``ended`` (bool; False: censored).
        """
        end_of_run = int(self.generations[-1])
        open_: dict[int, tuple[str, int]] = {
            int(p): (self.regime_names[int(r)], 0)
            for p, r in zip(self.ids[0], self.regime[0], strict=True)
        }
        rows: list[tuple[int, str, int, int, bool]] = []
        for g, kind, polity, other, regime in self._events.itertuples(index=False):
            if kind == "split":
                open_[int(other)] = (regime, g)
            elif kind == "refounding":
                open_[int(polity)] = (regime, g)
            elif kind in ("extinction", "collapse"):
                r, s = open_.pop(int(polity))
                rows.append((int(polity), r, s, g, True))
            elif kind == "adoption":
                r, s = open_.pop(int(polity))
                rows.append((int(polity), r, s, g, False))
                open_[int(polity)] = (regime, g)
        for p, (r, s) in open_.items():
            rows.append((p, r, s, end_of_run, False))
        out = pd.DataFrame(rows, columns=["polity", "regime", "start", "end", "ended"])
        out.insert(4, "lifetime", out["end"] - out["start"])
        out["regime"] = pd.Categorical(out["regime"], categories=list(self.regime_names))
        return out.sort_values(["regime", "start", "polity"], kind="stable").reset_index(
            drop=True)

    def survival(self) -> pd.DataFrame:
        r"""Kaplan–Meier survival of the spells (:meth:`lifetimes`) per regime.

        ``S(t) = prod_{t_j <= t} (1 - d_j / r_j)``, ``d_j`` spells ending (extinction or
        collapse) at ``t_j`` and ``r_j`` spells still at risk (lasting at least ``t_j``);
        censored spells leave the risk set after their last time (Kaplan & Meier 1958).

        Returns
        -------
        DataFrame
            One row per (regime, time at which a spell ends or is censored), from time 0:
            ``regime``, ``time``, ``at_risk``, ``ended``, ``censored``, ``survival``.
        """
        life = self.lifetimes()
        frames = []
        for name in self.regime_names:
            sub = life[life["regime"] == name]
            t_all = sub["lifetime"].to_numpy(np.int64)
            ended = sub["ended"].to_numpy(bool)
            times = np.union1d([0], t_all)
            # spells lasting at least t: those not yet ended or censored before t
            at_risk = t_all.size - np.searchsorted(np.sort(t_all), times, side="left")
            d = np.bincount(np.searchsorted(times, t_all[ended]), minlength=times.size)
            c = np.bincount(np.searchsorted(times, t_all[~ended]), minlength=times.size)
            factor = np.where(d > 0, 1.0 - d / np.maximum(at_risk, 1), 1.0)
            frames.append(pd.DataFrame({"regime": name, "time": times, "at_risk": at_risk,
                                        "ended": d, "censored": c,
                                        "survival": np.cumprod(factor)}))
        out = pd.concat(frames, ignore_index=True)
        out["regime"] = pd.Categorical(out["regime"], categories=list(self.regime_names))
        return out

    def median_lifetime(self) -> pd.Series:
        """The Kaplan–Meier median lifetime per regime: the first time survival is at most 1/2.

        Returns
        -------
        Series
            Indexed by regime; NaN where survival stays above 1/2 within the run.
        """
        km = self.survival()
        out = {}
        for name in self.regime_names:
            sub = km[(km["regime"] == name) & (km["survival"] <= 0.5)]
            out[name] = float(sub["time"].iloc[0]) if len(sub) else np.nan
        return pd.Series(out, name="median_lifetime").rename_axis("regime")


def _initial_counts(x0: Any, n: int, m: int, k: int) -> np.ndarray:
    if x0 is None:
        base = np.full(k, n // k, np.int64)
        base[: n % k] += 1
        return np.tile(base, (m, 1))
    try:
        v = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("x0 must be counts (k or m x k) or k frequencies") from None
    if v.shape == (k,) and abs(v.sum() - 1.0) <= 1e-9 and not (
        np.all(v == np.round(v)) and v.sum() >= 2
    ):
        c = v * n
        if not np.allclose(c, np.round(c), rtol=0, atol=1e-6):
            raise ValueError(f"x0 frequencies times n = {n} must be whole numbers, got {c}")
        v = np.round(c)
    if v.shape == (k,):
        v = np.tile(v, (m, 1))
    if v.shape != (m, k):
        raise ValueError(f"x0 must have shape ({k},) or ({m}, {k}), got {v.shape}")
    if not np.isfinite(v).all() or (v < 0).any() or not np.all(v == np.round(v)):
        raise ValueError("x0 must hold non-negative whole counts")
    sizes = v.sum(axis=1)
    if (sizes < 2).any() or (sizes > n).any():
        raise ValueError(f"x0 must give every polity between 2 and n = {n} members, got "
                         f"sizes {sorted(set(sizes.astype(int).tolist()))}")
    return v.astype(np.int64)


def _cross_params(p: np.ndarray, k: int) -> np.ndarray:
    """A regime array on ``k`` bare strategies as one on the ``2k`` crossed ones (every
    matrix after the fields crossed, :func:`evopolity.dynamics.fitness.crossed`): in a run
    where some regime is funded, a contributor under another regime pays nothing and plays
    as its bare strategy."""
    from evopolity.kernels.layout import N_REGIME

    mats = p[N_REGIME:].reshape(-1, k, k)
    return np.concatenate([p[:N_REGIME], *(crossed(M).ravel() for M in mats)])


def _packed_regimes(
    regimes: Sequence[Regime | None], mutation: float, payoffs: Any, cooperation: Any,
    names: tuple[str, ...], played: Sequence[Any] | None = None,
) -> tuple[tuple[np.ndarray, ...], bool]:
    """The regimes' arrays for the kernel, ``((flat, roff, models, mus, coev, m0, u0),
    crossed)``: ``crossed`` when some regime is funded (every regime's matrices are then on
    the crossed strategies); ``u0`` the initial position of a chosen fine level (0 where
    the fine is fixed)."""
    from evopolity.kernels.layout import FINE_HI, FINE_LO, RULE, SANCTIONS

    if played is not None:
        played = list(played)
        if len(played) != len(regimes):
            raise ValueError(f"played must give one entry (a Tournament or None) per regime "
                             f"({len(regimes)}), got {len(played)}")
    group = isinstance(payoffs, GroupGame)
    base_A = None if group else as_payoff_matrix(payoffs)[0]
    if not group and played_sanctions(payoffs)[0] is not None:
        # the kernel reads one payoff matrix for every polity: sanctions played inside the
        # matches of one regime cannot stand for the others' regimes
        raise ValueError(
            "payoffs: polities take interactions played without a regime (each polity's "
            "regime then acts through its expected terms, or through the sanctions of its "
            "own tournament, played=); this tournament was played under one"
        )
    setups = []
    for i, r in enumerate(regimes):
        if r is not None and not isinstance(r, Regime):
            raise TypeError(f"regimes[{i}] must be a Regime or None, got {type(r).__name__}")
        source = payoffs
        if played is not None and played[i] is not None:
            if r is None or group:
                raise ValueError(f"played[{i}]: a tournament played under a regime is for a "
                                 "regime on matrix interactions; pass None here")
            source = played[i]
            if getattr(source, "settings", {}).get("regime") is None:
                raise ValueError(f"played[{i}] must be the interactions played under "
                                 f"regimes[{i}] (ep.tournament(..., regime=r)), got a "
                                 f"{type(source).__name__} played without one")
        try:
            setup = regime_setup(
                r, mutation if r is None else 0.0, source,
                cooperation if r is not None else None, names, members=not group,
            )  # fmt: skip
        except ValueError as exc:
            raise ValueError(f"regimes[{i}]: {exc}") from None
        if source is not payoffs:
            bare = setup.bare[: len(names), : len(names)]
            if not np.allclose(bare, base_A, rtol=1e-9, atol=1e-9):
                raise ValueError(
                    f"played[{i}]: its payoffs without the sanctions differ from payoffs "
                    "(play both tournaments with the same strategies, game, turns, noise and "
                    "seed: sanctions change no move)"
                )
        setups.append(setup)
    crossed_run = any(st.names is not None for st in setups)
    k = len(names)
    params, models, mus, coev, m0, u0 = [], [], [], [], [], []
    for i, (r, setup) in enumerate(zip(regimes, setups, strict=True)):
        model, p, mu = setup.model, setup.params, setup.mutation
        if group:
            # the kernel computes the group's payoffs itself: of the regime's packed array
            # it reads the regime's terms only, as for a matrix game (a game played under
            # the regime holds its fines and rewards, so only the population-level terms act)
            if model == codes.GROUP:
                model, p = codes.LINEAR, np.zeros(0)
            elif model == codes.GROUP_INSTITUTIONS:
                if payoffs.played_under is not None:
                    r = r.replace(fine=0.0, reward=0.0)
                model, p = codes.INSTITUTIONS, regime_parameters(r, setup.C)
        elif (model == codes.INSTITUTIONS and setup.sanctions is not None
              and setup.names is None and p[SANCTIONS] == 0.0):
            # a fixed institution folds its played sanctions into the payoffs it reads; the
            # polities share one payoff matrix, so its sanctions stay in its own array
            p = regime_parameters(r, setup.C, sanctions=(setup.sanctions.total,))
        if model not in (codes.LINEAR, codes.INSTITUTIONS):
            raise ValueError(f"regimes[{i}]: polities take matrix or group games only")
        p = np.asarray(p, dtype=np.float64)
        if crossed_run and model == codes.INSTITUTIONS and setup.names is None:
            p = _cross_params(p, k)
        params.append(p)
        models.append(model)
        mus.append(probability(mu, "mutation" if r is None else f"regimes[{i}].mutation"))
        coev.append(r is not None and r.coevolves)
        m0.append(r.initial_strength if r is not None and r.coevolves else 1.0)
        u = 0.0
        if model == codes.INSTITUTIONS and p[RULE] > 0.0:
            start = r.fine if r.initial_fine is None else r.initial_fine
            u = (start - p[FINE_LO]) / (p[FINE_HI] - p[FINE_LO])
        u0.append(u)
    roff = np.zeros(len(params) + 1, np.int64)
    roff[1:] = np.cumsum([p.size for p in params])
    flat = np.concatenate(params) if params else np.zeros(0)
    return (flat, roff, np.array(models, np.int64), np.array(mus), np.array(coev, np.bool_),
            np.array(m0), np.array(u0)), crossed_run


UPDATES = ("moran", "fermi")


def _games(payoffs: Any, env: Environment) -> tuple[tuple[str, ...], np.ndarray, np.ndarray,
                                                      np.ndarray, float]:  # fmt: skip
    """``(names, games, comps, gpf, largest)``: the k x k matrices of the environment's games
    (zeros for a group game), a group game's co-player compositions and one focal-payoff
    table per game (empty for matrix games), and the largest payoff magnitude."""
    if isinstance(payoffs, GroupGame):
        if isinstance(env, TemptationWalk):
            raise ValueError("environment: a TemptationWalk walks one entry of a payoff "
                             "matrix; with a group game use Scheduled, Periodic or Markov "
                             "between group games")
        for i, g in enumerate(env.games):
            if (not isinstance(g, GroupGame) or g.strategies != payoffs.strategies
                    or g.group_size != payoffs.group_size or g.played_under is not None):
                raise ValueError(
                    f"environment.games[{i}] must be a group game of the strategies "
                    f"{list(payoffs.strategies)} in groups of {payoffs.group_size}, played "
                    "without a regime, like payoffs"
                )
        tables = [payoffs, *env.games]
        k = payoffs.k
        comps = np.ascontiguousarray(payoffs.kernel_tables()[0], dtype=np.int64)
        gpf = np.ascontiguousarray(np.stack([g.kernel_tables()[1] for g in tables]))
        largest = max(abs(v) for g in tables for v in g.payoff_range())
        return payoffs.strategies, np.zeros((len(tables), k, k)), comps, gpf, float(largest)
    A, names = as_payoff_matrix(payoffs)
    games = np.stack([A, *env.matrices(names, A)])
    k = A.shape[0]
    return (names, games, np.zeros((0, k), np.int64), np.zeros((games.shape[0], 0, k)),
            float(np.abs(games).max()))


def _config(
    games: np.ndarray, C: np.ndarray, packed: tuple[np.ndarray, ...], n: int, w: float,
    migration: float, split: float, imitation: float, beta: float, collapse: Collapse | None,
    fermi: bool, comps: np.ndarray, gpf: np.ndarray,
) -> tuple[Any, ...]:
    """The kernel's configuration tuple (:func:`evopolity.kernels.polity._advance`), every
    element of one type whatever the run, so that the kernel compiles once."""
    from evopolity.kernels.group import log_factorials

    lf = log_factorials(n) if comps.shape[0] else np.zeros(1)
    threshold = collapse.threshold if collapse is not None else 0.0
    duration = collapse.duration if collapse is not None else 0
    return (np.ascontiguousarray(games, dtype=np.float64), np.ascontiguousarray(C, np.float64),
            *packed[:6], np.int64(n), float(w), float(migration), float(split),
            float(imitation), float(beta), collapse is not None, float(threshold),
            np.int64(duration), bool(fermi), comps, gpf, lf, packed[6])  # fmt: skip


def _group_fits(game: GroupGame, sizes: np.ndarray, n: int, split: float) -> None:
    """A polity must hold a whole group: at least ``group_size`` members, now and after any
    split (whose daughter holds ``floor((n + 1) / 2)``)."""
    smallest = int(sizes.min())
    why = "the smallest polity at the start"
    if split > 0 and (n + 1) // 2 < smallest:
        smallest, why = (n + 1) // 2, f"a split's daughter, (n + 1) // 2 with n = {n}"
    if game.group_size > smallest:
        raise ValueError(f"payoffs: groups of {game.group_size} need polities of at least "
                         f"{game.group_size} members; {why} holds {smallest}")


def _update(update: Any, split: float, migration: float) -> bool:
    """Whether ``update`` is the pairwise comparison (validated: no births, so no split or
    migration)."""
    if update not in UPDATES:
        raise ValueError(f"update must be 'moran' or 'fermi', got {update!r}")
    if update == "fermi":
        for name, v, what in (("split", split, "polity splits"),
                              ("migration", migration, "offspring migrates")):
            if v > 0:
                raise ValueError(
                    f"{name}: under update='fermi' members imitate and nobody is born, so "
                    f"polities keep their sizes and no {what}; pass {name}=0, got {v:g}"
                )
    return update == "fermi"


def polities(
    payoffs: Any,
    regimes: Sequence[Regime | None],
    n: int,
    m: int,
    generations: int,
    *,
    selection: float = 1.0,
    mutation: float = 0.0,
    split: float = 0.01,
    migration: float = 0.0,
    imitation: float = 0.0,
    imitation_selection: float = 1.0,
    collapse: Collapse | None = None,
    environment: Environment | None = None,
    assignment: Sequence[int] | None = None,
    cooperation: Any = None,
    x0: Any = None,
    seed: int | np.random.SeedSequence | None = None,
    record_every: int | None = None,
    update: str = "moran",
    played: Sequence[Any] | None = None,
) -> PolityRun:
    r"""Simulate ``m`` polities of at most ``n`` members, each under its own regime.

    The multilevel selection model of Traulsen & Nowak (2006, PNAS 103: 10952), with
    migration, institutional imitation, collapse and a changing game. One generation is one
    elementary step (the glossary's unit, as in :func:`moran`), which is one of:

    * **imitation**, with probability ``imitation``: a uniformly chosen polity ``p`` meets a
      uniformly chosen other ``q`` and, if their regimes differ, adopts ``q``'s with
      probability :math:`1 / (1 + e^{-\beta (P_q - P_p)})`, ``P`` the polities' mean payoffs
      after their regimes, :math:`\beta` = ``imitation_selection`` (its institution starts at
      the new regime's ``initial_strength``);
    * otherwise a **birth**: a parent drawn from the whole metapopulation with probability
      proportional to :math:`e^{w \pi}` (``w`` = ``selection``; :math:`\pi` its payoff against
      the other members of its polity, through its polity's regime, in the current game);
      the offspring mutates to a uniformly chosen other strategy with the parent's regime's
      ``mutation`` (``mutation`` for a polity without a regime) and, with probability
      ``migration``, joins a uniformly chosen other polity instead of its parent's. A
      destination below ``n`` members grows by one. A full one (``n``) splits with
      probability ``split``: its ``n + 1`` members are divided at random into
      :math:`\lceil (n+1)/2 \rceil` who stay and :math:`\lfloor (n+1)/2 \rfloor` who found a
      new polity with its regime, in the slot of a uniformly chosen other polity, which dies;
      otherwise the offspring replaces a uniformly chosen one of its ``n`` members.

    Before each step the environment may switch every polity's game, and a polity whose mean
    payoff has stayed below ``collapse.threshold`` for ``collapse.duration`` steps collapses:
    it is refounded as a copy of a uniformly chosen other polity. A co-evolving institution
    follows its law (:mod:`evopolity.institutions.regime`) in time units of ``M`` steps
    (``M`` the metapopulation's members), integrated exactly between the events that touch
    its polity. With ``m = 1`` and no between-polity events, the process is :func:`moran`'s.

    With ``update="fermi"`` a step that is not an imitation is a **pairwise comparison**
    instead of a birth: a focal member drawn uniformly from the metapopulation copies a
    uniformly chosen other member of its polity with probability
    :math:`1 / (1 + e^{-w (\pi_{model} - \pi_{focal})})` (``w`` = ``selection``), or with its
    regime's mutation switches to a uniformly chosen other strategy
    (:func:`pairwise_comparison`'s process when ``m = 1``). Nobody is born, so polities keep
    their sizes: ``split`` and ``migration`` must be 0.

    A group game (:class:`~evopolity.play.group_games.GroupGame`) as ``payoffs``: a member's
    payoff is its expected payoff in a group whose other ``group_size - 1`` members are drawn
    without replacement from the other members of its polity (hypergeometric sampling, as
    :meth:`GroupGame.finite_payoffs`); every polity must hold at least ``group_size``
    members (a split's daughter holds ``(n + 1) // 2``). A regime then needs the
    contribution of each strategy (``cooperation`` as a vector), through which its terms act.

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The k x k interactions or an n-player game (game 0 of the environment).
    regimes : sequence of Regime or None
        The regimes present at the start (None: the bare game); assigned round-robin to the
        polities unless ``assignment`` says otherwise.
    n : int
        The most members a polity holds (>= 3).
    m : int
        The number of polities (>= 1; >= 2 for splitting, migration, imitation or collapse).
    generations : int
        Elementary steps to run.
    selection : float
        ``w >= 0`` of the fitness :math:`e^{w \pi}` (0: neutral).
    mutation : float
        Mutation probability per birth in polities without a regime (a ``Regime`` carries
        its own ``mutation``).
    split : float
        Probability that a birth into a full polity splits it (Traulsen & Nowak's ``q``).
    migration : float
        Probability that an offspring joins a uniformly chosen other polity.
    imitation : float
        Probability that a step is an institutional imitation instead of a birth.
    imitation_selection : float
        :math:`\beta \ge 0` of the imitation's Fermi probability.
    collapse : Collapse, optional
        The subsistence threshold and duration (None: no collapse).
    environment : Environment, optional
        How the game changes (:mod:`evopolity.dynamics.environments`; default
        ``Constant()``). The cooperation matrix is the same in every game (an automaton's
        moves do not depend on the payoffs). With a group game, its ``games`` are group games
        of the same strategies and group size (no ``TemptationWalk``).
    assignment : sequence of int, optional
        The index in ``regimes`` of each polity's regime (length ``m``).
    cooperation : array_like or DataFrame, optional
        The cooperation matrix (default: ``payoffs.cooperation`` of a Tournament), or for a
        group game each strategy's contribution (a vector); regimes need it, and frames
        report cooperation when it is known.
    x0 : array_like, optional
        Initial members: ``(m, k)`` counts, ``k`` counts for every polity, or ``k``
        frequencies whose ``n x0`` are whole (every polity full). Default: every polity full,
        the ``n`` members split as evenly as possible (the first strategies get one more).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the run.
    record_every : int, optional
        Record every this many generations (default: about 100 rows); the last is always
        recorded.
    update : {"moran", "fermi"}
        Births proportional to :math:`e^{w \pi}` (default) or pairwise comparison inside
        the polities.
    played : sequence of Tournament or None, optional
        Per regime, the same interactions played under it (``ep.tournament(..., seed=s,
        regime=r.in_play())``, None where its expected terms serve): its sanctions act in
        its polities (needed for a ``norm`` or ``fine_to`` the expected terms do not model).
        A funded regime (``funding="contributions"``) crosses every strategy with
        {contributes, abstains} in the whole run; a chosen fine (``rule_by``) adds the
        frame's ``fine_level`` (docs/polities.md).

    Returns
    -------
    PolityRun
        ``.frame()``, ``.regimes()``, ``.events``, ``.lifetimes()``, ``.survival()``,
        ``.median_lifetime()``.

    Raises
    ------
    ValueError
        For a parameter out of range, between-polity events with ``m = 1``, a mutation
        given with only regimes (they carry their own), a regime without a cooperation
        matrix, an initial state outside ``[2, n]`` members per polity, a run too large,
        ``update="fermi"`` with ``split`` or ``migration``, a group game larger than a
        polity, or an environment that does not fit a group game.
    TypeError
        For a regime that is not a ``Regime`` or None.
    """
    n = integer(n, "n", 3)
    m = integer(m, "m", 1)
    generations = integer(generations, "generations", 0)
    w = nonnegative(selection, "selection")
    mu = probability(mutation, "mutation")
    q = probability(split, "split")
    lam = probability(migration, "migration")
    imit = probability(imitation, "imitation")
    beta = nonnegative(imitation_selection, "imitation_selection")
    if collapse is not None and not isinstance(collapse, Collapse):
        raise TypeError(f"collapse must be a Collapse or None, got {type(collapse).__name__}")
    env = Constant() if environment is None else environment
    if not isinstance(env, Environment):
        raise TypeError(f"environment must be an Environment, got {type(env).__name__}")
    fermi = _update(update, q, lam)
    group = isinstance(payoffs, GroupGame)
    names, games, comps, gpf, largest = _games(payoffs, env)
    k = len(names)
    if group and cooperation is not None and np.ndim(cooperation) == 1:
        vector = np.asarray(cooperation, dtype=np.float64)
        if vector.shape != (k,):
            raise ValueError(f"cooperation must give one rate per strategy of the group game "
                             f"({k}), got {vector.shape[0]}")
        cooperation = np.repeat(vector[:, None], k, axis=1)
    if m == 1:
        for name, v in (("split", q), ("migration", lam), ("imitation", imit)):
            if v > 0:
                raise ValueError(f"{name} needs m >= 2 polities, got m = 1 and {name} = {v:g}")
        if collapse is not None:
            raise ValueError("collapse needs m >= 2 polities (a collapsed polity is "
                             "refounded from another)")
    if isinstance(regimes, Regime) or regimes is None:
        raise TypeError("regimes must be a list of Regime (or None) objects")
    regimes = list(regimes)
    if not regimes:
        raise ValueError("regimes must hold at least one regime (None for the bare game)")
    if mu > 0 and all(r is not None for r in regimes):
        raise ValueError("mutation applies to polities without a regime; a Regime carries "
                         "its own (Regime.mutation)")
    packed, cross = _packed_regimes(regimes, mu, payoffs, cooperation, names, played)
    rmu = packed[3]
    if (rmu > 0).any() and k < 2:
        raise ValueError("mutation needs at least 2 strategies")
    C = None
    if cooperation is not None:
        from evopolity.validate import cooperation_matrix

        C = cooperation_matrix(cooperation, names, "cooperation")
    elif hasattr(payoffs, "cooperation"):
        from evopolity.validate import cooperation_matrix

        C = cooperation_matrix(payoffs, names, "payoffs.cooperation")
    elif group and payoffs.played_under is not None:
        # a group game played under a regime knows who contributes (as regime_setup reads it)
        vector = np.array([v is True for v in payoffs.contributes], dtype=np.float64)
        C = np.repeat(vector[:, None], k, axis=1)
    bare_names = names
    if cross:
        # a funded institution: every strategy as a contributor ("<name>+levy") and an
        # abstainer, in every polity (under another regime a contributor pays nothing)
        names = crossed_names(names)
        games = np.stack([crossed(g) for g in games])
        C = crossed(C)
        k = len(names)
    if assignment is None:
        reg0 = np.arange(m, dtype=np.int64) % len(regimes)
    else:
        reg0 = np.array([integer(a, f"assignment[{i}]", 0, len(regimes) - 1)
                         for i, a in enumerate(assignment)], np.int64)
        if reg0.shape != (m,):
            raise ValueError(f"assignment must give one regime per polity ({m}), got "
                             f"{reg0.size}")
    if cross and (x0 is None or np.shape(x0)[-1] == len(bare_names)):
        share = next(r.initial_contributors for r in regimes if r is not None and r.funded)
        bare = _initial_counts(x0, n, m, len(bare_names))
        contrib = np.round(bare * share).astype(np.int64)
        counts0 = np.concatenate([contrib, bare - contrib], axis=1)
    else:
        counts0 = _initial_counts(x0, n, m, k)
    if group:
        _group_fits(payoffs, counts0.sum(axis=1), n, q)
    for i, r in enumerate(regimes):
        if r is not None:
            hi = r.fine_bounds[1] if r.chosen else r.fine
            largest += hi + r.reward + r.cost + r.conformity + r.levy + r.second_order
            if played is not None and played[i] is not None:
                largest += float(np.abs(played_sanctions(played[i])[1].total).max()) * hi / max(
                    r.fine, 1e-300)
    check_magnitude(largest * n * 2.0, _LARGEST, "payoffs (with the regimes' terms) * n * 2",
                    "payoff sums over a polity would overflow a double; scale the payoffs "
                    "down")  # fmt: skip
    if record_every is None:
        record_every = max(1, generations // 100)
    record_every = integer(record_every, "record_every")
    rows = generations // record_every + 2
    check_size(rows * m, MAX_RECORDED, "recorded polity states", "generations / record_every",
               bytes_per_item=8 * (k + 4), fix="lower generations or m, or raise record_every")
    pts = np.arange(0, generations + 1, record_every, dtype=np.int64)
    if pts[-1] != generations:
        pts = np.append(pts, generations)
    ss = seed_sequence(seed)
    env_seed = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1))
    change_at, change_game = env.schedule(generations, env_seed, None if group else games[0])
    Ck = np.zeros((k, k)) if C is None else C
    cfg = _config(games, Ck, packed, n, w, lam, q, imit, beta, collapse, fermi, comps, gpf)
    key = np.uint64(_pk.stream_key(packed_seed(ss), 0, 0))
    rec, log, _ = _pk.run(cfg, counts0, reg0, packed[5][reg0].copy(), key, np.int64(generations),
                          pts, change_at, change_game, True, False)
    labels = _regime_labels(regimes)
    kinds = np.array(_pk.EVENT_KINDS, dtype=object)
    reg_names = np.array([*labels, None], dtype=object)
    events = pd.DataFrame({
        "generation": log[:, _pk.EV_STEP],
        "event": kinds[log[:, _pk.EV_KIND]] if len(log) else np.zeros(0, dtype=object),
        "polity": log[:, _pk.EV_POLITY],
        "other": log[:, _pk.EV_OTHER],
        "regime": reg_names[log[:, _pk.EV_REGIME]] if len(log) else np.zeros(0, dtype=object),
    })  # fmt: skip
    return PolityRun(
        names, labels, pts, rec[0], rec[1], rec[2], rec[3], rec[4], events, C,
        fine_level=rec[5] if any(r is not None and r.chosen for r in regimes) else None,
        params={
            "n": n, "m": m, "generations": generations, "update": update, "selection": w,
            "mutation": mu,
            "split": q, "migration": lam, "imitation": imit, "imitation_selection": beta,
            "collapse": collapse, "environment": env, "regimes": tuple(regimes),
            "seed": ss.entropy,
        },
    )  # fmt: skip


def multilevel_fixation(
    payoffs: Any,
    n: int,
    m: int,
    selection: float,
    runs: int,
    seed: int | np.random.SeedSequence | None = None,
    *,
    split: float = 0.01,
    migration: float = 0.0,
    max_generations: int | None = None,
    update: str = "moran",
) -> pd.Series:
    r"""Fixation probability of one mutant (strategy 0) among residents (strategy 1) in the
    whole metapopulation of :func:`polities`, estimated from ``runs`` runs.

    Every polity starts full (``n`` members of strategy 1) but for one member of strategy 0 in
    polity 0; no regime, no mutation, no imitation, no collapse. A run ends when strategy 0
    holds every member (fixation) or none. Neutral theory (``selection = 0``): every one of the
    ``n m`` initial members is equally likely to be the common ancestor, so the probability is
    exactly ``1 / (n m)`` whatever ``split`` and ``migration``. Traulsen & Nowak (2006): with
    ``A = [[b - c, -c], [b, 0]]`` (cooperators first), under weak selection and rare splitting
    cooperation is favoured (probability above ``1 / (n m)``) when ``b / c > 1 + n / (m - 2)``.

    Runs are independent (run ``r`` draws from its own stream, keyed by ``r``) and run on
    numba's threads: the result is the same whatever the number of threads.

    With ``update="fermi"`` (``m = 1`` only: without births nothing leaves a polity) the
    process is pairwise comparison (:func:`polities`); a group game gives each member its
    hypergeometric expected payoff. With ``m = 1`` both agree with
    :func:`fixation_probability` for the same rule and game.

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The k x k interactions or an n-player game (k >= 2; strategies beyond the first two
        stay absent).
    n : int
        The most members of a polity (>= 3).
    m : int
        The number of polities (>= 1; with ``m = 1``, ``split`` and ``migration`` are unused
        and the process is :func:`moran`'s on ``n`` members).
    selection : float
        ``w >= 0`` of the fitness :math:`e^{w \pi}`.
    runs : int
        Independent runs (>= 1).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the estimate.
    split : float
        Probability that a birth into a full polity splits it (Traulsen & Nowak's ``q``).
    migration : float
        Probability that an offspring joins another polity (``split`` or ``migration`` must
        be above 0 when ``m >= 2``).
    max_generations : int, optional
        The most steps of one run (default ``10^9``); runs not absorbed by then count as
        not fixed and are reported in ``unresolved``.
    update : {"moran", "fermi"}
        Births proportional to :math:`e^{w \pi}` (default) or pairwise comparison.

    Returns
    -------
    Series
        ``fixation`` (the fraction of runs that fixed), ``se`` (its standard error
        ``sqrt(p (1 - p) / runs)``), ``runs``, ``fixed``, ``unresolved``, ``neutral``
        (``1 / (n m)``) and ``mean_generations`` (steps per run).

    Raises
    ------
    ValueError
        For a parameter out of range, fewer than 2 strategies, ``m >= 2`` with both
        ``split`` and ``migration`` 0 (the mutant could never leave its polity) or with
        ``update="fermi"``, or a group game larger than ``n`` (``(n + 1) // 2`` with splits).
    """
    names, games, comps, gpf, largest = _games(payoffs, Constant())
    if len(names) < 2:
        raise ValueError("payoffs must hold at least 2 strategies (mutant and resident)")
    n = integer(n, "n", 3)
    m = integer(m, "m", 1)
    w = nonnegative(selection, "selection")
    runs = integer(runs, "runs", 1)
    q = probability(split, "split")
    lam = probability(migration, "migration")
    if m == 1:
        q, lam = 0.0, 0.0
    elif update == "fermi":
        raise ValueError("update='fermi' keeps polities apart (nobody is born, so nothing "
                         "splits or migrates) and the mutant could not take over: take m = 1")
    elif q == 0.0 and lam == 0.0:
        raise ValueError("split and migration are both 0: with m >= 2 polities no polity could "
                         "ever reach another's members, so the mutant could not take over; "
                         "give split > 0 or migration > 0")
    max_generations = 10**9 if max_generations is None else integer(
        max_generations, "max_generations")
    check_size(runs, 100_000_000, "runs", "runs")
    fermi = _update(update, q, lam)
    check_magnitude(largest * n * 2.0, _LARGEST, "payoffs * n * 2",
                    "payoff sums over a polity would overflow a double; scale the payoffs "
                    "down")  # fmt: skip
    if isinstance(payoffs, GroupGame):
        _group_fits(payoffs, np.array([n]), n, q)
    k = len(names)
    cfg = _config(games, np.zeros((k, k)), _packed_regimes([None], 0.0, payoffs, None, names)[0],
                  n, w, lam, q, 0.0, 0.0, None, fermi, comps, gpf)
    ss = seed_sequence(seed)
    outcome = np.zeros(runs, np.int64)
    steps = np.zeros(runs, np.int64)
    # threads only for enough work: an idle parallel region costs ms on a busy machine
    kernel = _pk.fixation_runs if runs * n * m >= PARALLEL_WORK else _pk.fixation_runs_serial
    kernel(cfg, np.int64(n), m, packed_seed(ss), np.int64(max_generations), runs, outcome,
           steps)
    fixed = int((outcome == 1).sum())
    p = fixed / runs
    return pd.Series({
        "fixation": p,
        "se": float(np.sqrt(p * (1.0 - p) / runs)),
        "runs": runs,
        "fixed": fixed,
        "unresolved": int((outcome == -1).sum()),
        "neutral": 1.0 / (n * m),
        "mean_generations": float(steps.mean()),
    }, name="multilevel_fixation", dtype=object)
