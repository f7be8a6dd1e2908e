r"""Group games: n-player games as tables of group compositions and payoffs.

A game of ``k`` strategies played in groups of ``n`` is, for every composition of a group
(how many of each strategy it holds), the payoff of each strategy present. Everything else
follows from the table:

* in an infinite population at state ``x`` a focal ``i`` meets ``n - 1`` co-players drawn
  from ``x``, so its expected payoff is a multinomial sum
  :math:`f_i(x) = \sum_{o} \binom{n-1}{o} \prod_j x_j^{o_j}\, P_i(o + e_i)`;
* in a finite population of ``N`` with counts ``c`` the co-players are drawn without
  replacement from the ``N - 1`` others, a hypergeometric sum
  :math:`f_i(c) = \sum_{o} \prod_j \binom{c_j - [j = i]}{o_j} / \binom{N-1}{n-1}\,
  P_i(o + e_i)`.

Here ``n`` is always the group size (``group_size``) and ``N`` the population size.

A :class:`GroupGame` feeds :func:`evopolity.replicator` (the kernel model ``GROUP``) and the
finite-population results of :mod:`evopolity.dynamics.analytical` (fixation probabilities and
small-mutation stationary distributions with frequency-dependent group payoffs).

Named games
-----------
* :func:`public_goods`: the linear public goods game, compulsory or optional (loners get
  ``sigma``; Hauert, De Monte, Hofbauer & Sigmund 2002, Science 296: 1129 and J. theor. Biol.
  218: 187).
* :func:`punishment_game`: cooperators, defectors, loners, peer punishers and pool punishers,
  with or without second-order punishment (Sigmund, De Silva, Traulsen & Hauert 2010, Nature
  466: 861).
* :func:`snowdrift`: the n-player snowdrift game with the cost shared among volunteers and a
  threshold (Souza, Pacheco & Santos 2009, J. theor. Biol. 260: 581).
* :func:`stag_hunt`: the n-player stag hunt with a threshold (Pacheco, Santos, Souza & Skyrms
  2009, Proc. R. Soc. B 276: 315).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from evopolity.kernels import analytical as _ak
from evopolity.kernels import group as _gk
from evopolity.kernels.codes import FINE_DESTINATIONS
from evopolity.kernels.layout import group_game_array
from evopolity.validate import (
    as_payoff_matrix,
    boolean,
    check_size,
    integer,
    nonnegative,
    real,
    simplex_point,
)

__all__ = [
    "GroupGame",
    "public_goods",
    "punishment_game",
    "snowdrift",
    "stag_hunt",
    "PUNISHMENT_STRATEGIES",
]

Share = Literal["all", "others"]

PUNISHMENT_STRATEGIES = ("cooperator", "defector", "loner", "peer_punisher", "pool_punisher")

# the fields of a regime that act inside a group (as in play.tournament; the rest act on the
# population), and where a fine goes
_IN_PLAY = ("fine", "detection", "reward", "captured", "switch", "norm", "fine_to")
_STATUS = {1: True, 0: False, -1: None}


#: The most group compositions a group game tabulates (each is one call of its payoff rule).
MAX_COMPOSITIONS = 10_000_000


def _compositions(total: int, k: int) -> np.ndarray:
    S = math.comb(total + k - 1, k - 1)  # the closed form, before anything is allocated
    check_size(S, MAX_COMPOSITIONS, f"group compositions of {k} strategies", "group_size",
               unit="", bytes_per_item=16 * k)
    out = np.empty((S, k), np.int64)
    _ak.enumerate_compositions(total, k, out)
    return out


class GroupGame:
    """An n-player game of ``k`` named strategies, stored as its composition table.

    Parameters
    ----------
    strategies : sequence of str
        The ``k`` strategy names (unique).
    group_size : int
        ``n >= 2``, the number of players in a group.
    table : array_like, shape (S, k)
        ``table[s, i]``: the payoff of one ``i`` in a group of composition
        ``compositions[s]`` (``S = C(n + k - 1, k - 1)`` compositions of ``n`` in the
        lexicographic order of :attr:`compositions`); entries of strategies absent from a
        group are ignored (stored as NaN).
    params : mapping, optional
        The parameters that made the game (kept for the record).

    Most users build games with :meth:`from_function`, :meth:`from_matrix` or the named
    constructors (:func:`public_goods`, :func:`punishment_game`, :func:`snowdrift`,
    :func:`stag_hunt`). :meth:`under` plays a game under a regime's sanctions; the game it
    returns records them in ``played_under`` (the regime), ``contributes`` (who contributes)
    and ``to_institution`` (the expected fines an institution collects per group
    composition); all three are None for a game played without sanctions.
    """

    __slots__ = ("strategies", "group_size", "compositions", "table", "params", "_others",
                 "_coef", "_pf", "played_under", "contributes", "to_institution")

    def __init__(
        self,
        strategies: Sequence[str],
        group_size: int,
        table: Any,
        params: dict[str, Any] | None = None,
    ) -> None:
        names = tuple(str(s) for s in strategies)
        if len(names) == 0:
            raise ValueError("strategies must name at least one strategy")
        if len(set(names)) != len(names):
            raise ValueError(f"strategies must be unique, got {list(names)}")
        n = integer(group_size, "group_size", 2)
        k = len(names)
        comps = _compositions(n, k)
        try:
            T = np.array(table, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("table must be an array of real numbers") from None
        if T.shape != comps.shape:
            raise ValueError(f"table must have shape {comps.shape} (compositions x strategies), "
                             f"got {T.shape}")
        present = comps > 0
        if not np.all(np.isfinite(T[present])):
            raise ValueError("table must be finite wherever the strategy is in the group")
        T = np.where(present, T, np.nan)
        # the focal's view: co-player compositions o of n - 1, pf[o, i] = payoff of i in o + e_i
        others = _compositions(n - 1, k)
        Cb = _ak.binomials(n + k - 1, k - 1)
        pf = np.empty(others.shape)
        for o in range(others.shape[0]):
            for i in range(k):
                g = others[o].copy()
                g[i] += 1
                pf[o, i] = T[_ak.rank(g, n, Cb), i]
        logf = np.array([math.lgamma(v + 1.0) for v in range(n)])
        coef = np.exp(logf[n - 1] - logf[others].sum(axis=1))
        self.strategies = names
        self.group_size = n
        self.compositions = comps
        self.table = T
        self.params = dict(params or {})
        self._others = others
        self._coef = coef
        self._pf = pf
        self.played_under: Any = None
        self.contributes: tuple[bool | None, ...] | None = None
        self.to_institution: np.ndarray | None = None

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_function(
        cls,
        strategies: Sequence[str],
        group_size: int,
        payoff: Callable[[np.ndarray], Sequence[float]],
        params: dict[str, Any] | None = None,
    ) -> GroupGame:
        """A game from ``payoff(counts) -> k payoffs`` evaluated on every composition.

        Parameters
        ----------
        strategies : sequence of str
            The ``k`` strategy names.
        group_size : int
            ``n >= 2``, the number of players in a group.
        payoff : callable
            ``payoff(counts)``: ``counts`` is an int array of length ``k`` summing to
            ``group_size``; returns the ``k`` payoffs of one player of each strategy in that
            group (those of strategies with count 0 are ignored).
        params : dict, optional
            The parameters that made the game (kept for the record).

        Returns
        -------
        GroupGame

        Raises
        ------
        ValueError
            If ``payoff`` does not return ``k`` numbers, or returns non-finite payoffs for a
            strategy present in the group.
        """
        names = tuple(str(s) for s in strategies)
        n = integer(group_size, "group_size", 2)
        comps = _compositions(n, len(names))
        table = np.empty(comps.shape)
        for s, c in enumerate(comps):
            value = np.asarray(payoff(c.copy()), dtype=np.float64)
            if value.shape != (len(names),):
                raise ValueError(
                    f"payoff must return {len(names)} payoffs, got shape {value.shape}"
                )
            table[s] = value
        return cls(names, n, table, params)

    @classmethod
    def from_matrix(cls, payoffs: Any) -> GroupGame:
        """The two-player game of a k x k matrix as a group game with ``group_size = 2``.

        A group of two holds ``i`` and ``j``; ``i`` earns ``A[i, j]``. Expected payoffs are
        then ``A x`` (infinite population) and ``((A c)_i - A[i, i]) / (N - 1)`` (finite, a
        population of ``N``).

        Parameters
        ----------
        payoffs : array_like, DataFrame or object with ``.payoffs``
            The k x k interaction matrix ``A``.

        Returns
        -------
        GroupGame
            Named by the matrix's strategy names.
        """
        A, names = as_payoff_matrix(payoffs)

        def pay(c: np.ndarray) -> np.ndarray:
            out = np.zeros(len(names))
            for i in np.flatnonzero(c):
                c2 = c.copy()
                c2[i] -= 1
                out[i] = A[i, int(np.flatnonzero(c2)[0])]
            return out

        return cls.from_function(names, 2, pay, {"game": "matrix", "payoffs": A})

    # -- views -------------------------------------------------------------------------

    @property
    def k(self) -> int:
        """Number of strategies."""
        return len(self.strategies)

    def __repr__(self) -> str:
        game = self.params.get("game", "group game")
        return (f"GroupGame({game}, group_size={self.group_size}, "
                f"strategies={list(self.strategies)})")

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame.

        Returns
        -------
        DataFrame
            One row per group composition: one count column per strategy, then one payoff
            column per strategy (``payoff_<name>``; NaN where the strategy is absent); for a
            game played under a regime (:meth:`under`), last the column ``to_institution``
            (the expected fines the institution collects from one group).
        """
        frame = pd.DataFrame(self.compositions, columns=list(self.strategies))
        for i, name in enumerate(self.strategies):
            frame[f"payoff_{name}"] = self.table[:, i]
        if self.to_institution is not None:
            frame["to_institution"] = self.to_institution
        return frame

    def subgame(self, strategies: Sequence[str]) -> GroupGame:
        """The game restricted to some of its strategies.

        Parameters
        ----------
        strategies : sequence of str
            Distinct strategy names of this game, in the order the subgame should have.

        Returns
        -------
        GroupGame
            The groups made only of those strategies, with the same payoffs.

        Raises
        ------
        ValueError
            For an unknown, repeated or empty selection.
        TypeError
            For a strategy not given by name.
        """
        keep = [self._index(s) for s in strategies]
        if len(set(keep)) != len(keep) or not keep:
            raise ValueError(f"strategies must be distinct names from {list(self.strategies)}")
        comps = _compositions(self.group_size, len(keep))
        Cb = _ak.binomials(self.group_size + self.k - 1, self.k - 1)
        table = np.empty(comps.shape)
        rows = np.empty(comps.shape[0], np.int64)
        full = np.zeros(self.k, np.int64)
        for s, c in enumerate(comps):
            full[:] = 0
            full[keep] = c
            rows[s] = _ak.rank(full, self.group_size, Cb)
            table[s] = self.table[rows[s], keep]
        game = GroupGame([self.strategies[i] for i in keep], self.group_size, table,
                         {**self.params, "subgame": tuple(self.strategies[i] for i in keep)})
        if self.played_under is not None:  # the sanctions of each group stay in its payoffs
            game.played_under = self.played_under
            game.contributes = tuple(self.contributes[i] for i in keep)
            game.to_institution = self.to_institution[rows]
        return game

    # -- sanctions ---------------------------------------------------------------------

    def under(self, regime: Any, contributes: Sequence[bool | None]) -> GroupGame:
        r"""The game played under a regime's sanctions: a new table, net of fines and rewards.

        Every member whose strategy does not contribute is seen with probability ``q``
        (``regime.detection``) and then fined ``F`` (``regime.fine``); a ``captured``
        institution fines the contributors instead. Every contributor seen gets the reward
        ``B`` (``regime.reward``, paid by the institution). The table holds the expected
        payoffs, in a group of ``n`` with ``T`` members fined (non-contributors, or
        contributors when captured) and ``K`` contributors:

        .. math::

            P^{net}_i = P_i - q F\,[i\ \text{fined}] + q B\,[i\ \text{contributes}]
            + \text{what } i \text{ receives of the fines},

        by the fines' destination (``regime.fine_to``):

        * ``"burned"``: nothing; the fines vanish.
        * ``"victim"``: a fine is shared equally by the group's contributors other than the
          fined (those a non-contribution harmed): each contributor receives ``q F T / K``;
          under a captured institution each receives ``q F`` (the ``K - 1`` other
          contributors' fines, each shared by ``K - 1``). With nobody to receive it
          (``K = 0``; captured: ``K = 1``) the fine is burned.
        * ``"group"``: shared equally by all ``n`` members, the fined included: each receives
          ``q F T / n``.
        * ``"institution"``: collected; the expected amount per group, ``q F T``, is in
          :attr:`to_institution` (one value per composition, the ``to_institution`` column
          of :meth:`frame`).

        In the linear public goods game (``c``, ``r``, groups of ``n``) contributing is
        dominant when ``q F > c (1 - r/n)`` (burned, victim, institution) or
        ``q F (1 - 1/n) > c (1 - r/n)`` (shared in the group), with ``q B`` added to the left
        with rewards (docs/group_games.md derives them).

        The dynamics take the returned game with the population-level part of the same
        regime (tax, cost, conformity, mutation): ``replicator(game, regime=regime)``
        applies no fine or reward again, and refuses a regime whose in-play fields differ.

        Parameters
        ----------
        regime : Regime
            The regime; only its in-play fields are read (``fine``, ``detection``,
            ``reward``, ``captured``, ``switch``, ``norm``, ``fine_to``).
        contributes : sequence of bool or None
            One entry per strategy: True if it contributes, False if not (it is fined), None
            if it is not judged and neither fined nor a victim (e.g. loners who stay out).

        Returns
        -------
        GroupGame
            The same strategies and group size, payoffs net of the expected sanctions, with
            ``played_under`` (the regime), ``contributes`` and ``to_institution`` set.

        Raises
        ------
        TypeError
            For a regime without the in-play fields, or ``contributes`` that is not a
            sequence.
        ValueError
            For ``contributes`` of the wrong length or with other values; a game already
            played under a regime (its sanctions would count twice); ``regime.switch > 0``
            (it acts on the population's cooperation level, which a group does not have);
            ``norm="unjustified"`` (it excuses a defection answering the opponent's defection
            in the previous round, and a one-shot group game has no previous round); an
            unknown ``fine_to``.
        """
        missing = [name for name in _IN_PLAY if not hasattr(regime, name)]
        if missing:
            raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
        if self.played_under is not None:
            raise ValueError(
                "this game was already played under a regime (played_under = "
                f"{getattr(self.played_under, 'name', self.played_under)!r}); its payoffs hold "
                "those sanctions, and playing it again would count them twice: call under() "
                "on the bare game"
            )
        status = self._contributes(contributes)
        if regime.switch > 0.0:
            raise ValueError(
                f"regime.switch = {regime.switch} acts on the population's cooperation level, "
                "which a group does not have: play the regime with switch=0"
            )
        if regime.norm == "unjustified":
            raise ValueError(
                "regime.norm = 'unjustified' excuses a defection that answers the opponent's "
                "defection in the previous round; a one-shot group game has no previous round "
                "to judge, so only norm='any' applies to group games"
            )
        if regime.norm != "any":
            raise ValueError(f"regime.norm must be 'any' for a group game, got {regime.norm!r}")
        if regime.fine_to not in FINE_DESTINATIONS:
            raise ValueError(
                f"regime.fine_to must be one of {FINE_DESTINATIONS}, got {regime.fine_to!r}"
            )
        q = float(regime.detection)
        fine = q * float(regime.fine)  # expected fine on a member fined when seen
        reward = q * float(regime.reward)
        captured = bool(regime.captured)
        n = self.group_size
        contrib = status == 1
        fined = contrib if captured else status == 0
        table = self.table.copy()
        collected = np.zeros(self.compositions.shape[0])
        for s, g in enumerate(self.compositions):
            T = float(g[fined].sum())  # members fined
            K = float(g[contrib].sum())  # contributors
            delta = np.where(contrib, reward, 0.0) - np.where(fined, fine, 0.0)
            if regime.fine_to == "group":
                delta += fine * T / n
            elif regime.fine_to == "institution":
                collected[s] = fine * T
            elif regime.fine_to == "victim":
                # a fine on j goes to the contributors other than j; every fined member is of
                # one kind (a contributor when captured), so each fine has the same recipients
                recipients = K - (1.0 if captured else 0.0)
                if recipients > 0:
                    fines_of_others = np.where(fined, T - 1.0, T)
                    delta += np.where(contrib, fine * fines_of_others / recipients, 0.0)
            table[s] += delta
        game = GroupGame(self.strategies, n, table, {
            **self.params,
            "regime": {name: getattr(regime, name) for name in _IN_PLAY},
            "contributes": tuple(_STATUS[v] for v in status),
        })
        game.played_under = regime
        game.contributes = tuple(_STATUS[v] for v in status)
        game.to_institution = collected
        return game

    def _contributes(self, contributes: Any) -> np.ndarray:
        """``contributes`` as k codes: 1 contributes, 0 does not, -1 not judged."""
        if isinstance(contributes, str | bytes) or not isinstance(contributes, Iterable):
            raise TypeError(
                f"contributes must be a sequence of {self.k} values (True, False or None), "
                f"got {contributes!r}"
            )
        values = list(contributes)
        if len(values) != self.k:
            raise ValueError(
                f"contributes must give one value per strategy ({self.k}: "
                f"{list(self.strategies)}), got {len(values)}"
            )
        out = np.empty(self.k, np.int64)
        for i, v in enumerate(values):
            if v is None:
                out[i] = -1
            elif isinstance(v, bool | np.bool_) or (isinstance(v, int | float | np.number)
                                                   and v in (0, 1)):
                out[i] = int(bool(v))
            else:
                raise ValueError(
                    f"contributes must hold True, False (or 1, 0) or None, got {v!r} for "
                    f"{self.strategies[i]!r}"
                )
        return out

    def _index(self, which: Any) -> int:
        if isinstance(which, str):
            if which not in self.strategies:
                raise ValueError(
                    f"strategy must be one of {list(self.strategies)}, got {which!r}"
                )
            return self.strategies.index(which)
        raise TypeError(f"strategies must be given by name, got {which!r}")

    # -- expected payoffs ---------------------------------------------------------------

    def expected_payoffs(self, x: Any) -> pd.Series:
        r"""Expected payoff of each strategy in an infinite population at state ``x``.

        The ``n - 1`` co-players are drawn independently from ``x`` (a multinomial sum):

        .. math::

            f_i(x) = \sum_{o_1 + \dots + o_k = n-1} \frac{(n-1)!}{\prod_j o_j!}
            \prod_j x_j^{o_j}\; P_i(o + e_i)

        Parameters
        ----------
        x : array_like, Series or dict
            Frequencies of the ``k`` strategies (by position or by name), summing to 1.

        Returns
        -------
        Series
            ``f_i(x)`` indexed by strategy, named ``payoff``.

        Raises
        ------
        ValueError
            If ``x`` is not a point of the simplex.
        """
        v = simplex_point(x, self.strategies, "x")
        out = np.empty(self.k)
        _gk.group_fitness(v, self.kernel_params(), out)  # the replicator's kernel, compiled once
        return pd.Series(out, index=pd.Index(self.strategies, name="strategy"), name="payoff")

    def finite_payoffs(self, counts: Any) -> pd.Series:
        r"""Expected payoff of each strategy in a finite population with ``counts``.

        The ``n - 1`` co-players are drawn without replacement from the ``N - 1`` others
        (``N = sum(counts) >= n``, the population size):

        .. math::

            f_i(c) = \sum_{o} \frac{\prod_j \binom{c_j - [j = i]}{o_j}}{\binom{N-1}{n-1}}
            P_i(o + e_i)

        Parameters
        ----------
        counts : array_like, Series or dict
            How many individuals play each strategy (by position or by name).

        Returns
        -------
        Series
            ``f_i(c)`` indexed by strategy, named ``payoff``; NaN for a strategy with count 0.

        Raises
        ------
        ValueError
            For counts that are not non-negative integers or sum to less than ``group_size``.
        """
        c = self._counts(counts)
        out = np.empty(self.k)
        _gk.hypergeometric_payoffs(c, self._others, self._pf, out)
        return pd.Series(out, index=pd.Index(self.strategies, name="strategy"), name="payoff")

    def _counts(self, counts: Any) -> np.ndarray:
        if isinstance(counts, pd.Series | dict):
            series = pd.Series(counts)
            unknown = set(map(str, series.index)) - set(self.strategies)
            if unknown:
                raise ValueError(f"counts names unknown strategies {sorted(unknown)}")
            series.index = [str(s) for s in series.index]
            counts = series.reindex(list(self.strategies), fill_value=0).to_numpy()
        c = np.asarray(counts)
        if c.shape != (self.k,) or not np.issubdtype(c.dtype, np.number):
            raise ValueError(f"counts must be {self.k} non-negative integers, got {counts!r}")
        if np.any(c < 0) or np.any(c != np.round(c)):
            raise ValueError(f"counts must be non-negative integers, got {counts!r}")
        c = c.astype(np.int64)
        if c.sum() < self.group_size:
            raise ValueError(
                f"counts must sum to at least group_size = {self.group_size}, got {c.sum()}"
            )
        return c

    # -- kernels -----------------------------------------------------------------------

    def kernel_params(self) -> np.ndarray:
        """The flat float array of the replicator kernel's ``GROUP`` model.

        Returns
        -------
        ndarray
            ``[k, n - 1, K, coef (K), co-player compositions (K * k), pf (K * k)]`` with
            ``K`` the number of compositions of the ``n - 1`` co-players and ``pf[o, i]`` the
            payoff of an ``i`` whose co-players are ``o``.
        """
        # the layout is kernels.layout's: one builder, read back by group_game_tables
        return group_game_array(self.group_size - 1, self._coef, self._others, self._pf)

    def kernel_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """The tables the finite-population kernels read.

        Returns
        -------
        tuple of ndarray
            ``(co-player compositions (K x k, int64), pf (K x k))``: every composition ``o``
            of the ``n - 1`` co-players and the payoff ``pf[o, i]`` of an ``i`` among them.
        """
        return self._others, self._pf

    def payoff_range(self) -> tuple[float, float]:
        """Smallest and largest payoff in the table.

        Returns
        -------
        tuple of float
            ``(min, max)`` over the entries of strategies present in their group.
        """
        return float(np.nanmin(self.table)), float(np.nanmax(self.table))


