"""Stage games: payoff tables and the inequalities that define each game."""

import numpy as np
import pytest

import evopolity as ep


def test_prisoners_dilemma_default_is_axelrods_3_0_5_1():
    g = ep.PrisonersDilemma()
    assert g.rstp == (3.0, 0.0, 5.0, 1.0)
    # matrix[my_move, their_move] with C = 0, D = 1
    np.testing.assert_array_equal(g.matrix, [[3, 0], [5, 1]])


def test_prisoners_dilemma_refuses_temptation_not_above_reward():
    with pytest.raises(ValueError, match=r"temptation T=3 must exceed reward R=3"):
        ep.PrisonersDilemma(R=3, S=0, T=3, P=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"R": 1, "S": 0, "T": 5, "P": 1}, "reward R=1 must exceed punishment P=1"),
        ({"R": 3, "S": 2, "T": 5, "P": 1}, "punishment P=1 must exceed sucker"),
    ],
)
def test_prisoners_dilemma_names_the_broken_inequality(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ep.PrisonersDilemma(**kwargs)


def test_donation_game_payoffs_from_benefit_and_cost():
    g = ep.DonationGame(b=3, c=1)
    assert g.rstp == (2.0, -1.0, 3.0, 0.0)  # R = b - c, S = -c, T = b, P = 0
    with pytest.raises(ValueError, match="benefit b=1 must exceed cost c=2"):
        ep.DonationGame(b=1, c=2)


def test_snowdrift_and_stag_hunt_check_their_orderings():
    assert ep.Snowdrift().rstp == (3.0, 2.0, 4.0, 0.0)
    with pytest.raises(ValueError, match="snowdrift"):
        ep.Snowdrift(R=3, S=0, T=5, P=1)
    with pytest.raises(ValueError, match="stag hunt"):
        ep.StagHunt(R=3, S=0, T=5, P=1)


def test_matrix_game_accepts_any_finite_payoffs_but_not_nan():
    assert ep.MatrixGame(1, 2, 3, 4).rstp == (1.0, 2.0, 3.0, 4.0)
    with pytest.raises(ValueError, match="R must be finite"):
        ep.MatrixGame(float("nan"), 0, 0, 0)
    with pytest.raises(TypeError, match="S must be a real number"):
        ep.MatrixGame(1, "x", 0, 0)


def test_with_payoffs_validates_again():
    g = ep.PrisonersDilemma().with_payoffs(T=6)
    assert isinstance(g, ep.PrisonersDilemma) and g.T == 6.0
    with pytest.raises(ValueError, match="temptation"):
        ep.PrisonersDilemma().with_payoffs(T=2)
    with pytest.raises(ValueError, match="unknown payoff name"):
        ep.PrisonersDilemma().with_payoffs(X=1)
