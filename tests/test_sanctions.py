"""Sanctions inside matches (``tournament(..., regime=r)``): hand-worked cases, exact against
simulated, and the contract that a regime changes payoffs but never the moves."""

import numpy as np
import pytest

import evopolity as ep
from evopolity.kernels import codes

R, S, T, P = 3.0, 0.0, 5.0, 1.0  # the default prisoner's dilemma
F, B = 2.0, 0.5  # the fine and the reward of the hand-worked cases
TFT, ALLD = "Tit For Tat", "Defector"

# Tit For Tat against Always Defect over 3 turns: the moves are (C, D), (D, D), (D, D).
# Game payoffs: TFT S + P + P = 2, ALLD T + P + P = 7.
GROSS_TFT, GROSS_ALLD = S + P + P, T + P + P
# Defections fined, counted in units of the expected fine F q of one detected defection:
# * "any": ALLD's three defections (rounds 1, 2, 3) and TFT's two (rounds 2, 3);
# * "unjustified": a defection is fined only when the opponent cooperated the round before
#   (a first-round defection is unjustified):
#     round 1: ALLD defects in the first round -> unjustified (fined); TFT cooperates;
#     round 2: ALLD defects after TFT's round-1 cooperation -> unjustified (fined);
#              TFT defects after ALLD's round-1 defection -> justified (not fined);
#     round 3: both defect after the other's round-2 defection -> both justified;
#   so ALLD is fined twice and TFT never.
FINED = {"any": {"tft": 3 - 1, "alld": 3}, "unjustified": {"tft": 0, "alld": 2}}
# Rewards: TFT's one cooperation (round 1), B q; ALLD never cooperates.
REWARDED = {"tft": 1, "alld": 0}


def hand_worked(norm, fine_to, q):
    """Per-turn (payoff_tft, payoff_alld, fines received tft, alld, to institution tft, alld)
    over the 3 turns, written out from the counts above."""
    f_tft = FINED[norm]["tft"] * F * q
    f_alld = FINED[norm]["alld"] * F * q
    r_tft = REWARDED["tft"] * B * q
    if fine_to == "burned":  # the fines vanish
        got_tft, got_alld = 0.0, 0.0
    elif fine_to == "victim":  # each receives the other's fine
        got_tft, got_alld = f_alld, f_tft
    elif fine_to == "group":  # both fines shared equally by the two players
        got_tft = got_alld = (f_tft + f_alld) / 2
    else:  # "institution": collected, not paid back
        got_tft, got_alld = 0.0, 0.0
    to_inst = (f_tft, f_alld) if fine_to == "institution" else (0.0, 0.0)
    return (
        (GROSS_TFT - f_tft + got_tft + r_tft) / 3,
        (GROSS_ALLD - f_alld + got_alld) / 3,
        f_tft / 3, f_alld / 3, got_tft / 3, got_alld / 3, r_tft / 3, to_inst[0] / 3,
        to_inst[1] / 3,
    )  # fmt: skip


NORMS = ["any", "unjustified"]
DESTINATIONS = ["burned", "victim", "group", "institution"]


@pytest.mark.parametrize("q", [1.0, 0.3])
@pytest.mark.parametrize("fine_to", DESTINATIONS)
@pytest.mark.parametrize("norm", NORMS)
def test_tft_vs_alld_three_turns_by_hand(norm, fine_to, q):
    regime = ep.Regime(fine=F, reward=B, detection=q, norm=norm, fine_to=fine_to)
    (pay_tft, pay_alld, paid_tft, paid_alld, got_tft, got_alld, rew_tft, inst_tft,
     inst_alld) = hand_worked(norm, fine_to, q)  # fmt: skip
    methods = ["exact", "simulate"] if q == 1.0 else ["exact"]  # q = 1: nothing is random
    for method in methods:
        t = ep.tournament([TFT, ALLD], turns=3, method=method, regime=regime, seed=0)
        assert t.payoffs.loc[TFT, ALLD] == pytest.approx(pay_tft, abs=1e-12)
        assert t.payoffs.loc[ALLD, TFT] == pytest.approx(pay_alld, abs=1e-12)
        s = t.sanctions
        assert s.loc[(TFT, ALLD), "fines_paid"] == pytest.approx(paid_tft, abs=1e-12)
        assert s.loc[(ALLD, TFT), "fines_paid"] == pytest.approx(paid_alld, abs=1e-12)
        assert s.loc[(TFT, ALLD), "fines_received"] == pytest.approx(got_tft, abs=1e-12)
        assert s.loc[(ALLD, TFT), "fines_received"] == pytest.approx(got_alld, abs=1e-12)
        assert s.loc[(TFT, ALLD), "rewards"] == pytest.approx(rew_tft, abs=1e-12)
        assert s.loc[(ALLD, TFT), "rewards"] == 0.0
        assert s.loc[(TFT, ALLD), "to_institution"] == pytest.approx(inst_tft, abs=1e-12)
        assert s.loc[(ALLD, TFT), "to_institution"] == pytest.approx(inst_alld, abs=1e-12)
        # the moves are those of the bare game
        assert t.cooperation.loc[TFT, ALLD] == pytest.approx(1 / 3)