# -- named games ----------------------------------------------------------------------------


def _share(share: Any) -> str:
    if share not in ("all", "others"):
        raise ValueError(f"share must be 'all' or 'others', got {share!r}")
    return share


def public_goods(
    group_size: int = 5,
    r: float = 3.0,
    c: float = 1.0,
    sigma: float | None = None,
    *,
    share: Share = "all",
) -> GroupGame:
    r"""The linear public goods game, compulsory (``sigma=None``) or optional.

    Cooperators pay ``c`` into a pot that is multiplied by ``r`` and shared; defectors pay
    nothing. In a group with ``S`` participants of whom ``k`` cooperate, with
    ``share="all"`` (Hauert et al. 2002):

    .. math::

        P_D = \frac{r c k}{S}, \qquad P_C = \frac{r c k}{S} - c;

    with ``share="others"`` the pot of each contribution goes to the *other* ``S - 1``
    participants (Hauert et al. 2007; Sigmund et al. 2010):
    :math:`P_D = r c k / (S - 1)`, :math:`P_C = r c (k - 1)/(S - 1) - c`.

    With ``sigma`` the game is optional: loners do not take part and get ``sigma``, and a
    group with fewer than two participants does not play (its participant gets ``sigma``
    too). In an infinite population with frequencies ``x, y, z`` of cooperators, defectors and
    loners this gives, in groups of ``n`` (Hauert, De Monte, Hofbauer & Sigmund 2002,
    J. theor. Biol. 218: 187, who write ``N`` for the group size)

    .. math::

        P_D = \sigma z^{n-1} + r c \frac{x}{1-z}\Big(1 - \frac{1 - z^n}{n(1-z)}\Big),\quad
        P_D - P_C = c\Big(1 + (r-1) z^{n-1} - \frac{r}{n}\frac{1-z^n}{1-z}\Big),\quad
        P_L = \sigma.

    For ``2 < r < n`` and ``0 < sigma < r - 1`` the interior rest point has
    ``x / (x + y) = sigma / (r - 1)``, is surrounded by closed orbits (cycles C -> D -> L ->
    C); for ``r <= 2`` there is no interior rest point and orbits are homoclinic to the loner
    state.

    Parameters
    ----------
    group_size : int
        ``n >= 2``, the number of players in a group.
    r : float
        ``>= 0``, the factor multiplying the pot.
    c : float
        ``>= 0``, a cooperator's contribution.
    sigma : float, optional
        The loners' payoff; ``None`` makes the game compulsory (no loners).
    share : {"all", "others"}
        Whether the pot is shared by all participants or by the contributor's co-players.

    Returns
    -------
    GroupGame
        Strategies ``cooperator``, ``defector`` (and ``loner`` when optional).

    Raises
    ------
    ValueError
        For a parameter out of range, or a ``group_size`` whose compositions (one per way of
        filling a group) number more than 10^7.
    TypeError
        For a parameter of the wrong type.
    """
    n = integer(group_size, "group_size", 2)
    r = nonnegative(r, "r")
    c = nonnegative(c, "c")
    share = _share(share)
    optional = sigma is not None
    s = real(sigma, "sigma") if optional else 0.0
    names = ("cooperator", "defector", "loner") if optional else ("cooperator", "defector")

    def pay(counts: np.ndarray) -> np.ndarray:
        nc, nd = int(counts[0]), int(counts[1])
        S = nc + nd
        out = np.full(len(names), s)
        if S < 2:
            return out
        if share == "all":
            out[1] = r * c * nc / S
            out[0] = out[1] - c
        else:
            out[1] = r * c * nc / (S - 1)
            out[0] = r * c * (nc - 1) / (S - 1) - c
        return out

    game = "optional public goods" if optional else "public goods"
    return GroupGame.from_function(
        names, n, pay, {"game": game, "r": r, "c": c, "sigma": sigma, "share": share}
    )


