"""The strategy library: named automata with metadata, grouped into collections.

Names are axelrod's display names (``str(player)``) wherever axelrod has the strategy, so
results line up with axelrod's tournaments. ``get`` also accepts axelrod's class name
(``"TitForTat"``) and is case-insensitive.

>>> from evopolity import library
>>> library.get("Tit For Tat").moves("CDDC")
'CCDD'
>>> [s.name for s in library.basic_strategies()][:3]
['Alternator', 'Anti Tit For Tat', 'Bully']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from evopolity.play.games import C, D, Game, PrisonersDilemma, as_game
from evopolity.play.strategies import _axelrod_tables as tables
from evopolity.play.strategies import automaton as _automaton
from evopolity.play.strategies.automaton import Strategy, cycler, from_rule, lookup, memory_zero
from evopolity.validate import nonnegative, probability, real

__all__ = [
    "Entry",
    "names",
    "get",
    "entries",
    "basic_strategies",
    "classic_strategies",
    "memory_one_strategies",
    "zero_determinant_strategies",
    "cycler_strategies",
    "fsm_strategies",
    "lookup_strategies",
    "all_strategies",
    "collection",
    "COLLECTIONS",
    "generous_tit_for_tat",
    "zero_determinant",
    "zd_extortion",
    "zd_generous",
]


# -- parametric families ------------------------------------------------------------------------
def generous_tit_for_tat(q: float | None = None, game: Game | None = None) -> Strategy:
    """Generous Tit For Tat: ``(1, q, 1, q)``, forgiving a defection with probability ``q``.

    The default ``q = min(1 - (T - R)/(R - S), (R - P)/(T - P))`` is the largest forgiveness
    that still keeps defection unprofitable (Nowak & Sigmund 1992; axelrod's ``GTFT``);
    1/3 in the (3, 0, 5, 1) prisoner's dilemma.

    Parameters
    ----------
    q : float, optional
        The probability of forgiving a defection (default: the largest above).
    game : Game, optional
        The game whose payoffs set the default ``q`` (default: the (3, 0, 5, 1) dilemma).

    Returns
    -------
    Strategy
        Named ``"GTFT: q"`` (``q`` to two decimals), as axelrod names it.

    Raises
    ------
    ValueError
        If ``q`` is not a probability (or the game's default is not one).
    TypeError
        If ``q`` is not a number or ``game`` not a ``Game``.
    """
    game = as_game(game)
    if q is None:
        R, S, T, P = game.rstp
        q = min(1 - (T - R) / (R - S), (R - P) / (T - P))
        if not 0.0 <= q <= 1.0:
            raise ValueError(
                f"this game gives a default q = {q:g} outside [0, 1] (it is not a prisoner's "
                "dilemma with 2R > T + S); pass q"
            )
    else:
        q = probability(q, "q")
    return _automaton.memory_one(
        (1, q, 1, q),
        "C",
        name=f"GTFT: {round(q, 2):g}",
        source="Nowak & Sigmund 1992, Nature 355: 250",
    )


def zero_determinant(
    phi: float, s: float, baseline: float, game: Game | None = None, *, name: str | None = None
) -> Strategy:
    """A zero-determinant (linear relation) memory-one strategy.

    With ``l = baseline`` it enforces ``s (pi_X - l) = pi_Y - l`` between its own long-run
    payoff ``pi_X`` and its opponent's ``pi_Y`` whatever the opponent does (Press & Dyson
    2012, PNAS 109: 10409; the parametrisation of Hilbe, Nowak & Sigmund 2013, PNAS 110:
    6913, eq. 14):

    ``p_CC = 1 - phi (1 - s)(R - l)``, ``p_CD = 1 - phi (s (l - S) + (T - l))``,
    ``p_DC = phi ((l - S) + s (T - l))``, ``p_DD = phi (1 - s)(l - P)``.

    Parameters
    ----------
    phi : float
        ``> 0``, the scale of the strategy's response (bounded so that the four entries stay
        probabilities).
    s : float
        The slope of the relation.
    baseline : float
        ``l``, the payoff at which the two players' payoffs meet.
    game : Game, optional
        The game (default: the (3, 0, 5, 1) prisoner's dilemma).
    name : str, optional
        Display name (default ``"ZD: phi, s, l"``).

    Returns
    -------
    Strategy
        The memory-one strategy ``(p_CC, p_CD, p_DC, p_DD)`` above, opening with C.

    Raises
    ------
    ValueError
        When ``(phi, s, baseline)`` do not give probabilities (the relation is not enforceable
        in this game), or ``phi`` is not positive or a parameter not finite.
    TypeError
        For a parameter that is not a number, or a ``game`` that is not a ``Game``.
    """
    R, S, T, P = as_game(game).rstp
    phi = nonnegative(phi, "phi", allow_zero=False)
    s = real(s, "s")
    l = real(baseline, "baseline")  # noqa: E741 - the letter of Press & Dyson and Hilbe et al.
    p = (
        1 - phi * (1 - s) * (R - l),
        1 - phi * (s * (l - S) + (T - l)),
        phi * ((l - S) + s * (T - l)),
        phi * (1 - s) * (l - P),
    )
    tolerance = 1e-12
    if any(not (-tolerance <= x <= 1 + tolerance) for x in p):
        raise ValueError(
            f"zero-determinant parameters phi={phi:g}, s={s:g}, baseline={l:g} give "
            f"probabilities "
            f"{tuple(round(x, 4) for x in p)} outside [0, 1] in this game: choose a smaller phi"
        )
    p = tuple(min(1.0, max(0.0, x)) for x in p)
    return _automaton.memory_one(
        p,
        "C",
        name=name or f"ZD: {phi:g}, {s:g}, {l:g}",
        source="Press & Dyson 2012; Hilbe, Nowak & Sigmund 2013",
    )


def _zd_phi_max(s: float, baseline: float, game: Game) -> float:
    R, S, T, P = game.rstp
    l = baseline  # noqa: E741
    bounds = [
        (1 - s) * (R - l),
        s * (l - S) + (T - l),
        (l - S) + s * (T - l),
        (1 - s) * (l - P),
    ]
    return min(1.0 / b for b in bounds if b > 0)


def zd_extortion(chi: float, phi: float | None = None, game: Game | None = None) -> Strategy:
    """An extortionate ZD strategy: ``pi_X - P = chi (pi_Y - P)`` with ``chi >= 1``.

    Press & Dyson 2012: :func:`zero_determinant` with ``s = 1 / chi`` and baseline ``P``.

    Parameters
    ----------
    chi : float
        The extortion factor, ``>= 1``.
    phi : float, optional
        Default: half its largest feasible value.
    game : Game, optional
        The game (default: the (3, 0, 5, 1) prisoner's dilemma).

    Returns
    -------
    Strategy
        Named ``"ZD-Extort: chi=..."``.

    Raises
    ------
    ValueError
        If ``chi < 1`` or not finite, or ``phi`` is not feasible.
    TypeError
        If ``chi`` or ``phi`` is not a number, or ``game`` not a ``Game``.
    """
    chi = real(chi, "chi")
    if not chi >= 1:
        raise ValueError(f"extortion factor chi must be >= 1, got {chi}")
    game = as_game(game)
    if phi is not None:
        phi = nonnegative(phi, "phi", allow_zero=False)
    s = 1.0 / chi
    phi = _zd_phi_max(s, game.P, game) / 2 if phi is None else phi
    return zero_determinant(phi, s, game.P, game, name=f"ZD-Extort: chi={chi:g}")


def zd_generous(chi: float, phi: float | None = None, game: Game | None = None) -> Strategy:
    """A generous ZD strategy: ``pi_X - R = chi (pi_Y - R)`` with ``chi >= 1``.

    Stewart & Plotkin 2013, PNAS 110: 15348: :func:`zero_determinant` with ``s = 1 / chi``
    and baseline ``R``.

    Parameters
    ----------
    chi : float
        The generosity factor, ``>= 1``.
    phi : float, optional
        Default: half its largest feasible value.
    game : Game, optional
        The game (default: the (3, 0, 5, 1) prisoner's dilemma).

    Returns
    -------
    Strategy
        Named ``"ZD-Generous: chi=..."``.

    Raises
    ------
    ValueError
        If ``chi < 1`` or not finite, or ``phi`` is not feasible.
    TypeError
        If ``chi`` or ``phi`` is not a number, or ``game`` not a ``Game``.
    """
    chi = real(chi, "chi")
    if not chi >= 1:
        raise ValueError(f"generosity factor chi must be >= 1, got {chi}")
    game = as_game(game)
    if phi is not None:
        phi = nonnegative(phi, "phi", allow_zero=False)
    s = 1.0 / chi
    phi = _zd_phi_max(s, game.R, game) / 2 if phi is None else phi
    return zero_determinant(phi, s, game.R, game, name=f"ZD-Generous: chi={chi:g}")


# -- rules that are easier to state on the opponent's recent moves --------------------------------
def _window_rule(
    name: str, width: int, respond: Callable[[tuple[int, ...]], int], source: str
) -> Strategy:
    """A strategy that looks at the opponent's last ``width`` moves (fewer early on)."""
    return from_rule(
        (),
        lambda seen: 1.0 if respond(seen) == C else 0.0,
        lambda seen, mine, theirs: (seen + (theirs,))[-width:],
        name=name,
        memory_depth=width,
        source=source,
    )


def _grudger() -> Strategy:
    return from_rule(
        False,
        lambda grudge: 0.0 if grudge else 1.0,
        lambda grudge, mine, theirs: grudge or theirs == D,
        name="Grudger",
        source="Friedman 1971 (grim trigger)",
    )


def _alternator() -> Strategy:
    # plays C first, then the opposite of its own last (actual) move
    return from_rule(
        C,
        lambda nxt: 1.0 if nxt == C else 0.0,
        lambda nxt, mine, theirs: D if mine == C else C,
        name="Alternator",
        memory_depth=1,
        source="Axelrod 1984",
    )


@dataclass(frozen=True)
class Entry:
    """A library entry: how to build the strategy and what is known about it.

    Parameters
    ----------
    name : str
        The display name (axelrod's ``str(player)`` where axelrod has the strategy).
    build : callable
        Builds the ``Strategy`` (called once, then cached).
    collections : tuple of str
        The collections (:data:`COLLECTIONS`) the strategy belongs to.
    axelrod_class : str, optional
        The axelrod class name, also accepted by :func:`get`.
    source : str
        Where the strategy comes from.
    """

    name: str
    build: Callable[[], Strategy]
    collections: tuple[str, ...]
    axelrod_class: str | None = None
    source: str = ""


def _m1(name, p, initial, source, cls, extra=()):
    return Entry(
        name,
        lambda: _automaton.memory_one(p, initial, name=name, source=source),
        ("memory_one", *extra),
        cls,
        source,
    )


def _zd_entry(name, cls, phi, s, baseline):
    # baseline "P" (ZD-Extort-2) or "R" (ZD-GTFT-2) is the game's, as axelrod sets it
    def build():
        game = PrisonersDilemma()
        base = {"P": game.P, "R": game.R}.get(baseline, baseline)
        return zero_determinant(phi, s, base, game, name=name)

    return Entry(name, build, ("memory_one", "zd"), cls, "Press & Dyson 2012; Hilbe et al. 2013")


def _fsm_entry(name, data):
    return Entry(
        name,
        lambda: _automaton.fsm(
            data["transitions"],
            data["initial_state"],
            data["initial_action"],
            name=name,
            source=data["source"],
        ),
        ("fsm",),
        data["class"],
        data["source"],
    )


def _lookup_entry(name, data):
    return Entry(
        name,
        lambda: lookup(data["table"], data["initial"], name=name, source=data["source"]),
        ("lookup",),
        data["class"],
        data["source"],
    )


def _entries() -> list[Entry]:
    ax = "Axelrod 1984"
    out = [
        Entry("Alternator", _alternator, ("basic",), "Alternator", ax),
        _m1("Anti Tit For Tat", (0, 1, 0, 1), "C", "Hilbe et al. 2013", "AntiTitForTat",
            ("basic",)),
        _m1("Bully", (0, 1, 0, 1), "D", "Nachbar 1992", "Bully", ("basic",)),
        Entry("Cooperator", lambda: memory_zero(1.0, name="Cooperator", source=ax),
              ("basic", "memory_one"), "Cooperator", ax),
        Entry("Cycler DC", lambda: cycler("DC", name="Cycler DC", source="Marc Harper"),
              ("basic", "cycler"), "CyclerDC", "Marc Harper"),
        Entry("Defector", lambda: memory_zero(0.0, name="Defector", source=ax),
              ("basic", "memory_one"), "Defector", ax),
        _m1("Suspicious Tit For Tat", (1, 0, 1, 0), "D", "Hilbe et al. 2013",
            "SuspiciousTitForTat", ("basic",)),
        _m1("Tit For Tat", (1, 0, 1, 0), "C", "Axelrod 1980", "TitForTat", ("basic",)),
        _m1("Win-Shift Lose-Stay: D", (0, 1, 1, 0), "D", "Li 2011", "WinShiftLoseStay",
            ("basic",)),
        _m1("Win-Stay Lose-Shift", (1, 0, 0, 1), "C", "Nowak & Sigmund 1993, Nature 364: 56",
            "WinStayLoseShift", ("basic",)),
        Entry("Grudger", _grudger, ("classic",), "Grudger", "Friedman 1971"),
        Entry("Tit For 2 Tats",
              lambda: _window_rule("Tit For 2 Tats", 2, lambda h: D if h == (D, D) else C, ax),
              ("classic",), "TitFor2Tats", ax),
        Entry("Two Tits For Tat",
              lambda: _window_rule("Two Tits For Tat", 2, lambda h: D if D in h else C, ax),
              ("classic",), "TwoTitsForTat", ax),
        Entry("Hard Tit For Tat",
              lambda: _window_rule("Hard Tit For Tat", 3, lambda h: D if D in h else C,
                                   "PD2017"),
              ("classic",), "HardTitForTat", "PD2017"),
        Entry("Hard Tit For 2 Tats",
              lambda: _window_rule("Hard Tit For 2 Tats", 3,
                                   lambda h: D if any(h[k] == h[k + 1] == D
                                                      for k in range(len(h) - 1)) else C,
                                   "Stewart & Plotkin 2012"),
              ("classic",), "HardTitFor2Tats", "Stewart & Plotkin 2012"),
        Entry("GTFT: 0.33", generous_tit_for_tat, ("memory_one",), "GTFT",
              "Nowak & Sigmund 1992"),
        Entry("Random: 0.5", lambda: memory_zero(0.5, name="Random: 0.5"),
              ("memory_one",), "Random", ""),
        _m1("First by Joss: 0.9", (0.9, 0, 0.9, 0), "C", "Axelrod 1980 (Joss)", "FirstByJoss"),
        _m1("Soft Joss: 0.9", (1, 0.1, 1, 0.1), "C", "Prison's dilemma tournaments",
            "SoftJoss"),
        _m1("Firm But Fair", (1, 0, 1, 2 / 3), "C", "Frean 1994", "FirmButFair"),
        _m1("Stochastic Cooperator", (0.935, 0.229, 0.266, 0.42), "C", "Adami & Hintze 2013",
            "StochasticCooperator"),
        _m1("Stochastic WSLS: 0.05", (0.95, 0.05, 0.05, 0.95), "C", "Marc Harper",
            "StochasticWSLS"),
        _zd_entry("ZD-Extortion: 0.2, 0.1, 1", "ZDExtortion", 0.2, 0.1, 1),
        _zd_entry("ZD-Extort-2: 0.1111111111111111, 0.5", "ZDExtort2", 1 / 9, 0.5, "P"),
        _zd_entry("ZD-Extort-2 v2: 0.125, 0.5, 1", "ZDExtort2v2", 1 / 8, 0.5, 1),
        _zd_entry("ZD-Extort3: 0.11538461538461539, 0.3333333333333333, 1", "ZDExtort3",
                  3 / 26, 1 / 3, 1),
        _zd_entry("ZD-Extort-4: 0.23529411764705882, 0.25, 1", "ZDExtort4", 4 / 17, 0.25, 1),
        _zd_entry("ZD-GEN-2: 0.125, 0.5, 3", "ZDGen2", 1 / 8, 0.5, 3),
        _zd_entry("ZD-GTFT-2: 0.25, 0.5", "ZDGTFT2", 0.25, 0.5, "R"),
        _zd_entry("ZD-Mischief: 0.1, 0.0, 1", "ZDMischief", 0.1, 0.0, 1),
        _zd_entry("ZD-SET-2: 0.25, 0.0, 2", "ZDSet2", 0.25, 0.0, 2),
    ]
    for pattern in ("CCD", "CCCD", "CCCCCD", "CCCDCD", "DDC"):
        name = f"Cycler {pattern}"
        out.append(
            Entry(name, lambda p=pattern, n=name: cycler(p, name=n, source="Marc Harper"),
                  ("cycler",), f"Cycler{pattern}", "Marc Harper")
        )
    for name, data in tables.FSM.items():
        out.append(_fsm_entry(name, data))
    for name, data in tables.LOOKUP.items():
        out.append(_lookup_entry(name, data))
    return out


@cache
def _registry() -> dict[str, Entry]:
    return {e.name: e for e in _entries()}


@cache
def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for e in _registry().values():
        table[e.name.casefold()] = e.name
        if e.axelrod_class:
            table.setdefault(e.axelrod_class.casefold(), e.name)
        short = e.name.split(":")[0].strip().casefold()  # "GTFT: 0.33" -> "gtft"
        table.setdefault(short, e.name)
    return table


@cache
def _built(name: str) -> Strategy:
    return _registry()[name].build()


def names(collection_name: str = "all") -> list[str]:
    """Names of the strategies in a collection, in library order.

    Parameters
    ----------
    collection_name : str
        A key of :data:`COLLECTIONS` (default ``"all"``).

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        For an unknown collection.
    """
    return [s.name for s in collection(collection_name)]


def entries() -> list[Entry]:
    """All library entries, with their metadata.

    Returns
    -------
    list of Entry
        In library order.
    """
    return list(_registry().values())


def get(name: str) -> Strategy:
    """The strategy called ``name``: the one place a single name becomes a strategy.

    Parameters
    ----------
    name : str
        A display name (``"Tit For Tat"``), an axelrod class name (``"TitForTat"``) or a
        display name's part before the colon (``"GTFT"``); any case.

    Returns
    -------
    Strategy

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        For an unknown name, with the closest names.
    """
    if not isinstance(name, str):
        raise TypeError(f"strategy name must be a string, got {name!r}")
    key = _aliases().get(name.strip().casefold())
    if key is None:
        close = [n for n in _registry() if name.strip().casefold()[:4] in n.casefold()][:5]
        hint = f"; did you mean one of {close}?" if close else ""
        raise ValueError(
            f"unknown strategy name {name!r}{hint} (evopolity.library.names() lists all "
            f"{len(_registry())})"
        )
    return _built(key)


COLLECTIONS: dict[str, str] = {
    "basic": "axelrod's basic_strategies",
    "classic": "deterministic classics: Grudger, Tit For 2 Tats, Two Tits For Tat, Hard TFT, ...",
    "memory_one": "memory-one (and memory-zero) strategies, including ZD strategies",
    "zd": "zero-determinant strategies of axelrod",
    "cycler": "cyclers",
    "fsm": "axelrod's finite-state machines",
    "lookup": "axelrod's lookup tables (LookerUp and Gambler)",
    "all": "every strategy in the library",
}


def collection(collection_name: str) -> list[Strategy]:
    """The strategies of a named collection.

    Parameters
    ----------
    collection_name : str
        A key of :data:`COLLECTIONS`: ``"basic"``, ``"classic"``, ``"memory_one"``,
        ``"zd"``, ``"cycler"``, ``"fsm"``, ``"lookup"`` or ``"all"``.

    Returns
    -------
    list of Strategy
        In library order.

    Raises
    ------
    ValueError
        For an unknown collection.
    TypeError
        If ``collection_name`` is not a string.
    """
    if not isinstance(collection_name, str):
        raise TypeError(
            f"collection_name must be a string, one of {sorted(COLLECTIONS)}; got "
            f"{collection_name!r}"
        )
    if collection_name not in COLLECTIONS:
        raise ValueError(
            f"unknown collection {collection_name!r}; choose one of {sorted(COLLECTIONS)}"
        )
    return [
        _built(e.name)
        for e in _registry().values()
        if collection_name == "all" or collection_name in e.collections
    ]


def basic_strategies() -> list[Strategy]:
    """axelrod's ``basic_strategies``, same names, same order (the collection ``"basic"``).

    Returns
    -------
    list of Strategy
        Alternator, Anti Tit For Tat, Bully, Cooperator, Cycler DC, Defector, Suspicious Tit
        For Tat, Tit For Tat, Win-Shift Lose-Stay: D, Win-Stay Lose-Shift.
    """
    return collection("basic")


def classic_strategies() -> list[Strategy]:
    """Deterministic classics beyond the basic set (the collection ``"classic"``).

    Returns
    -------
    list of Strategy
        Grudger, Tit For 2 Tats, Two Tits For Tat, Hard Tit For Tat, Hard Tit For 2 Tats.
    """
    return collection("classic")


def memory_one_strategies() -> list[Strategy]:
    """Memory-one and memory-zero strategies, ZD strategies included (``"memory_one"``).

    Returns
    -------
    list of Strategy
        Each a memory-one automaton ``(p_CC, p_CD, p_DC, p_DD)`` (Nowak & Sigmund 1990) or a
        memory-zero one (Cooperator, Defector, Random).
    """
    return collection("memory_one")


def zero_determinant_strategies() -> list[Strategy]:
    """axelrod's zero-determinant strategies, with axelrod's parameters (``"zd"``).

    Returns
    -------
    list of Strategy
        Memory-one strategies enforcing a linear relation between the two players' payoffs
        (Press & Dyson 2012; parametrised as in Hilbe, Nowak & Sigmund 2013).
    """
    return collection("zd")


def cycler_strategies() -> list[Strategy]:
    """Strategies that repeat a fixed pattern of moves (the collection ``"cycler"``).

    Returns
    -------
    list of Strategy
        Cycler DC, Cycler CCD, Cycler CCCD, Cycler CCCCCD, Cycler CCCDCD, Cycler DDC.
    """
    return collection("cycler")


def fsm_strategies() -> list[Strategy]:
    """axelrod's finite-state machines (Ashlock's, the evolved FSMs, TF1-TF3, ...; ``"fsm"``).

    Returns
    -------
    list of Strategy
        The machines in Moore form (:func:`evopolity.play.strategies.automaton.fsm`).
    """
    return collection("fsm")


def lookup_strategies() -> list[Strategy]:
    """axelrod's lookup-table strategies, LookerUp and Gambler families (``"lookup"``).

    Returns
    -------
    list of Strategy
        The tables as automata (:func:`evopolity.play.strategies.automaton.lookup`).
    """
    return collection("lookup")


def all_strategies() -> list[Strategy]:
    """Every strategy of the library, in library order (the collection ``"all"``).

    Returns
    -------
    list of Strategy
    """
    return collection("all")
