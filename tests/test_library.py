"""The library against axelrod: same names, same tables, same moves."""

import pytest

import evopolity as ep
from evopolity.play.strategies import _axelrod_tables as tables


def test_basic_collection_is_axelrods_basic_strategies_in_order(axl):
    names = [s.name for s in ep.library.basic_strategies()]
    assert names == [str(c()) for c in axl.basic_strategies]


def test_every_library_name_with_an_axelrod_class_is_axelrods_display_name(axl):
    checked = 0
    for entry in ep.library.entries():
        if entry.axelrod_class:
            assert str(getattr(axl, entry.axelrod_class)()) == entry.name
            checked += 1
    assert checked == len(ep.library.entries())


def test_copied_fsm_and_lookup_tables_equal_axelrods(axl):
    for name, data in tables.FSM.items():
        player = getattr(axl, data["class"])()
        copied = {(s, a): (n, b) for s, a, n, b in data["transitions"]}
        original = {(s, str(a)): (n, str(b)) for (s, a), (n, b) in
                    player.fsm.state_transitions.items()}
        assert copied == original, name
        assert (data["initial_state"], data["initial_action"]) == (
            player.initial_state, str(player.initial_action))
    for name, data in tables.LOOKUP.items():
        player = getattr(axl, data["class"])()
        original = {("".join(map(str, k.self_plays)), "".join(map(str, k.op_plays)),
                     "".join(map(str, k.op_openings))): (str(v) if hasattr(v, "name")
                                                         else float(v))
                    for k, v in player.lookup_dict.items()}
        assert data["table"] == original, name


def test_required_strategies_are_present():
    required = [
        "Cooperator", "Defector", "Grudger", "Tit For 2 Tats", "GTFT: 0.33",
        "Win-Stay Lose-Shift", "Random: 0.5", "First by Joss: 0.9",
        "ZD-Extort-2: 0.1111111111111111, 0.5",
        "ZD-GTFT-2: 0.25, 0.5", "Cycler CCD", "Fortress3", "Fortress4", "Predator", "Pun1",
        "Raider", "Ripoff", "SolutionB1", "SolutionB5", "Thumper", "Evolved FSM 4",
        "Evolved FSM 6", "Evolved FSM 16", "Evolved FSM 16 Noise 05", "TF1", "TF2", "TF3",
    ]
    names = set(ep.library.names())
    assert not [n for n in required if n not in names]


def test_get_accepts_axelrod_class_names_and_any_case():
    assert ep.library.get("TitForTat").name == "Tit For Tat"
    assert ep.library.get("tit for tat").name == "Tit For Tat"
    assert ep.library.get("gtft").name == "GTFT: 0.33"


def test_unknown_names_and_collections_are_refused():
    with pytest.raises(ValueError, match="unknown strategy name 'Tit For Tot'"):
        ep.library.get("Tit For Tot")
    with pytest.raises(ValueError, match="unknown collection 'nope'"):
        ep.library.collection("nope")


def test_zd_library_vectors_equal_axelrods(axl):
    for entry in ep.library.entries():
        if "zd" in entry.collections:
            ours = ep.library.get(entry.name)
            player = getattr(axl, entry.axelrod_class)()
            converted = ep.from_axelrod(player)
            assert ours.same_behaviour(converted), entry.name


def test_zd_extortion_enforces_its_factor_exactly():
    # Press & Dyson 2012: an extortioner X with factor chi gets pi_X - P = chi (pi_Y - P)
    # against any opponent; check with exact limit-of-means payoffs.
    x = ep.zd_extortion(chi=3)
    opponents = [ep.memory_one(p, name=f"m{k}") for k, p in
                 enumerate([(0.9, 0.2, 0.6, 0.3), (1, 0, 1, 0), (0.5, 0.5, 0.5, 0.5)])]
    t = ep.tournament([x, *opponents], turns=None, noise=0.0, method="exact")
    for y in opponents:
        px, py = t.payoffs.loc[x.name, y.name], t.payoffs.loc[y.name, x.name]
        assert px - 1.0 == pytest.approx(3 * (py - 1.0), abs=1e-9)


def test_zd_parameters_outside_the_feasible_range_are_refused():
    with pytest.raises(ValueError, match="outside"):
        ep.zero_determinant(phi=1.0, s=0.5, baseline=1.0)
    with pytest.raises(ValueError, match="chi must be >= 1"):
        ep.zd_extortion(chi=0.5)