def punishment_game(
    group_size: int = 5,
    r: float = 3.0,
    c: float = 1.0,
    sigma: float = 1.0,
    *,
    peer_fine: float = 0.7,
    peer_cost: float = 0.7,
    pool_fee: float = 0.7,
    pool_fine: float = 0.7,
    second_order: bool = False,
    strategies: Sequence[str] = PUNISHMENT_STRATEGIES,
    share: Share = "others",
) -> GroupGame:
    r"""Optional public goods with peer and pool punishment (Sigmund et al. 2010, Nature).

    Strategies: ``cooperator`` (contributes ``c``), ``defector`` (does not), ``loner``
    (abstains, gets ``sigma``), ``peer_punisher`` (contributes, then fines every defector in
    the group ``peer_fine`` = beta at a cost ``peer_cost`` = gamma to itself per defector) and
    ``pool_punisher`` (contributes and pays ``pool_fee`` = G into a punishment pool before the
    game; every defector is fined ``pool_fine`` = B per pool punisher in the group).

    In a group with ``S >= 2`` participants, ``k`` contributors, ``n_D`` defectors, ``n_V``
    peer and ``n_W`` pool punishers, on top of the public goods payoff
    (:func:`public_goods`, here with ``share="others"`` as in the paper's Methods, whose
    payoffs use the fraction of contributors among the co-players):

    * defector: :math:`- \beta n_V - B n_W`; peer punisher: :math:`- \gamma n_D`;
      pool punisher: :math:`- G`;
    * ``second_order=True``: pool punishers also fine the second-order free riders, those
      who contribute but not to the pool (cooperators and peer punishers), ``B`` per pool
      punisher; peer punishers fine cooperators ``beta`` each at a cost ``gamma`` each, but
      only when a defector is in the group (only then does a cooperator's failure to punish
      show; the asymmetry the paper stresses: "pool-punishment facilitates the sanctioning of
      second-order free-riders, because these are exposed even if everyone contributes").

    A group with fewer than two participants does not play: everyone gets ``sigma``.

    The defaults are the paper's (group size ``N = 5`` there, ``group_size`` here; ``r = 3,
    c = 1, sigma = 1``) with ``B = G = 0.7`` and ``beta = gamma = 0.7`` (see
    docs/group_games.md for how these were chosen).

    Parameters
    ----------
    group_size : int
        ``n >= 2``, the number of players in a group.
    r, c, sigma : float
        The public goods game's factor, contribution and loners' payoff (:func:`public_goods`).
    peer_fine, peer_cost : float
        ``beta`` and ``gamma``: the fine a peer punisher imposes on each defector and what
        each fine costs it (``>= 0``).
    pool_fee, pool_fine : float
        ``G`` and ``B``: a pool punisher's fee to the pool and the fine per pool punisher on
        each defector (``>= 0``).
    second_order : bool
        Whether second-order free riders are punished too (above).
    strategies : sequence of str
        A subset of :data:`PUNISHMENT_STRATEGIES`, in the order wanted (e.g. without loners
        for the compulsory game).
    share : {"all", "others"}
        How the pot is shared (:func:`public_goods`).

    Returns
    -------
    GroupGame

    Raises
    ------
    ValueError
        For a parameter out of range, an unknown strategy, or a ``group_size`` whose
        compositions number more than 10^7.
    TypeError
        For a parameter of the wrong type (``second_order`` must be a bool).
    """
    n = integer(group_size, "group_size", 2)
    r = nonnegative(r, "r")
    c = nonnegative(c, "c")
    sigma = real(sigma, "sigma")
    beta = nonnegative(peer_fine, "peer_fine")
    gamma = nonnegative(peer_cost, "peer_cost")
    G = nonnegative(pool_fee, "pool_fee")
    B = nonnegative(pool_fine, "pool_fine")
    share = _share(share)
    second = boolean(second_order, "second_order")
    if isinstance(strategies, str | bytes) or not isinstance(strategies, Iterable):
        raise TypeError(
            f"strategies must be a sequence of names from {list(PUNISHMENT_STRATEGIES)}, got "
            f"{strategies!r}"
        )
    strategies = tuple(strategies)
    unknown = [x for x in strategies if x not in PUNISHMENT_STRATEGIES]
    if unknown or not strategies:
        raise ValueError(
            f"strategies must be names from {list(PUNISHMENT_STRATEGIES)}, got "
            f"{list(strategies)}"
        )
    C_, D_, L_, V_, W_ = range(5)

    def pay(counts: np.ndarray) -> np.ndarray:
        nc, nd, _, nv, nw = (int(v) for v in counts)
        S = nc + nd + nv + nw
        out = np.full(5, sigma)
        if S < 2:
            return out
        k = nc + nv + nw
        if share == "all":
            defector = r * c * k / S
            contributor = defector - c
        else:
            defector = r * c * k / (S - 1)
            contributor = r * c * (k - 1) / (S - 1) - c
        out[C_] = contributor
        out[V_] = contributor - gamma * nd
        out[W_] = contributor - G
        out[D_] = defector - beta * nv - B * nw
        if second:
            out[C_] -= B * nw
            out[V_] -= B * nw
            if nd > 0:
                out[C_] -= beta * nv
                out[V_] -= gamma * nc
        return out

    full = GroupGame.from_function(
        PUNISHMENT_STRATEGIES,
        n,
        pay,
        {
            "game": "punishment",
            "r": r,
            "c": c,
            "sigma": sigma,
            "peer_fine": beta,
            "peer_cost": gamma,
            "pool_fee": G,
            "pool_fine": B,
            "second_order": second,
            "share": share,
        },
    )
    strategies = tuple(strategies)
    if strategies == PUNISHMENT_STRATEGIES:
        return full
    return full.subgame(strategies)


