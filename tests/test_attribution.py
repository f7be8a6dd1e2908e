"""Attribution of an outcome's difference between two regimes to their differing fields.

Constructed outcomes whose decomposition is known exactly: an additive one (each field's
Shapley value is its own part, interactions 0) and a product (for v = fine * reward from
(0, 0) to (F, R): v({}) = v({fine}) = v({reward}) = 0, v(both) = F R, so each field gets
F R / 2 and the interaction index is F R). Shapley (1953); Grabisch (1997) for the index.
"""


import numpy as np
import pytest

import evopolity as ep

A = ep.Regime(name="a")
B = ep.Regime(name="b", fine=2.0, reward=3.0, tax=0.25, description="other")


def test_additive_outcome_decomposes_into_its_parts():
    at = ep.attribute(A, B, lambda r: 5 * r.fine - 4 * r.reward + 8 * r.tax)
    assert sorted(at.fields.index) == ["fine", "reward", "tax"]  # name, description ignored
    assert at.fields.loc["fine", "shapley"] == pytest.approx(10.0)
    assert at.fields.loc["reward", "shapley"] == pytest.approx(-12.0)
    assert at.fields.loc["tax", "shapley"] == pytest.approx(2.0)
    assert at.total == pytest.approx(0.0)
    assert at.fields["shapley"].to_numpy() == pytest.approx(at.fields["alone"].to_numpy())
    assert np.isnan(at.fields["share"]).all()  # a total of 0 has no shares
    assert at.interactions.interaction.to_numpy() == pytest.approx(np.zeros(3), abs=1e-12)
    assert len(at.outcomes) == 8


def test_product_outcome_splits_evenly_with_its_interaction():
    at = ep.attribute(A, B, lambda r: r.fine * r.reward, fields=["fine", "reward"])
    assert at.total == pytest.approx(6.0)
    assert at.fields.shapley.to_dict() == pytest.approx({"fine": 3.0, "reward": 3.0})
    assert at.fields.share.to_dict() == pytest.approx({"fine": 0.5, "reward": 0.5})
    assert at.fields.alone.to_dict() == pytest.approx({"fine": 0.0, "reward": 0.0})
    assert at.interactions.interaction.item() == pytest.approx(6.0)
    assert at.fields.loc["fine", "from"] == 0.0 and at.fields.loc["fine", "to"] == 2.0


def test_three_way_product_shares_and_efficiency():
    # v = fine * reward * tax: only the full set is non-zero, each field gets a third, and
    # each pair's interaction index is F R T / 2 (the one subset S = {third}, weight 1/2)
    at = ep.attribute(A, B, lambda r: r.fine * r.reward * r.tax)
    full = 2.0 * 3.0 * 0.25
    assert at.fields.shapley.to_numpy() == pytest.approx([full / 3] * 3)
    assert at.fields.shapley.sum() == pytest.approx(at.total)
    assert at.interactions.interaction.to_numpy() == pytest.approx([full / 2] * 3)


def test_attribution_of_a_real_run():
    # cooperation at the end of a replicator run of the prisoner's dilemma under a fine:
    # switching detection alone does nothing with no fine, and vice versa
    C = [[1, 1], [0, 0]]

    def cooperation(r):
        tr = ep.replicator([[3, 0], [5, 1]], x0=[0.5, 0.5], t_max=50, regime=r, cooperation=C)
        return float(tr.final().iloc[0])

    at = ep.attribute(ep.Regime(), ep.Regime(fine=5.0, detection=1.0), cooperation)
    assert at.total > 0.9
    assert at.fields.alone.to_numpy() == pytest.approx([0.0, 0.0], abs=1e-6)
    assert at.fields.shapley.to_numpy() == pytest.approx([at.total / 2] * 2)
    assert at.interactions.interaction.item() == pytest.approx(at.total)


def test_attribution_refusals():
    many = ep.Regime(fine=1, detection=0.5, reward=1, tax=0.1, cost=1, conformity=1,
                     mutation=0.01, feedback=1, decay=0.1)
    with pytest.raises(ValueError, match="at most 8"):
        ep.attribute(ep.Regime(), many, lambda r: 0.0, method="exact")
    with pytest.raises(ValueError, match="method"):
        ep.attribute(A, B, lambda r: 0.0, method="monte carlo")
    with pytest.raises(ValueError, match="samples"):
        ep.attribute(A, B, lambda r: 0.0, method="sampled", samples=1)
    with pytest.raises(ValueError, match="fields"):
        ep.attribute(A, B, lambda r: 0.0, fields=["fines"])
    with pytest.raises(TypeError, match="regime_b"):
        ep.attribute(A, "b", lambda r: 0.0)
    with pytest.raises(TypeError, match="outcome"):
        ep.attribute(A, B, lambda r: "high")


def test_the_main_jobs_attribution_only_builds_regimes_that_exist():
    # the main job attributes the difference between the default spec's first regime and its
    # first co-evolving one over groups of fields; a hybrid that takes a group's lead field (as
    # `attribute` builds it) or the whole group must be a valid Regime, or the section is lost
    # (funding="support" without its law of feedback and decay is no regime)
    import dataclasses
    import itertools

    from evopolity.experiments.analyses import _groups
    from evopolity.experiments.spec import load_spec

    spec = load_spec()
    a = spec.regimes[0]
    b = next(r for r in spec.regimes[1:] if r.coevolves)
    groups = _groups(a, b)
    assert "institution dynamics" in groups and "funding" in groups["institution dynamics"]
    for k in range(len(groups) + 1):
        for chosen in itertools.combinations(groups, k):
            for lead_only in (True, False):
                dataclasses.replace(a, **{f: getattr(b, f) for m in chosen
                                          for f in (groups[m][:1] if lead_only else groups[m])})