@pytest.mark.parametrize("norm", NORMS)
def test_self_play_by_hand(norm):
    # ALLD vs ALLD, 3 turns, detection 1: "any" fines all three defections of each copy;
    # "unjustified" only the first-round one (rounds 2 and 3 answer a defection). TFT vs TFT
    # never defects: nothing fined, and a reward B in every round.
    regime = ep.Regime(fine=F, reward=B, detection=1.0, norm=norm)
    t = ep.tournament([TFT, ALLD], turns=3, method="exact", regime=regime)
    fined = 3 if norm == "any" else 1
    assert t.payoffs.loc[ALLD, ALLD] == pytest.approx((3 * P - fined * F) / 3, abs=1e-12)
    assert t.sanctions.loc[(ALLD, ALLD), "fines_paid"] == pytest.approx(fined * F / 3)
    assert t.payoffs.loc[TFT, TFT] == pytest.approx(R + B, abs=1e-12)
    assert t.sanctions.loc[(TFT, TFT), "fines_paid"] == 0.0


def test_captured_institution_fines_cooperation_whatever_the_norm():
    # TFT's only cooperation is round 1: a captured institution fines it F q (and still
    # rewards it B q); ALLD's defections go unpunished
    q = 0.5
    for norm in NORMS:
        regime = ep.Regime(fine=F, reward=B, detection=q, captured=True, norm=norm)
        t = ep.tournament([TFT, ALLD], turns=3, method="exact", regime=regime)
        assert t.payoffs.loc[TFT, ALLD] == pytest.approx((GROSS_TFT - F * q + B * q) / 3)
        assert t.payoffs.loc[ALLD, TFT] == pytest.approx(GROSS_ALLD / 3)


@pytest.mark.parametrize("p", [0.5, 0.1])
def test_tft_vs_alld_geometric_length_closed_form(p):
    # Rounds 1, 2, 3, ... are reached with probability 1, d, d^2, ... (d = 1 - p); the
    # expected length is 1 / p.
    # "unjustified": ALLD is fined in round 1 (first) and round 2 (TFT cooperated in round 1):
    #   expected total F q (1 + d), per turn F q p (1 + d); TFT's defections answer ALLD's.
    # "any": ALLD is fined every round, F q per turn; TFT from round 2 on, F q d / p in all,
    #   F q d per turn.
    q, d = 0.7, 1 - p
    for norm, alld, tft in (("unjustified", F * q * p * (1 + d), 0.0),
                            ("any", F * q, F * q * d)):
        regime = ep.Regime(fine=F, detection=q, norm=norm)
        t = ep.tournament([TFT, ALLD], turns=None, prob_end=p, method="exact", regime=regime)
        s = t.sanctions
        assert s.loc[(ALLD, TFT), "fines_paid"] == pytest.approx(alld, rel=1e-10)
        assert s.loc[(TFT, ALLD), "fines_paid"] == pytest.approx(tft, abs=1e-12)
        bare = d * P + p * T  # ALLD's per-turn game payoff
        assert t.payoffs.loc[ALLD, TFT] == pytest.approx(bare - alld, rel=1e-10)


def test_limit_of_means_forgives_retaliation():
    # in the long run TFT and ALLD defect against each other every round: each fined F q per
    # turn under "any", and nothing under "unjustified" (every defection answers one)
    q = 0.4
    for norm, fined in (("any", F * q), ("unjustified", 0.0)):
        regime = ep.Regime(fine=F, detection=q, norm=norm, fine_to="victim")
        t = ep.tournament([TFT, ALLD], turns=None, method="exact", regime=regime)
        for a, b in ((TFT, ALLD), (ALLD, TFT)):
            assert t.sanctions.loc[(a, b), "fines_paid"] == pytest.approx(fined, abs=1e-12)
            # fined as much as it receives from the victim's side: P net
            assert t.payoffs.loc[a, b] == pytest.approx(P, abs=1e-12)