def snowdrift(group_size: int = 5, b: float = 2.0, c: float = 1.0, threshold: int = 1
              ) -> GroupGame:
    r"""The n-player snowdrift game (Souza, Pacheco & Santos 2009, J. theor. Biol. 260: 581).

    A task of cost ``c`` yields a benefit ``b`` to every group member if at least
    ``threshold`` = M members volunteer; the volunteers share the cost. With ``k``
    cooperators in the group:

    .. math::

        P_D(k) = b\,[k \ge M], \qquad
        P_C(k) = \begin{cases} b - c/k & k \ge M \\ -c/M & k < M \end{cases}

    (with ``M = 1`` the classic n-player snowdrift / volunteer's game with shared cost, whose
    infinite-population rest point solves
    :math:`b (1-x)^{n-1} = c\,(1 - (1-x)^n) / (n x)`, ``n`` the group size).

    Parameters
    ----------
    group_size : int
        ``n >= 2``, the number of players in a group.
    b : float
        The benefit to every member when the task is done.
    c : float
        ``>= 0``, the cost of the task, shared by the volunteers.
    threshold : int
        ``M`` in ``[1, group_size]``: volunteers needed.

    Returns
    -------
    GroupGame
        Strategies ``cooperator``, ``defector``.

    Raises
    ------
    ValueError
        For a parameter out of range, or a ``group_size`` whose compositions (one per way of
        filling a group) number more than 10^7.
    TypeError
        For a parameter of the wrong type.
    """
    n = integer(group_size, "group_size", 2)
    b = real(b, "b")
    c = nonnegative(c, "c")
    M = integer(threshold, "threshold", 1)
    if M > n:
        raise ValueError(f"threshold must be <= group_size = {n}, got {M}")

    def pay(counts: np.ndarray) -> np.ndarray:
        k = int(counts[0])
        if k >= M:
            return np.array([b - c / k if k > 0 else 0.0, b])
        return np.array([-c / M, 0.0])

    return GroupGame.from_function(
        ("cooperator", "defector"), n, pay,
        {"game": "snowdrift", "b": b, "c": c, "threshold": M},
    )


