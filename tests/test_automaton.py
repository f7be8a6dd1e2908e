"""Strategies as Moore automata: constructors, minimisation and input validation."""

import numpy as np
import pytest

import evopolity as ep


def test_memory_one_tft_plays_the_opponents_last_move():
    tft = ep.memory_one((1, 0, 1, 0), name="TFT")
    assert tft.moves("CDDCCD") == "CCDDCC"
    # start, after-C and after-D: start and after-C behave alike, so two states remain
    assert tft.n_states == 2 and not tft.stochastic


def test_memory_one_wsls_by_hand():
    wsls = ep.memory_one((1, 0, 0, 1), name="WSLS")
    # rounds: CC -> stay C; CD -> shift to D; DD -> shift to C; CC -> stay C
    assert wsls.moves("CDDCC") == "CCDCC"


def test_equivalent_descriptions_minimise_to_the_same_automaton():
    # Tit For Tat three ways: memory-one, a 1-1 lookup table, an FSM
    tft_m1 = ep.memory_one((1, 0, 1, 0), name="a")
    tft_lookup = ep.lookup({("", "C"): "C", ("", "D"): "D"}, "C", name="b")
    tft_fsm = ep.fsm([(0, "C", 0, "C"), (0, "D", 0, "D")], 0, "C", name="c")
    assert tft_m1.same_behaviour(tft_lookup)
    assert tft_m1.same_behaviour(tft_fsm)
    assert tft_m1 != tft_lookup  # names differ


def test_cycler_ignores_the_opponent():
    c = ep.cycler("CCD")
    assert c.moves("DDDDDDD") == "CCDCCDC"
    assert c.name == "Cycler: CCD"


def test_lookup_uses_initial_moves_then_the_table():
    # defect iff the opponent defected in both of the last two rounds; open with D, C
    table = {("", opp): ("D" if opp == "DD" else "C") for opp in ("CC", "CD", "DC", "DD")}
    s = ep.lookup(table, "DC", name="x")
    assert s.moves("DDDCDD") == "DCDDCC"


def test_fsm_with_missing_transition_is_refused():
    with pytest.raises(ValueError, match="no transition for state 1 after D"):
        ep.fsm([(1, "C", 1, "C")], 1, "C", name="broken")


@pytest.mark.parametrize(
    ("p", "error", "message"),
    [
        ((1, 0, 1), ValueError, "four entries"),
        ((1, 0, 1, 1.5), ValueError, r"p\[3\] \(p_DD\) must be a probability in \[0, 1\]"),
        ((1, 0, float("nan"), 0), ValueError, r"p\[2\] \(p_DC\)"),
        ((1, 0, "x", 0), ValueError, r"p\[2\]"),
        (0.5, TypeError, "sequence of four"),
    ],
)
def test_memory_one_rejects_bad_vectors_naming_the_entry(p, error, message):
    with pytest.raises(error, match=message):
        ep.memory_one(p)


def test_strategy_validates_arrays():
    with pytest.raises(ValueError, match="next_state must have shape"):
        ep.Strategy([1.0, 0.0], np.zeros((2, 2)), name="x")
    with pytest.raises(ValueError, match=r"next_state entries must lie in \[0, 1\]"):
        ep.Strategy([1.0, 0.0], np.full((2, 2, 2), 2), name="x")
    with pytest.raises(ValueError, match="p_coop must hold probabilities"):
        ep.Strategy([1.2], np.zeros((1, 2, 2), int), name="x")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        ep.Strategy([1.0], np.zeros((1, 2, 2), int), name="")


def test_strategy_is_immutable_and_hashable():
    s = ep.memory_one((1, 0, 1, 0), name="TFT")
    with pytest.raises(AttributeError):
        s.name = "other"
    with pytest.raises(ValueError):
        s.p_coop[0] = 0.5
    assert len({s, ep.memory_one((1, 0, 1, 0), name="TFT")}) == 1


def test_stochastic_strategies_refuse_to_list_moves():
    with pytest.raises(ValueError, match="stochastic"):
        ep.memory_zero(0.5).moves("CC")