def _memory_one_set(n, seed):
    rng = np.random.default_rng(seed)
    return [ep.memory_one(rng.random(4), rng.random(), name=f"m{k}") for k in range(n)]


@pytest.mark.parametrize(("norm", "fine_to"), [("unjustified", "victim"), ("any", "group"),
                                               ("unjustified", "institution")])
def test_simulation_agrees_with_exact_in_distribution(norm, fine_to):
    """Memory-one strategies with noise, detection 0.4: simulated per-turn payoffs within 5
    standard errors of the exact ones; fines within 5 standard errors of a per-turn fine
    (a quantity in [0, F], whose standard deviation is at most F / 2)."""
    strategies = _memory_one_set(6, seed=11) + [ep.library.get(TFT), ep.library.get(ALLD)]
    regime = ep.Regime(fine=F, reward=B, detection=0.4, norm=norm, fine_to=fine_to)
    reps = 3000
    kw = dict(turns=20, noise=0.05, regime=regime)
    sim = ep.tournament(strategies, repetitions=reps, seed=5, **kw)
    ex = ep.tournament(strategies, method="exact", **kw)
    se = sim.payoff_std.to_numpy() / np.sqrt(reps)
    diff = np.abs(sim.payoffs.to_numpy() - ex.payoffs.to_numpy())
    assert (diff < 5 * se + 1e-12).all()
    bound = 5 * (F / 2) / np.sqrt(reps)
    for column in ("fines_paid", "fines_received", "to_institution"):
        gap = np.abs(sim.sanctions[column].to_numpy() - ex.sanctions[column].to_numpy())
        assert gap.max() < bound, column
    gap = np.abs(sim.sanctions["rewards"].to_numpy() - ex.sanctions["rewards"].to_numpy())
    assert gap.max() < 5 * (B / 2) / np.sqrt(reps)


def test_deterministic_pair_with_uncertain_detection_plays_every_repetition():
    # without noise TFT vs ALLD repeats its moves, but detection 0.3 is drawn anew each time
    regime = ep.Regime(fine=F, detection=0.3)
    reps = 4000
    sim = ep.tournament([TFT, ALLD], turns=3, repetitions=reps, regime=regime, seed=2)
    assert sim.payoff_std.loc[ALLD, TFT] > 0.0
    expected = (GROSS_ALLD - 3 * F * 0.3) / 3
    se = sim.payoff_std.loc[ALLD, TFT] / np.sqrt(reps)
    assert abs(sim.payoffs.loc[ALLD, TFT] - expected) < 5 * se
    assert sim.turns_played.loc[ALLD, TFT] == 3 * reps


@pytest.mark.parametrize("fine_to", DESTINATIONS)
def test_a_regime_changes_payoffs_but_never_the_moves(fine_to):
    # the detections come from their own streams: with the same seed the moves (hence the
    # cooperation and the game payoffs) are those of the bare tournament, and the net payoff
    # is the game payoff - fines paid + fines received + rewards, entry by entry
    strategies = _memory_one_set(5, seed=3)
    kw = dict(turns=30, repetitions=20, noise=0.1, seed=7)
    bare = ep.tournament(strategies, **kw)
    regime = ep.Regime(fine=F, reward=B, detection=0.6, norm="unjustified", fine_to=fine_to)
    t = ep.tournament(strategies, regime=regime, **kw)
    np.testing.assert_array_equal(t.cooperation.to_numpy(), bare.cooperation.to_numpy())
    s = t.sanctions
    k = len(strategies)
    net = (bare.payoffs.to_numpy()
           - (s.fines_paid - s.fines_received - s.rewards).to_numpy().reshape(k, k))
    np.testing.assert_allclose(t.payoffs.to_numpy(), net, atol=1e-12)
    assert s.fines_paid.sum() > 0.0


def test_fines_are_conserved_by_their_destination():
    # what the players pay is what they receive (victim, group), what the institution collects
    # (institution), or lost (burned)
    strategies = _memory_one_set(4, seed=9)
    for fine_to in DESTINATIONS:
        regime = ep.Regime(fine=F, detection=0.5, fine_to=fine_to)
        s = ep.tournament(strategies, turns=10, noise=0.05, method="exact",
                          regime=regime).sanctions
        paid, got, inst = s.fines_paid.sum(), s.fines_received.sum(), s.to_institution.sum()
        assert paid > 0.0
        expected = {"burned": (0.0, 0.0), "victim": (paid, 0.0), "group": (paid, 0.0),
                    "institution": (0.0, paid)}[fine_to]
        assert (got, inst) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_seeded_sanctions_are_the_same_whatever_the_thread_count(two_thread_pool):
    runs = two_thread_pool("""
        strategies = ep.library.all_strategies()[:20]
        regime = ep.Regime(fine=2.0, reward=0.5, detection=0.3, norm="unjustified",
                           fine_to="victim")
        for threads in (1, 2):
            t = ep.tournament(strategies, turns=30, repetitions=3, noise=0.05, seed=42,
                              threads=threads, regime=regime)
            results[f"payoffs_{threads}"] = t.payoffs.to_numpy()
            results[f"fines_{threads}"] = t.sanctions.fines_paid.to_numpy()
    """)
    np.testing.assert_array_equal(runs["payoffs_1"], runs["payoffs_2"])
    np.testing.assert_array_equal(runs["fines_1"], runs["fines_2"])


