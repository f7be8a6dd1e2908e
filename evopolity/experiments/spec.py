"""Experiment specifications: a TOML file describes an experiment once.

Every key is checked before anything runs: an unknown key, a wrong type or a value out of
range is refused with the file, the key path and what is allowed (``SpecError``). So is every
sweep point and every shock, as the tasks will meet them (``sweep."play.noise"[1]: noise must
be a probability in [0, 1], got 1.5``), so that a bad sweep writes nothing. The
built-in default (``evopolity/data/default.toml``) is the regime comparison with shocks.

Layout (every table optional except where noted; see docs/experiments.md)::

    [experiment]  name, seeds (list of ints or a count), tolerance
    [strategies]  collection, names, [[strategies.memory_one]] {name, p, initial},
                  [[strategies.fsm]] {name, transitions, initial_state, initial_action},
                  invaders (names)
    [game]        kind (prisoners_dilemma | snowdrift | stag_hunt | donation | matrix),
                  R, S, T, P | b, c
    [play]        turns, noise, repetitions, method (exact | simulate)
    [dynamics]    t_max, points_per_unit
    [[regimes]]   preset (laissez_faire | communitarian | balanced | carrot_then_stick |
                  captured | none), any Regime field as an override, name
    [[shocks]]    time, kind, value, frequency
    [sweep]       "regime.<field>" | "game.<R|S|T|P|b|c>" | "play.<noise|turns>" =
                  a list, or {start, stop, num}
    [continuation] parameter ("regime.<field>" | "game.<R|S|T|P|b|c>"), values or
                  {start, stop, steps}, x0, t_max, budget, tol
    [ensemble]    starts (uniform | dirichlet | given), count, alpha, given, seed, t_max,
                  budget, lyapunov
"""

from __future__ import annotations

import decimal
import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from evopolity.institutions import regimes
from evopolity.institutions.regime import Regime
from evopolity.institutions.shocks import SHOCK_KINDS, Shock
from evopolity.play import games
from evopolity.play.strategies import automaton, library
from evopolity.play.tournament import resolve_strategies
from evopolity.validate import integer, probability

__all__ = ["SpecError", "Spec", "load_spec", "parse_spec", "default_spec_path", "grid",
           "SWEEP_TARGETS", "ContinuationSpec", "EnsembleSpec", "CONTINUATION_TARGETS"]


class SpecError(ValueError):
    """A bad experiment specification: says the file, the key path and what is allowed."""


#: The most tasks (points x regimes x seeds) a spec may describe: each is a part file on disk
#: and a few hundred bytes of bookkeeping while the sweep runs; more is refused when the spec
#: is read, before anything is built (split such a sweep into several specs).
MAX_TASKS = 1_000_000
#: What one task costs on disk, for the estimate in the refusal: its part file (a one-row
#: Parquet file of about 5 kB; a 4 kB block or two) and its line of the manifest.
PART_BYTES = 8_000


def _join(path: str, key: str) -> str:
    """A key path as TOML writes it: ``play.turns``, ``sweep."play.noise"`` (a key that is not
    bare, such as one holding a dot, is quoted)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        key = json.dumps(key)
    return f"{path}.{key}" if path else key


GAMES = {
    "prisoners_dilemma": (games.PrisonersDilemma, ("R", "S", "T", "P")),
    "snowdrift": (games.Snowdrift, ("R", "S", "T", "P")),
    "stag_hunt": (games.StagHunt, ("R", "S", "T", "P")),
    "matrix": (games.MatrixGame, ("R", "S", "T", "P")),
    "donation": (games.DonationGame, ("b", "c")),
}
PRESETS = {
    "laissez_faire": regimes.laissez_faire,
    "communitarian": regimes.communitarian,
    "balanced": regimes.balanced,
    "carrot_then_stick": regimes.carrot_then_stick,
    "captured": regimes.captured,
    "none": Regime,
}
REGIME_FIELDS = tuple(f.name for f in fields(Regime))
SWEEP_TARGETS = (
    *(f"regime.{f}" for f in REGIME_FIELDS if f not in ("name", "description")),
    "game.R", "game.S", "game.T", "game.P", "game.b", "game.c",
    "play.noise", "play.turns",
)  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """A validated experiment (build with :func:`load_spec`)."""

    name: str
    source: str
    strategies: list
    invaders: list
    game: games.Game
    turns: int
    noise: float
    repetitions: int
    method: str
    t_max: float
    points_per_unit: float
    regimes: list[Regime]
    shocks: list[Shock]
    seeds: list[int]
    tolerance: float
    sweep: dict[str, list] = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)
    polities: PolitiesSpec | None = None
    structure: StructureSpec | None = None
    continuation: ContinuationSpec | None = None
    ensemble: EnsembleSpec | None = None

    @property
    def digest(self) -> str:
        """A hash of the specification's content (a changed spec gets another digest)."""
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def sweep_points(self) -> list[dict[str, Any]]:
        """The product of the sweep axes, in order (one empty point without a sweep)."""
        return [self.sweep_point(i) for i in range(self.n_points)]

    def sweep_point(self, index: int) -> dict[str, Any]:
        """Point ``index`` of :meth:`sweep_points` (the last axis varies fastest), computed
        from the index alone: a large sweep's points are never all built."""
        if not 0 <= index < self.n_points:
            raise IndexError(f"point {index} is outside the sweep's {self.n_points} points")
        point = {}
        for key, values in reversed(self.sweep.items()):
            index, j = divmod(index, len(values))
            point[key] = values[j]
        return dict(reversed(point.items()))

    @property
    def n_points(self) -> int:
        """The number of sweep points: the product of the axes' lengths (1 without a sweep)."""
        return math.prod(len(v) for v in self.sweep.values())

    @property
    def n_tasks(self) -> int:
        """The number of a sweep's tasks: points x regimes x seeds (points x seeds for
        polities, whose regimes share each run)."""
        return self.n_points * self.n_regime_tasks * len(self.seeds)

    @property
    def n_regime_tasks(self) -> int:
        """Tasks per point and seed: one per regime, or one for polities (all regimes at
        once)."""
        return 1 if self.polities is not None else len(self.regimes)


def default_spec_path() -> Path:
    """The built-in default experiment (the regime comparison with shocks).

    Returns
    -------
    Path
        ``evopolity/data/default.toml`` of the installed package.
    """
    return Path(str(resources.files("evopolity") / "data" / "default.toml"))