def stag_hunt(group_size: int = 10, r: float = 4.0, c: float = 1.0, threshold: int = 5
              ) -> GroupGame:
    r"""The n-player stag hunt with a threshold (Pacheco, Santos, Souza & Skyrms 2009, Proc.
    R. Soc. B 276: 315).

    Cooperators pay ``c``; the pot ``r c k`` of ``k`` cooperators is shared by all ``n``
    group members (``n`` the group size) only if ``k >= M`` (``threshold``):

    .. math::

        P_D(k) = \frac{r c k}{n} [k \ge M], \qquad P_C(k) = P_D(k) - c.

    In an infinite population the payoff difference is
    :math:`f_C - f_D = c\big(\frac{r}{n}\big[\sum_{j=M}^{n-1}\binom{n-1}{j}x^j(1-x)^{n-1-j}
    + M\binom{n-1}{M-1}x^{M-1}(1-x)^{n-M}\big] - 1\big)`; for ``r < n`` and ``r`` above a
    critical value it has two interior roots, an unstable ``x_L`` (coordination threshold)
    and a stable ``x_R`` (coexistence).

    Parameters
    ----------
    group_size : int
        ``n >= 2``, the number of players in a group.
    r : float
        ``>= 0``, the factor multiplying the pot.
    c : float
        ``>= 0``, a cooperator's contribution.
    threshold : int
        ``M`` in ``[1, group_size]``: cooperators needed for the pot to pay out.

    Returns
    -------
    GroupGame
        Strategies ``cooperator``, ``defector``.

    Raises
    ------
    ValueError
        For a parameter out of range, or a ``group_size`` whose compositions (one per way of
        filling a group) number more than 10^7.
    TypeError
        For a parameter of the wrong type.
    """
    n = integer(group_size, "group_size", 2)
    r = nonnegative(r, "r")
    c = nonnegative(c, "c")
    M = integer(threshold, "threshold", 1)
    if M > n:
        raise ValueError(f"threshold must be <= group_size = {n}, got {M}")

    def pay(counts: np.ndarray) -> np.ndarray:
        k = int(counts[0])
        d = r * c * k / n if k >= M else 0.0
        return np.array([d - c, d])

    return GroupGame.from_function(
        ("cooperator", "defector"), n, pay,
        {"game": "stag hunt", "r": r, "c": c, "threshold": M},
    )