def test_without_a_regime_the_sanctions_are_zero():
    t = ep.tournament([TFT, ALLD], turns=3, method="exact")
    assert list(t.sanctions.columns) == ["fines_paid", "fines_received", "rewards",
                                         "to_institution"]
    assert t.sanctions.index.names == ["player", "opponent"]
    assert (t.sanctions.to_numpy() == 0.0).all()
    # a regime whose only mechanisms act on the population leaves the matches alone
    taxed = ep.tournament([TFT, ALLD], turns=3, method="exact", regime=ep.Regime(tax=0.5))
    np.testing.assert_array_equal(taxed.payoffs.to_numpy(), t.payoffs.to_numpy())


def test_regime_refuses_unknown_norm_and_destination():
    with pytest.raises(ValueError, match="Regime.norm must be one of"):
        ep.Regime(norm="image scoring")
    with pytest.raises(ValueError, match="Regime.fine_to must be one of"):
        ep.Regime(fine_to="charity")
    assert ep.Regime().replace(norm="unjustified").norm == "unjustified"
    # the public names sit at their codes
    assert codes.NORMS[codes.NORM_UNJUSTIFIED] == "unjustified"
    assert codes.FINE_DESTINATIONS[codes.FINE_TO_INSTITUTION] == "institution"


def test_tournament_refuses_a_switch_and_a_non_regime():
    with pytest.raises(ValueError, match="regime.switch"):
        ep.tournament([TFT, ALLD], turns=3, regime=ep.Regime(fine=1.0, detection=1.0,
                                                              switch=0.5))
    with pytest.raises(TypeError, match="regime must be a Regime"):
        ep.tournament([TFT, ALLD], turns=3, regime={"fine": 1.0})


def test_tournament_refuses_sanctions_on_axelrod_players_that_are_not_automata(axl):
    with pytest.raises(ValueError, match="regime acts inside matches.*Gradual"):
        ep.tournament([TFT, axl.Gradual()], turns=5,
                      regime=ep.Regime(fine=1.0, detection=1.0))


def test_geometric_sanctions_agree_between_the_series_and_the_restart_chain():
    # kernels.markov.discounted sums a truncated series on small chains and solves the
    # restart chain (GTH) on large ones; the next-round sanction columns must come out the
    # same both ways (prob_end g0 + delta mu h against g0 + delta sum_t delta^t pi_t h)
    from evopolity.kernels import markov, sanctions
    from evopolity.play.strategies.automaton import PackedStrategies

    pair = [ep.library.get("Evolved FSM 16"), ep.library.get("TF1")]
    packed = PackedStrategies(pair)
    fines, rewards = sanctions.sanction_tables(codes.NORM_UNJUSTIFIED, False, F, B)
    n, succ, prob, values, defect = markov.product_chain(
        packed.p_coop, packed.next_state, 0, packed.offsets[1], packed.sizes[0],
        packed.sizes[1], ep.PrisonersDilemma().matrix, 0.05, codes.N_SANCTIONED_EXACT_OUT,
    )
    assert n > 100  # large enough for the restart chain
    first = np.zeros(4)
    markov.next_round_sanctions(n, succ, prob, values, defect, fines, rewards, 0.6, first)
    p = 0.3
    gth = np.zeros(codes.N_SANCTIONED_EXACT_OUT)
    markov.discounted(n, succ, prob, values, p, gth, first)
    series = np.zeros(codes.N_SANCTIONED_EXACT_OUT)
    markov.finite_horizon(n, succ, prob, values, 200, 1 - p, series, first)  # 0.7^200 ~ 1e-31
    np.testing.assert_allclose(gth, series, rtol=1e-10, atol=1e-13)
    assert gth[codes.FINE_I] > 0.0 and gth[codes.REWARD_J] > 0.0