def load_spec(path: str | Path | None = None) -> Spec:
    """Read and validate a TOML experiment file.

    Parameters
    ----------
    path : str or Path, optional
        The file (default: :func:`default_spec_path`).

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        If the file cannot be read, is not TOML, or is not a valid spec: the message names
        the file, the key path and what is allowed.
    """
    path = default_spec_path() if path is None else Path(path)
    where = str(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(f"{where}: cannot read the spec: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML: {exc}") from None
    return parse_spec(raw, where)


def parse_spec(raw: dict, where: str = "<spec>") -> Spec:
    """Validate a spec already read into a dict (the tables of the TOML layout).

    Parameters
    ----------
    raw : dict
        The spec's tables, e.g. ``{"strategies": {"names": [...]}, "sweep": {...}}``.
    where : str
        What to call it in error messages.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        If a key is unknown or a value has the wrong type or is out of range.
    """
    c = _Checker(where)
    c.keys(raw, "", {"experiment", "strategies", "game", "play", "dynamics", "regimes",
                     "shocks", "sweep", "polities", "structure", "continuation",
                     "ensemble"})
    if "polities" in raw and "structure" in raw:
        raise c.fail("structure", "a spec has [polities] or [structure], not both")
    _analysis_alone(c, raw)
    exp = c.table(raw, "experiment")
    c.keys(exp, "experiment", {"name", "seeds", "tolerance"})
    name = c.string(exp, "experiment.name", default="experiment")
    seeds = _seeds(c, exp.get("seeds", [0]))
    tolerance = c.number(exp, "experiment.tolerance", 0.05, low=0.0)

    strategies, invaders = _strategies(c, c.table(raw, "strategies"))
    game = _game(c, c.table(raw, "game"))
    play = c.table(raw, "play")
    c.keys(play, "play", {"turns", "noise", "repetitions", "method"})
    turns = c.integer(play, "play.turns", 200, low=1)
    noise = c.number(play, "play.noise", 0.01, low=0.0, high=1.0)
    repetitions = c.integer(play, "play.repetitions", 1, low=1)
    method = c.choice(play, "play.method", ("exact", "simulate"), "exact")
    dyn = c.table(raw, "dynamics")
    c.keys(dyn, "dynamics", {"t_max", "points_per_unit"})
    t_max = c.number(dyn, "dynamics.t_max", 300.0, low=0.0, strict=True)
    density = c.number(dyn, "dynamics.points_per_unit", 2.0, low=0.0, strict=True)
    pol = struct = None
    if "polities" in raw:
        pol = _polities(c, c.table(raw, "polities"), game_kind(game))
    if "structure" in raw:
        struct = _structure(c, c.table(raw, "structure"))
    if (pol or struct) and "shocks" in raw:
        section = "polities" if pol else "structure"
        raise c.fail("shocks", f"a [{section}] spec takes no [[shocks]]"
                     + ("; a changing world is polities.environment" if pol else ""))
    if (pol or struct) and invaders:
        raise c.fail("strategies.invaders", "invaders enter by a shock; a "
                     f"[{'polities' if pol else 'structure'}] spec has none (list them in "
                     "strategies.names)")
    if struct is not None and "regimes" not in raw:
        regime_list = [Regime(name="none")]
    else:
        regime_list = _regimes(c, raw.get("regimes"))
    shock_list = _shocks(c, raw.get("shocks"), t_max, regime_list)
    sweep = _sweep(c, c.table(raw, "sweep"), pol, struct)
    _check_size(c, sweep, 1 if pol else len(regime_list), len(seeds))
    _check_points(c, sweep, game, regime_list, shock_list, strategies + invaders)
    if pol is not None:
        _check_polities_points(c, sweep, pol, regime_list)
    if struct is not None:
        _check_structure_points(c, sweep, struct, regime_list)
    cont, ens = _analysis_sections(c, raw, game, regime_list, len(strategies), seeds[0])
    return Spec(
        name=name, source=where, strategies=strategies, invaders=invaders, game=game,
        turns=turns, noise=noise, repetitions=repetitions, method=method, t_max=t_max,
        points_per_unit=density, regimes=regime_list, shocks=shock_list, seeds=seeds,
        tolerance=tolerance, sweep=sweep, raw=raw, polities=pol, structure=struct,
        continuation=cont, ensemble=ens,
    )  # fmt: skip


#: The default of a key that must be given.
REQUIRED: Any = object()


class _Checker:
    """Typed access to a TOML table with errors naming the file and the key path."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, message: str) -> SpecError:
        return SpecError(f"{self.where}: {path}: {message}")

    def keys(self, table: dict, path: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            where = f"[{path}]" if path else "top level"
            raise self.fail(
                _join(path, unknown[0]),
                f"unknown key in {where}; allowed: {', '.join(sorted(allowed))}",
            )

    def table(self, raw: dict, key: str) -> dict:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, got {type(value).__name__}")
        return value

    def get(self, table: dict, path: str, default: Any) -> Any:
        """The value at the last key of ``path``, or ``default`` (:data:`REQUIRED`: refused)."""
        key = path.rsplit(".", 1)[-1]
        if key not in table and default is REQUIRED:
            raise self.fail(path, "required, missing")
        return table.get(key, default)

    def string(self, table: dict, path: str, default: Any = REQUIRED) -> str:
        value = self.get(table, path, default)
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"must be a non-empty string, got {value!r}")
        return value

    def number(self, table: dict, path: str, default: Any, low: float | None = None,
               high: float | None = None, strict: bool = False) -> float:
        value = self.get(table, path, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise self.fail(path, f"must be finite, got {value}")
        if low is not None and (value < low or (strict and value == low)):
            raise self.fail(path, f"must be {'>' if strict else '>='} {low:g}, got {value:g}")
        if high is not None and value > high:
            raise self.fail(path, f"must be <= {high:g}, got {value:g}")
        return value

    def integer(self, table: dict, path: str, default: Any, low: int = 0) -> int:
        value = self.get(table, path, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"must be an integer, got {value!r}")
        if value < low:
            raise self.fail(path, f"must be >= {low}, got {value}")
        return value

    def choice(self, table: dict, path: str, allowed: tuple[str, ...], default: Any) -> str:
        value = self.get(table, path, default)
        if value not in allowed:
            raise self.fail(path, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value


def _seeds(c: _Checker, value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise c.fail("experiment.seeds", f"a count of seeds must be >= 1, got {value}")
        if value > MAX_TASKS:  # refused before the list is built
            raise c.fail("experiment.seeds", f"{value:,} seeds are more than the "
                         f"{MAX_TASKS:,} tasks a spec may describe; {_cost(value)}")
        return list(range(value))
    if isinstance(value, list) and value and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        if len(set(value)) != len(value):
            raise c.fail("experiment.seeds", "seeds must be distinct")
        return list(value)
    raise c.fail("experiment.seeds", f"must be a count or a list of ints >= 0, got {value!r}")


def _strategies(c: _Checker, table: dict) -> tuple[list, list]:
    c.keys(table, "strategies", {"collection", "names", "memory_one", "fsm", "invaders"})
    out: list = []
    if "collection" in table:
        name = table["collection"]
        if not isinstance(name, str) or name not in library.COLLECTIONS:
            raise c.fail("strategies.collection",
                         f"unknown collection {name!r}; one of {', '.join(library.COLLECTIONS)}")
        out.extend(_resolve(c, "strategies.collection", name))
    for key in ("names", "invaders"):
        if key in table and (not isinstance(table[key], list)
                             or not all(isinstance(n, str) for n in table[key])):
            raise c.fail(f"strategies.{key}", "must be a list of strategy names")
    if table.get("names"):
        out.extend(_resolve(c, "strategies.names", table["names"]))
    for i, entry in enumerate(_list_of_tables(c, table, "strategies.memory_one")):
        path = f"strategies.memory_one[{i}]"
        c.keys(entry, path, {"name", "p", "initial"})
        name = c.string(entry, f"{path}.name")
        try:
            out.append(automaton.memory_one(entry.get("p"), entry.get("initial", "C"),
                                            name=name))
        except (TypeError, ValueError) as exc:
            raise c.fail(path, str(exc)) from None
    for i, entry in enumerate(_list_of_tables(c, table, "strategies.fsm")):
        path = f"strategies.fsm[{i}]"
        c.keys(entry, path, {"name", "transitions", "initial_state", "initial_action"})
        name = c.string(entry, f"{path}.name")
        try:
            out.append(automaton.fsm(entry.get("transitions", []), entry.get("initial_state", 1),
                                     entry.get("initial_action", "C"), name=name))
        except (TypeError, ValueError, LookupError) as exc:
            raise c.fail(path, str(exc)) from None
    invaders = []
    if table.get("invaders"):
        invaders = _resolve(c, "strategies.invaders", table["invaders"])
    if not out:
        out = library.all_strategies()
    names = [s.name for s in out + invaders]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise c.fail("strategies", f"strategy names must be distinct; repeated: {repeated}")
    return out, invaders


def _resolve(c: _Checker, path: str, strategies: Any) -> list:
    # the names are checked where every API resolves them; distinctness is checked once,
    # over the whole [strategies] table, in _strategies
    try:
        return resolve_strategies(strategies, distinct=False, name=path)
    except (TypeError, ValueError) as exc:
        raise c.fail(path, str(exc)) from None


def _list_of_tables(c: _Checker, table: dict, path: str) -> list[dict]:
    value = table.get(path.rsplit(".", 1)[-1], [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise c.fail(path, "must be an array of tables ([[...]])")
    return value


def _game(c: _Checker, table: dict) -> games.Game:
    kind = c.choice(table, "game.kind", tuple(GAMES), "prisoners_dilemma")
    cls, params = GAMES[kind]
    c.keys(table, "game", {"kind", *params})
    values = {p: c.number(table, f"game.{p}", 0.0) for p in params if p in table}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise c.fail("game", str(exc)) from None


def _regimes(c: _Checker, value: Any) -> list[Regime]:
    if value is None:
        return regimes.all_presets()
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise c.fail("regimes", "must be a non-empty array of tables ([[regimes]])")
    out = []
    for i, entry in enumerate(value):
        path = f"regimes[{i}]"
        c.keys(entry, path, {"preset", *REGIME_FIELDS})
        preset = entry.get("preset", "none")
        if preset not in PRESETS:
            raise c.fail(f"{path}.preset",
                         f"unknown preset {preset!r}; one of {', '.join(PRESETS)}")
        changes = {k: v for k, v in entry.items() if k != "preset"}
        if preset == "none" and "name" not in changes:
            changes["name"] = f"regime {i}"
        try:
            out.append(PRESETS[preset]().replace(**changes))
        except (TypeError, ValueError) as exc:
            raise c.fail(path, str(exc)) from None
    names = [r.name for r in out]
    if len(set(names)) != len(names):
        raise c.fail("regimes", f"regime names must be distinct, got {names}")
    return out


def _shocks(c: _Checker, value: Any, t_max: float, regime_list: list[Regime]) -> list[Shock]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise c.fail("shocks", "must be an array of tables ([[shocks]])")
    out = []
    for i, entry in enumerate(value):
        path = f"shocks[{i}]"
        c.keys(entry, path, {"time", "kind", "value", "frequency"})
        kind = c.choice(entry, f"{path}.kind", SHOCK_KINDS, REQUIRED)
        time = c.number(entry, f"{path}.time", REQUIRED, low=0.0, strict=True)
        if time >= t_max:
            raise c.fail(f"{path}.time", f"must be < dynamics.t_max = {t_max:g}, got {time:g}")
        val = entry.get("value")
        if kind == "regime":
            if not isinstance(val, str) or val not in PRESETS:
                raise c.fail(f"{path}.value", f"a regime shock names a preset: {list(PRESETS)}")
            val = PRESETS[val]()
        if kind == "collapse" and not all(r.coevolves for r in regime_list):
            raise c.fail(path, "a collapse needs every regime to co-evolve (feedback > 0): "
                         f"{[r.name for r in regime_list if not r.coevolves]} do not")
        try:
            out.append(Shock(time, kind, val, entry.get("frequency", 0.01)))
        except (TypeError, ValueError) as exc:
            raise c.fail(path, str(exc)) from None
    return out


def grid(start: float, stop: float, num: int) -> list[float]:
    """``num`` evenly spaced values from ``start`` to ``stop``, as the decimals they stand for.

    ``numpy.linspace(0, 0.8, 5)`` holds ``0.6000000000000001``, so a frame of the sweep could
    not be filtered with ``== 0.6``. Here each point is computed in decimal arithmetic from
    the numbers as written and rounded once to the nearest float: a grid point that is a short
    decimal (``0.6``) is exactly the float that Python reads for it, and the others (a third)
    are the nearest float to the exact value.

    Parameters
    ----------
    start, stop : float
        The ends, both included (``num == 1``: ``[start]``).
    num : int
        The number of values, >= 1.

    Returns
    -------
    list of float

    Raises
    ------
    ValueError
        If ``num < 1``.

    Examples
    --------
    >>> grid(0.0, 0.8, 5)
    [0.0, 0.2, 0.4, 0.6, 0.8]
    >>> grid(0, 1, 4)
    [0.0, 0.3333333333333333, 0.6666666666666666, 1.0]
    """
    if num < 1:
        raise ValueError(f"num must be >= 1, got {num}")
    # repr gives the shortest decimal that reads back as the same float: what was written
    a, b = decimal.Decimal(repr(float(start))), decimal.Decimal(repr(float(stop)))
    if num == 1:
        return [float(a)]
    with decimal.localcontext(prec=40):
        return [float(a + (b - a) * i / (num - 1)) for i in range(num)]


BOOL_FIELDS = tuple(f.name for f in fields(Regime) if f.type in (bool, "bool"))


# the Regime fields that take one of a few names (norm, fine_to, mutation_model)
STRING_FIELDS = tuple(f.name for f in fields(Regime) if f.type in (str, "str")
                      and f.name not in ("name", "description"))


def _string_axis(c: _Checker, key: str, value: Any) -> list[str]:
    """A sweep axis of a named choice (``regime.norm``, ...): the strings written, each
    checked by the Regime field it sets."""
    field_name = key.split(".", 1)[1]
    if not isinstance(value, list) or not value:
        raise c.fail(f"sweep.{key}", "must be a non-empty list of strings")
    for i, v in enumerate(value):
        if not isinstance(v, str):
            raise c.fail(_axis_path(key, i), f"must be a string, got {v!r}")
        try:
            Regime(**{field_name: v})
        except (TypeError, ValueError) as exc:
            raise c.fail(_axis_path(key, i), str(exc)) from None
    return list(value)


def _axis_path(key: str, index: int | None = None) -> str:
    # the key holds a dot, so it is quoted as TOML writes it: sweep."play.noise"[1]
    return _join("sweep", key) + ("" if index is None else f"[{index}]")


def _cost(n_tasks: int) -> str:
    """What ``n_tasks`` tasks would cost, for a refusal: their part files on disk."""
    size = n_tasks * PART_BYTES
    disk = f"{size / 1e9:,.0f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"
    return (f"one part file per task would take about {disk} on disk; split the sweep into "
            "several specs (fewer seeds, coarser axes)")


def _check_size(c: _Checker, sweep: dict[str, list], n_regimes: int, n_seeds: int) -> None:
    """Refuse a spec of more than :data:`MAX_TASKS` tasks (counted, not built)."""
    n_points = math.prod(len(v) for v in sweep.values())
    n_tasks = n_points * n_regimes * n_seeds
    if n_tasks > MAX_TASKS:
        keys = (["sweep"] if sweep else []) + (["experiment.seeds"] if n_seeds > 1 else [])
        raise c.fail(", ".join(keys) or "regimes",
                     f"{n_tasks:,} tasks ({_count(n_points, 'point')} x "
                     f"{_count(n_regimes, 'regime')} x {_count(n_seeds, 'seed')}) are more "
                     f"than the limit of {MAX_TASKS:,}; {_cost(n_tasks)}")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


#: The sweep targets that take integers (every other number axis is real-valued).
INTEGER_TARGETS = ("play.turns",)


def _sweep(c: _Checker, table: dict, pol: PolitiesSpec | None = None,
           struct: StructureSpec | None = None) -> dict[str, list]:
    """The sweep's axes, each of one type decided here: bool (a boolean Regime field), int
    (an integer parameter: ``play.turns``), or float (every other number: a real parameter's
    integers are converted, so that its column is float whatever the values written)."""
    out: dict[str, list] = {}
    for key, value in table.items():
        path = _axis_path(key)
        targets = (*SWEEP_TARGETS, *(POLITIES_TARGETS if pol else ()),
                   *(STRUCTURE_TARGETS if struct else ()))
        if key not in targets:
            raise c.fail(path, f"cannot sweep {key!r}; sweepable: {', '.join(targets)}")
        boolean = key.split(".", 1)[1] in BOOL_FIELDS
        if key.split(".", 1)[1] in STRING_FIELDS:
            out[key] = _string_axis(c, key, value)
            continue
        if isinstance(value, dict):
            if boolean:
                raise c.fail(path, "a boolean field is swept over a list of true/false")
            c.keys(value, path, {"start", "stop", "num"})
            start = c.number(value, f"{path}.start", REQUIRED)
            stop = c.number(value, f"{path}.stop", REQUIRED)
            num = c.integer(value, f"{path}.num", REQUIRED, low=1)
            if num > MAX_TASKS:  # refused before the grid is built
                raise c.fail(f"{path}.num", f"{num:,} points are more than the {MAX_TASKS:,} "
                             f"tasks a spec may describe; {_cost(num)}")
            values = grid(start, stop, num)
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                if boolean:
                    if not isinstance(v, bool):
                        raise c.fail(_axis_path(key, i), f"must be true or false, got {v!r}")
                elif isinstance(v, bool):
                    raise c.fail(_axis_path(key, i),
                                 f"must be a number, got a boolean ({str(v).lower()})")
                elif not isinstance(v, int | float):
                    raise c.fail(_axis_path(key, i), f"must be a number, got {v!r}")
                elif not math.isfinite(v):
                    raise c.fail(_axis_path(key, i), f"must be finite, got {v}")
            # exactly the values written, of one type per axis (so that every part of a
            # sweep has the same column types): a real parameter's integers become floats,
            # and an integer parameter keeps its integers (a float among them is refused)
            real = not boolean and (key not in _integer_targets()
                                    or any(isinstance(v, float) for v in value))
            values = [float(v) for v in value] if real else list(value)
        else:
            raise c.fail(path, "must be a non-empty list of numbers or {start, stop, num}")
        for i, v in enumerate(values):
            try:
                if key in _integer_targets() and key != "play.turns":
                    if not isinstance(v, int):
                        raise TypeError(f"{key.rsplit('.', 1)[1]} must be an integer, got {v!r}")
                if key == "play.turns":
                    if not isinstance(v, int):
                        raise TypeError(f"turns must be an integer >= 1, got {v!r}")
                    integer(v, "turns")
                elif key == "play.noise":
                    probability(v, "noise")
            except (TypeError, ValueError) as exc:
                raise c.fail(_axis_path(key, i), str(exc)) from None
        out[key] = values
    return out


def _check_points(c: _Checker, sweep: dict[str, list], game: games.Game,
                  regime_list: list[Regime], shock_list: list[Shock], players: list) -> None:
    """Check every sweep point and shock as the tasks will meet them, before anything runs.

    Regime fields are checked one by one (a Regime's fields are independent), each axis value
    once per regime, and play values once per axis (in :func:`_sweep`); the game's axes pair
    by pair, since each of its inequalities relates two of its parameters.
    """
    names = {s.name for s in players}
    for i, shock in enumerate(shock_list):
        if shock.kind == "invasion" and shock.value not in names:
            raise c.fail(f"shocks[{i}].value",
                         f"invading strategy {shock.value!r} is not among the strategies or "
                         "invaders (strategies.names, strategies.invaders, ...)")
    # regimes: each axis value on each regime, as the task applies it
    regime_axes = {k: v for k, v in sweep.items() if k.startswith("regime.")}
    for r in regime_list:
        for key, values in regime_axes.items():
            for j, v in enumerate(values):
                try:
                    r.replace(**{key.split(".", 1)[1]: v})
                except (TypeError, ValueError) as exc:
                    raise c.fail(_axis_path(key, j), f"regime {r.name!r}: {exc}") from None
    # a collapse needs the regime in force at its time to co-evolve, at every point: the
    # base regime at each (feedback, decay) of the sweep, unless a regime shock came before
    in_force = None
    for i, shock in sorted(enumerate(shock_list), key=lambda t: t[1].time):
        if shock.kind == "regime":
            in_force = shock.value
        elif shock.kind == "collapse":
            if in_force is not None:
                if not in_force.coevolves:
                    raise c.fail(f"shocks[{i}]", "a collapse needs the regime in force to "
                                 f"co-evolve; the regime shock before it sets {in_force.name!r}, "
                                 "which does not (feedback = decay = 0)")
                continue
            for r in regime_list:
                for fb in sweep.get("regime.feedback", [r.feedback]):
                    for dc in sweep.get("regime.decay", [r.decay]):
                        if not (fb > 0 or dc > 0):
                            axes = [k for k in ("regime.feedback", "regime.decay") if k in sweep]
                            at = f" at {', '.join(_axis_path(k) for k in axes)} = " \
                                 f"{fb:g}, {dc:g}" if axes else ""
                            raise c.fail(f"shocks[{i}]", "a collapse needs every regime to "
                                         f"co-evolve (feedback > 0 or decay > 0); regime "
                                         f"{r.name!r} does not{at}")
    # the game: every inequality of a game (and of a donation game under a temptation shock)
    # ties two of its parameters, so each pair of game axes is checked over its product, the
    # other game axes at their first value: only real sweep points, and every pair of values
    # that a point can hold
    game_axes = [k for k in sweep if k.startswith("game.")]
    temptations = [(i, s.value) for i, s in enumerate(shock_list) if s.kind == "temptation"]
    pairs = list(itertools.combinations(game_axes, 2)) or [tuple(game_axes)]
    combos = (tuple((k, j[pair.index(k)] if k in pair else 0) for k in game_axes)
              for pair in pairs
              for j in itertools.product(*[range(len(sweep[k])) for k in pair]))
    for combo in combos:
        changes = {k.split(".", 1)[1]: sweep[k][j] for k, j in combo}
        where = ", ".join(_axis_path(k, j) for k, j in combo)
        try:
            g = _game_at(game, changes)
        except (TypeError, ValueError) as exc:
            raise c.fail(where, str(exc)) from None
        for i, t in temptations:
            try:
                g.with_payoffs(T=t)
            except (TypeError, ValueError) as exc:
                at = f" (at {where})" if where else ""
                raise c.fail(f"shocks[{i}].value", f"temptation T={t:g}{at}: {exc}") from None


def _game_at(game: games.Game, changes: dict[str, Any]) -> games.Game:
    # as evopolity.experiments.tasks applies a sweep point to the game
    if not changes:
        return game
    if isinstance(game, games.DonationGame) and set(changes) <= {"b", "c"}:
        return games.DonationGame(changes.get("b", game.b), changes.get("c", game.c))
    return game.with_payoffs(**changes)


# -- polities and structured populations ----------------------------------------------------------


ENVIRONMENTS = ("constant", "scheduled", "periodic", "markov", "temptation_walk")
POLITY_UPDATES = ("moran", "fermi")


@dataclass(frozen=True)
class PolitiesSpec:
    """The ``[polities]`` table: a metapopulation of polities (:func:`evopolity.polities`).

    Every regime of the spec is present at once, assigned round-robin to the ``m`` polities;
    ``environment`` says how the game changes (``games`` are :class:`~evopolity.play.games.
    Game` objects, played by the spec's strategies as game 0 is).
    """

    n: int = 10
    m: int = 20
    generations: int = 20_000
    selection: float = 1.0
    split: float = 0.05
    migration: float = 0.0
    imitation: float = 0.0
    imitation_selection: float = 1.0
    collapse: tuple[float, int] | None = None
    environment: str = "constant"
    rate: float = 0.0
    period: int = 1
    times: tuple[int, ...] = ()
    games: tuple = ()
    record_every: int | None = None
    step: float = 0.0
    low: float = 0.0
    high: float = 0.0
    entry: tuple[int, int] = (1, 0)
    update: str = "moran"

    def replace(self, **changes: Any) -> PolitiesSpec:
        """A copy with some fields changed (``collapse.threshold``, ``environment.rate``...
        written as ``collapse_threshold``, ``rate``).

        Parameters
        ----------
        **changes
            Field values; ``collapse_threshold`` and ``collapse_duration`` change one half
            of ``collapse``.

        Returns
        -------
        PolitiesSpec
        """
        from dataclasses import replace as _replace

        if "collapse_threshold" in changes or "collapse_duration" in changes:
            t, d = self.collapse if self.collapse is not None else (0.0, 1)
            changes["collapse"] = (changes.pop("collapse_threshold", t),
                                   changes.pop("collapse_duration", d))
        return _replace(self, **changes)


#: The sweepable keys of ``[polities]``: the spec's key path -> (field, integer?).
POLITIES_TARGETS = {
    "polities.n": ("n", True), "polities.m": ("m", True),
    "polities.generations": ("generations", True),
    "polities.selection": ("selection", False), "polities.split": ("split", False),
    "polities.migration": ("migration", False), "polities.imitation": ("imitation", False),
    "polities.imitation_selection": ("imitation_selection", False),
    "polities.collapse.threshold": ("collapse_threshold", False),
    "polities.collapse.duration": ("collapse_duration", True),
    "polities.environment.rate": ("rate", False),
    "polities.environment.period": ("period", True),
    "polities.environment.step": ("step", False),
    "polities.environment.low": ("low", False),
    "polities.environment.high": ("high", False),
}  # fmt: skip

GRAPHS = {
    "lattice": ("side", "neighbourhood", "periodic"),
    "ring": ("n", "k"),
    "complete": ("n",),
    "star": ("n",),
    "random_regular": ("n", "d"),
    "erdos_renyi": ("n", "p"),
    "barabasi_albert": ("n", "m"),
    "watts_strogatz": ("n", "k", "p"),
}
UPDATES = ("bd", "db", "imitation", "fermi", "best")


@dataclass(frozen=True)
class StructureSpec:
    """The ``[structure]`` table: the spec's interactions played on a graph
    (:func:`evopolity.structured`), one run per regime and seed."""

    graph: str = "lattice"
    graph_args: tuple[tuple[str, Any], ...] = (("side", 10),)
    update: str = "db"
    generations: int = 10_000
    selection: float = 1.0
    mutation: float = 0.0
    payoff: str = "accumulated"
    record_every: int | None = None
    institution_scope: str = "global"

    def build_graph(self, seed: int | None = 0):
        """The graph (random graphs drawn from ``seed``).

        Parameters
        ----------
        seed : int, optional
            The seed of a random graph (the task's seed).

        Returns
        -------
        Graph
        """
        from evopolity.dynamics import graphs as g

        args = dict(self.graph_args)
        if self.graph in ("random_regular", "erdos_renyi", "barabasi_albert",
                          "watts_strogatz"):
            args["seed"] = seed
        return getattr(g, self.graph)(**args)

    def replace(self, **changes: Any) -> StructureSpec:
        """A copy with some fields (or graph parameters) changed.

        Parameters
        ----------
        **changes
            Field values or graph parameters (``side``, ``k``, ``p``...).

        Returns
        -------
        StructureSpec
        """
        from dataclasses import replace as _replace

        own = {f.name for f in fields(self)}
        args = dict(self.graph_args)
        for key in [k for k in changes if k not in own]:
            args[key] = changes.pop(key)
        return _replace(self, graph_args=tuple(args.items()), **changes)


#: The sweepable keys of ``[structure]``: the spec's key path -> (field, integer?).
STRUCTURE_TARGETS = {
    "structure.selection": ("selection", False), "structure.mutation": ("mutation", False),
    "structure.generations": ("generations", True), "structure.side": ("side", True),
    "structure.n": ("n", True), "structure.k": ("k", True), "structure.d": ("d", True),
    "structure.m": ("m", True), "structure.p": ("p", False),
}  # fmt: skip


def _check_polities(p: PolitiesSpec) -> None:
    """What :func:`evopolity.polities` would refuse, checked without running it."""
    integer(p.n, "n", 3)
    integer(p.m, "m", 1)
    integer(p.generations, "generations", 1)
    for name in ("selection", "imitation_selection"):
        if getattr(p, name) < 0:
            raise ValueError(f"{name} must be >= 0, got {getattr(p, name):g}")
    for name in ("split", "migration", "imitation"):
        probability(getattr(p, name), name)
    from evopolity.dynamics.polities import _update

    _update(p.update, p.split, p.migration)
    if p.m == 1:
        for name in ("split", "migration", "imitation"):
            if getattr(p, name) > 0:
                raise ValueError(f"{name} needs m >= 2 polities, got m = 1")
        if p.collapse is not None:
            raise ValueError("collapse needs m >= 2 polities")
    if p.collapse is not None:
        from evopolity.dynamics.polities import Collapse

        Collapse(float(p.collapse[0]), p.collapse[1])
    if p.environment == "markov":
        probability(p.rate, "rate")
    if p.environment == "periodic":
        integer(p.period, "period", 1)
    if p.environment == "temptation_walk":
        from evopolity.dynamics.environments import TemptationWalk

        TemptationWalk(p.rate, p.step, p.low, p.high, p.entry)


def _polities(c: _Checker, table: dict, default_kind: str) -> PolitiesSpec:
    path = "polities"
    c.keys(table, path, {"n", "m", "generations", "selection", "split", "migration",
                         "imitation", "imitation_selection", "collapse", "environment",
                         "record_every", "update"})
    d = PolitiesSpec()
    update = c.choice(table, "polities.update", POLITY_UPDATES, "moran")
    values: dict[str, Any] = {
        "n": c.integer(table, "polities.n", d.n, low=3),
        "m": c.integer(table, "polities.m", d.m, low=1),
        "generations": c.integer(table, "polities.generations", d.generations, low=1),
        "selection": c.number(table, "polities.selection", d.selection, low=0.0),
        # nobody is born under the pairwise comparison: no split unless one is asked for
        "split": c.number(table, "polities.split", 0.0 if update == "fermi" else d.split,
                          low=0.0, high=1.0),
        "update": update,
        "migration": c.number(table, "polities.migration", d.migration, low=0.0, high=1.0),
        "imitation": c.number(table, "polities.imitation", d.imitation, low=0.0, high=1.0),
        "imitation_selection": c.number(table, "polities.imitation_selection",
                                        d.imitation_selection, low=0.0),
    }
    if "record_every" in table:
        values["record_every"] = c.integer(table, "polities.record_every", None, low=1)
    if "collapse" in table:
        col = c.table(table, "collapse") if isinstance(table["collapse"], dict) else None
        if col is None:
            raise c.fail("polities.collapse", "must be a table {threshold, duration}")
        c.keys(col, "polities.collapse", {"threshold", "duration"})
        values["collapse"] = (c.number(col, "polities.collapse.threshold", REQUIRED),
                              c.integer(col, "polities.collapse.duration", REQUIRED, low=1))
    env = table.get("environment", {"kind": "constant"})
    if not isinstance(env, dict):
        raise c.fail("polities.environment", f"must be a table, got {type(env).__name__}")
    epath = "polities.environment"
    kind = c.choice(env, f"{epath}.kind", ENVIRONMENTS, "constant")
    allowed = {"constant": {"kind"}, "scheduled": {"kind", "times", "games"},
               "periodic": {"kind", "period", "games"}, "markov": {"kind", "rate", "games"},
               "temptation_walk": {"kind", "rate", "step", "low", "high", "entry"}}
    c.keys(env, epath, allowed[kind])
    values["environment"] = kind
    if kind == "temptation_walk":
        values["rate"] = c.number(env, f"{epath}.rate", REQUIRED, low=0.0, high=1.0)
        if values["rate"] == 0.0:
            raise c.fail(f"{epath}.rate", "must be > 0 (a walk that never steps is constant)")
        values["step"] = c.number(env, f"{epath}.step", REQUIRED, low=0.0)
        if values["step"] == 0.0:
            raise c.fail(f"{epath}.step", "must be > 0")
        values["low"] = c.number(env, f"{epath}.low", REQUIRED)
        values["high"] = c.number(env, f"{epath}.high", REQUIRED)
        if not values["low"] < values["high"]:
            raise c.fail(f"{epath}.high", f"must be above low = {values['low']:g}, got "
                         f"{values['high']:g}")
        entry = env.get("entry", [1, 0])
        if (not isinstance(entry, list) or len(entry) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in entry)):
            raise c.fail(f"{epath}.entry", f"must be [row, column], two integers >= 0, got "
                         f"{entry!r}")
        values["entry"] = tuple(entry)
    elif kind != "constant":
        games_raw = env.get("games")
        if not isinstance(games_raw, list) or not games_raw or not all(
                isinstance(g, dict) for g in games_raw):
            raise c.fail(f"{epath}.games", "required: a non-empty array of game tables "
                         "({kind, R, S, T, P} or {kind = \"donation\", b, c})")
        built = []
        for i, g in enumerate(games_raw):
            sub = _Checker(c.where)
            gpath = f"{epath}.games[{i}]"
            sub.fail = lambda p, msg, gpath=gpath: SpecError(  # type: ignore[method-assign]
                f"{c.where}: {gpath}{p[4:] if p.startswith('game') else '.' + p}: {msg}")
            built.append(_game(sub, {"kind": default_kind, **g}))
        values["games"] = tuple(built)
    if kind == "scheduled":
        times = env.get("times")
        if (not isinstance(times, list) or not all(isinstance(t, int) and not isinstance(t, bool)
                                                   and t >= 1 for t in times)
                or sorted(set(times)) != times):
            raise c.fail(f"{epath}.times", f"must be increasing integers >= 1, got {times!r}")
        if len(times) != len(values["games"]):
            raise c.fail(f"{epath}.times", f"one time per game: {len(times)} times, "
                         f"{len(values['games'])} games")
        values["times"] = tuple(times)
    elif kind == "periodic":
        values["period"] = c.integer(env, f"{epath}.period", REQUIRED, low=1)
    elif kind == "markov":
        values["rate"] = c.number(env, f"{epath}.rate", REQUIRED, low=0.0, high=1.0)
    spec = PolitiesSpec(**values)
    try:
        _check_polities(spec)
    except (TypeError, ValueError) as exc:
        raise c.fail("polities", str(exc)) from None
    return spec


def _structure(c: _Checker, table: dict) -> StructureSpec:
    path = "structure"
    graph = c.choice(table, "structure.graph", tuple(GRAPHS), "lattice")
    own = {"graph", "update", "generations", "selection", "mutation", "payoff",
           "record_every", "institution_scope"}
    c.keys(table, path, own | set(GRAPHS[graph]))
    args: dict[str, Any] = {}
    for key in GRAPHS[graph]:
        kpath = f"structure.{key}"
        if key == "neighbourhood":
            if key in table:
                args[key] = c.choice(table, kpath, ("von_neumann", "moore"), REQUIRED)
        elif key == "periodic":
            if key in table:
                if not isinstance(table[key], bool):
                    raise c.fail(kpath, f"must be true or false, got {table[key]!r}")
                args[key] = table[key]
        elif key == "p":
            args[key] = c.number(table, kpath, REQUIRED, low=0.0, high=1.0)
        elif key == "k" and graph == "ring" and key not in table:
            continue
        else:
            args[key] = c.integer(table, kpath, REQUIRED, low=1)
    values: dict[str, Any] = {
        "graph": graph, "graph_args": tuple(args.items()),
        "update": c.choice(table, "structure.update", UPDATES, "db"),
        "generations": c.integer(table, "structure.generations", 10_000, low=1),
        "selection": c.number(table, "structure.selection", 1.0, low=0.0),
        "mutation": c.number(table, "structure.mutation", 0.0, low=0.0, high=1.0),
        "payoff": c.choice(table, "structure.payoff", ("accumulated", "averaged"),
                           "accumulated"),
        # where a regime's means are taken: over all nodes or each neighbourhood
        "institution_scope": c.choice(table, "structure.institution_scope",
                                      ("global", "local"), "global"),
    }
    if "record_every" in table:
        values["record_every"] = c.integer(table, "structure.record_every", None, low=1)
    spec = StructureSpec(**values)
    try:
        _check_graph(spec)
    except (TypeError, ValueError) as exc:
        raise c.fail("structure", str(exc)) from None
    return spec


#: The most nodes a ``[structure]`` graph may have (the graph is built when the spec is read).
MAX_NODES = 10_000_000


def _check_graph(s: StructureSpec) -> None:
    args = dict(s.graph_args)
    nodes = args["side"] ** 2 if "side" in args else args.get("n", 0)
    if nodes > MAX_NODES:
        raise ValueError(f"a graph of {nodes:,} nodes is more than {MAX_NODES:,}")
    g = s.build_graph(0)
    if (g.degrees == 0).any():
        raise ValueError("the graph has a node without neighbours (nobody to play with)")


def _integer_targets() -> tuple[str, ...]:
    return (*INTEGER_TARGETS, *(k for k, (_, i) in POLITIES_TARGETS.items() if i),
            *(k for k, (_, i) in STRUCTURE_TARGETS.items() if i))


def game_kind(game: games.Game) -> str:
    """The ``[game]`` kind of a game object (the default kind of an environment's games).

    Parameters
    ----------
    game : Game
        The spec's game.

    Returns
    -------
    str
        A key of ``GAMES``.
    """
    for kind, (cls, _) in GAMES.items():
        if type(game) is cls:
            return kind
    return "matrix"


def polities_at(pol: PolitiesSpec, point: dict[str, Any]) -> PolitiesSpec:
    """The ``[polities]`` settings at a sweep point (its ``polities.*`` axes applied).

    Parameters
    ----------
    pol : PolitiesSpec
        The spec's settings.
    point : dict
        A sweep point (:meth:`Spec.sweep_point`).

    Returns
    -------
    PolitiesSpec
    """
    changes = {POLITIES_TARGETS[k][0]: v for k, v in point.items() if k in POLITIES_TARGETS}
    return pol.replace(**changes) if changes else pol


def structure_at(struct: StructureSpec, point: dict[str, Any]) -> StructureSpec:
    """The ``[structure]`` settings at a sweep point (its ``structure.*`` axes applied).

    Parameters
    ----------
    struct : StructureSpec
        The spec's settings.
    point : dict
        A sweep point (:meth:`Spec.sweep_point`).

    Returns
    -------
    StructureSpec
    """
    changes = {STRUCTURE_TARGETS[k][0]: v for k, v in point.items() if k in STRUCTURE_TARGETS}
    return struct.replace(**changes) if changes else struct


def _check_polities_points(c: _Checker, sweep: dict[str, list], pol: PolitiesSpec,
                           regime_list: list[Regime]) -> None:
    """Every ``polities.*`` axis value, each with the others at the spec's values; and the
    regimes as polities take them (a 2 x 2 stand-in game: what is refused does not depend on
    the payoffs)."""
    for key, values in sweep.items():
        if key not in POLITIES_TARGETS:
            continue
        name = POLITIES_TARGETS[key][0]
        walk = name in ("step", "low", "high")
        if name == "rate" and pol.environment not in ("markov", "temptation_walk") or (
                name == "period" and pol.environment != "periodic") or (
                walk and pol.environment != "temptation_walk"):
            where = {"rate": "markov or temptation_walk", "period": "periodic"}.get(
                name, "temptation_walk")
            raise c.fail(_axis_path(key), f"the environment is {pol.environment!r}; "
                         f"{key} applies to a {where} one")
        if name.startswith("collapse") and pol.collapse is None:
            raise c.fail(_axis_path(key), "no polities.collapse table to sweep")
        for j, v in enumerate(values):
            try:
                _check_polities(pol.replace(**{name: v}))
            except (TypeError, ValueError) as exc:
                raise c.fail(_axis_path(key, j), str(exc)) from None
    import numpy as np

    from evopolity.dynamics.polities import _packed_regimes

    A = np.array([[3.0, 0.0], [5.0, 1.0]])
    C = np.array([[1.0, 1.0], [0.0, 0.0]])
    for i, r in enumerate(regime_list):
        try:
            _packed_regimes([r], 0.0, A, C, ("C", "D"))
        except (TypeError, ValueError) as exc:
            raise c.fail(f"regimes[{i}]", f"as a polity's regime: {exc}") from None


def _check_structure_points(c: _Checker, sweep: dict[str, list], struct: StructureSpec,
                            regime_list: list[Regime]) -> None:
    """Every ``structure.*`` axis value (its graph built), and the regimes: a graph takes no
    institution its members fund or whose fine they vote (a co-evolving one it takes)."""
    for key, values in sweep.items():
        if key not in STRUCTURE_TARGETS:
            continue
        name = STRUCTURE_TARGETS[key][0]
        if name not in {f.name for f in fields(StructureSpec)} and \
                name not in GRAPHS[struct.graph]:
            raise c.fail(_axis_path(key), f"a {struct.graph} graph has no parameter {name!r}; "
                         f"it takes {', '.join(GRAPHS[struct.graph])}")
        for j, v in enumerate(values):
            try:
                s = struct.replace(**{name: v})
                if name == "mutation":
                    probability(v, "mutation")
                if name == "selection" and v < 0:
                    raise ValueError(f"selection must be >= 0, got {v:g}")
                if name == "generations":
                    integer(v, "generations", 1)
                if name == "p":
                    probability(v, "p")
                if name in GRAPHS[struct.graph]:
                    _check_graph(s)
            except (TypeError, ValueError) as exc:
                raise c.fail(_axis_path(key, j), str(exc)) from None
    for i, r in enumerate(regime_list):
        if r.funding_mode == "contributions" or r.rule_by != "fixed":
            raise c.fail(f"regimes[{i}]", f"regime {r.name!r} is funded by its members or "
                         "votes its fine; on a graph it is not supported (docs/structure.md)")


# -- continuation and ensembles -------------------------------------------------------------------


#: What a ``[continuation]`` may move: a number of every regime, or a payoff of the game.
CONTINUATION_TARGETS = (
    *(f"regime.{f.name}" for f in fields(Regime) if f.type in (float, "float")),
    "game.R", "game.S", "game.T", "game.P", "game.b", "game.c",
)  # fmt: skip
#: How an ``[ensemble]`` draws its starts.
ENSEMBLE_STARTS = ("uniform", "dirichlet", "given")
#: The most values a continuation sweeps (each one way) and the most starts of an ensemble.
MAX_CONTINUATION_VALUES = 10_000
MAX_ENSEMBLE_STARTS = 100_000


@dataclass(frozen=True)
class ContinuationSpec:
    """The ``[continuation]`` table: one parameter swept up and then down, every run starting
    where the previous one ended (:func:`evopolity.continuation`, run on the spec's play).

    ``values`` are strictly increasing; ``x0`` the first run's state (None: the barycentre).
    ``t_max`` and ``budget`` are each run's first segment and total time
    (:func:`evopolity.settle`); the two branches differ at a value when a strategy's
    frequency or the institution's strength differs by more than ``tol``.
    """

    parameter: str
    values: tuple[float, ...]
    x0: tuple[float, ...] | None = None
    t_max: float = 100.0
    budget: float = 2000.0
    tol: float = 0.02

    @property
    def path(self) -> list[tuple[str, int, float]]:
        """``(branch, step, value)`` of every run, up then down (``2 * len(values)``)."""
        up = [("up", v) for v in self.values]
        down = [("down", v) for v in reversed(self.values)]
        return [(b, i, v) for i, (b, v) in enumerate(up + down)]


@dataclass(frozen=True)
class EnsembleSpec:
    """The ``[ensemble]`` table: ``count`` starts (``"uniform"`` on the simplex,
    ``"dirichlet"`` with concentration ``alpha``, or the ``given`` states), each run to its
    attractor under every regime of the spec (:func:`evopolity.ensemble`, run on the spec's
    play). ``seed`` draws the starts; ``lyapunov`` estimates the exponent of runs neither at
    rest nor on a cycle (so that chaos is told from an unsettled run)."""

    starts: str = "uniform"
    count: int = 20
    alpha: tuple[float, ...] = (1.0,)
    given: tuple[tuple[float, ...], ...] = ()
    seed: int = 0
    t_max: float = 100.0
    budget: float = 3000.0
    lyapunov: bool = False

    def points(self, k: int) -> Any:
        """The starting states, one row each (``count x k``), drawn from ``seed``.

        Parameters
        ----------
        k : int
            The number of strategies.

        Returns
        -------
        ndarray
        """
        import numpy as np

        if self.starts == "given":
            return np.array(self.given, dtype=float)
        a = np.ones(k) if self.starts == "uniform" else \
            np.broadcast_to(np.array(self.alpha, dtype=float), (k,))
        return np.random.default_rng(self.seed).dirichlet(a, size=self.count)


def _analysis_sections(c: _Checker, raw: dict, game: games.Game, regime_list: list[Regime],
                       n_strategies: int, seed: int) -> tuple[Any, Any]:
    """The ``[continuation]`` and ``[ensemble]`` tables, or None for each absent one."""
    cont = _continuation(c, c.table(raw, "continuation"), game, regime_list, n_strategies) \
        if "continuation" in raw else None
    ens = _ensemble(c, c.table(raw, "ensemble"), n_strategies, seed) \
        if "ensemble" in raw else None
    return cont, ens


def _analysis_alone(c: _Checker, raw: dict) -> None:
    """Refuse ``[continuation]`` or ``[ensemble]`` beside a table that runs something else."""
    for key in ("continuation", "ensemble"):
        for other in ("polities", "structure", "sweep"):
            if key in raw and other in raw:
                raise c.fail(key, f"a [{key}] runs the replicator on the spec's play; a spec "
                             f"with [{other}] takes none (write it in a spec of its own)")


def _run_times(c: _Checker, table: dict, path: str, t_max: float,
               budget: float) -> tuple[float, float]:
    t = c.number(table, f"{path}.t_max", t_max, low=0.0, strict=True)
    b = c.number(table, f"{path}.budget", budget, low=0.0, strict=True)
    if b < t:
        raise c.fail(f"{path}.budget", f"must be at least {path}.t_max = {t:g}, got {b:g}")
    return t, b


def _state(c: _Checker, value: Any, path: str, k: int) -> tuple[float, ...]:
    from evopolity.validate import simplex_point

    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int | float)
                                          for v in value):
        raise c.fail(path, f"must be a list of {k} frequencies (one per strategy), got "
                     f"{value!r}")
    try:
        return tuple(float(v) for v in simplex_point(value, [str(i) for i in range(k)], path))
    except (TypeError, ValueError) as exc:
        raise c.fail(path, str(exc).removeprefix(f"{path} ")) from None


def _continuation(c: _Checker, table: dict, game: games.Game, regime_list: list[Regime],
                  k: int) -> ContinuationSpec:
    path = "continuation"
    c.keys(table, path, {"parameter", "values", "start", "stop", "steps", "x0", "t_max",
                         "budget", "tol"})
    parameter = c.string(table, "continuation.parameter")
    if parameter not in CONTINUATION_TARGETS:
        raise c.fail("continuation.parameter", f"cannot continue along {parameter!r}; one "
                     f"of {', '.join(CONTINUATION_TARGETS)}")
    if "values" in table:
        if any(key in table for key in ("start", "stop", "steps")):
            raise c.fail("continuation.values", "give values or start, stop and steps, not "
                         "both")
        values = table["values"]
        if not isinstance(values, list) or any(
                isinstance(v, bool) or not isinstance(v, int | float) for v in values):
            raise c.fail("continuation.values", f"must be a list of numbers, got {values!r}")
        values = [float(v) for v in values]
        vpath = "continuation.values"
    else:
        start = c.number(table, "continuation.start", REQUIRED)
        stop = c.number(table, "continuation.stop", REQUIRED)
        steps = c.integer(table, "continuation.steps", REQUIRED, low=2)
        if steps > MAX_CONTINUATION_VALUES:
            raise c.fail("continuation.steps", f"{steps:,} values are more than "
                         f"{MAX_CONTINUATION_VALUES:,}")
        if stop <= start:
            raise c.fail("continuation.stop", f"must be > continuation.start = {start:g} (the "
                         f"sweep goes up from start to stop, then back), got {stop:g}")
        values = grid(start, stop, steps)
        vpath = "continuation.start"
    if len(values) < 2 or len(values) > MAX_CONTINUATION_VALUES:
        raise c.fail(vpath, f"must give 2 to {MAX_CONTINUATION_VALUES:,} values, got "
                     f"{len(values)}")
    if not all(math.isfinite(v) for v in values) or any(
            b <= a for a, b in itertools.pairwise(values)):
        raise c.fail(vpath, f"the values must be finite and strictly increasing, got {values}")
    # every value as each run will meet it (the ends suffice for an interval's limits, but a
    # game's inequalities and a regime's checks are checked at every value, cheaply)
    target, name = parameter.split(".", 1)
    for i, v in enumerate(values):
        where = f"{vpath}[{i}]" if vpath == "continuation.values" else \
            "continuation." + ("start" if i == 0 else "stop" if i == len(values) - 1 else "steps")
        try:
            if target == "regime":
                for r in regime_list:
                    r.replace(**{name: v})
            else:
                if name not in GAMES[game_kind(game)][1]:
                    raise ValueError(f"a {game_kind(game)} game has no payoff {name!r}; it "
                                     f"takes {', '.join(GAMES[game_kind(game)][1])}")
                _game_at(game, {name: v})
        except (TypeError, ValueError) as exc:
            raise c.fail(where, f"{parameter} = {v:g}: {exc}") from None
    x0 = _state(c, table["x0"], "continuation.x0", k) if "x0" in table else None
    t_max, budget = _run_times(c, table, path, 100.0, 2000.0)
    tol = c.number(table, "continuation.tol", 0.02, low=0.0, strict=True)
    return ContinuationSpec(parameter, tuple(values), x0, t_max, budget, tol)


def _ensemble(c: _Checker, table: dict, k: int, seed: int) -> EnsembleSpec:
    path = "ensemble"
    c.keys(table, path, {"starts", "count", "alpha", "given", "seed", "t_max", "budget",
                         "lyapunov"})
    starts = c.choice(table, "ensemble.starts", ENSEMBLE_STARTS, "uniform")
    values: dict[str, Any] = {"starts": starts}
    if starts == "given":
        for key in ("count", "alpha"):
            if key in table:
                raise c.fail(f"ensemble.{key}", "given starts are counted by ensemble.given; "
                             f"{key} applies to drawn ones")
        given = table.get("given")
        if not isinstance(given, list) or not given:
            raise c.fail("ensemble.given", "required with starts = \"given\": a non-empty list "
                         "of states, each a list of frequencies (one per strategy)")
        if len(given) > MAX_ENSEMBLE_STARTS:
            raise c.fail("ensemble.given", f"{len(given):,} starts are more than "
                         f"{MAX_ENSEMBLE_STARTS:,}")
        values["given"] = tuple(_state(c, g, f"ensemble.given[{i}]", k)
                                for i, g in enumerate(given))
        values["count"] = len(given)
    else:
        if "given" in table:
            raise c.fail("ensemble.given", f"applies to starts = \"given\", not {starts!r}")
        count = c.integer(table, "ensemble.count", 20, low=1)
        if count > MAX_ENSEMBLE_STARTS:
            raise c.fail("ensemble.count", f"{count:,} starts are more than "
                         f"{MAX_ENSEMBLE_STARTS:,}")
        values["count"] = count
        if "alpha" in table:
            if starts != "dirichlet":
                raise c.fail("ensemble.alpha", "applies to starts = \"dirichlet\" (uniform is "
                             "Dirichlet(1, ..., 1))")
            alpha = table["alpha"]
            items = alpha if isinstance(alpha, list) else [alpha]
            if len(items) not in (1, k) or any(
                    isinstance(a, bool) or not isinstance(a, int | float)
                    or not math.isfinite(a) or a <= 0 for a in items):
                raise c.fail("ensemble.alpha", f"must be a positive number or a list of {k} "
                             f"(one per strategy), got {alpha!r}")
            values["alpha"] = tuple(float(a) for a in items)
    values["seed"] = c.integer(table, "ensemble.seed", seed, low=0)
    values["t_max"], values["budget"] = _run_times(c, table, path, 100.0, 3000.0)
    lyap = table.get("lyapunov", False)
    if not isinstance(lyap, bool):
        raise c.fail("ensemble.lyapunov", f"must be true or false, got {lyap!r}")
    values["lyapunov"] = lyap
    return EnsembleSpec(**values)
