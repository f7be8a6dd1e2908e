"""Tournaments: evopolity against axelrod and against tight loops, side by side in one run.

    python benchmarks/bench_tournament.py            # full run (axelrod part: ~1-3 minutes)
    python benchmarks/bench_tournament.py --quick    # fewer rounds, for a smoke test

(a) axelrod's basic strategies, 200 turns x 10 repetitions, axelrod building its results as
    a user sees them; our call converts axelrod's players and builds the payoff DataFrame;
(b) 20 memory-one strategies, noise 0.05, 200 turns x 10 repetitions;
(c) the match kernel on one thread against a tight loop for the same work (two memory-one
    automata, noise folded into one draw, splitmix64), both plain loops on one thread;
(d) 200 strategies (the library's 64 plus random memory-one ones), 200 turns x 10
    repetitions, noise 0.01, on every thread, against the same tight loop on every thread;
(e) what a parallel region costs: an empty 2-thread ``prange`` back to back and after 20 ms
    idle, and our kernel on one thread against threads at the work threshold
    (``kernels.match.PARALLEL_TURNS``), each call after 20 ms idle;
(f) exact payoffs (limit of means) of all pairs of 200 memory-one strategies.

Every ratio is a median over interleaved rounds (``timing.interleaved``), its 10-90% spread
beside it: the machine may be shared, and two calls timed moments apart meet the same load.
Before timing, each fast path is checked against the general one (the pair kernel against
``play_pair`` pair by pair, threads against one thread, a cached strategy list against a fresh
one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numba
import numpy as np
from timing import interleaved, record, save_results, spread

import evopolity as ep
from evopolity.kernels import codes, match
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float
from evopolity.play import tournament as tournament_module
from evopolity.play.strategies.automaton import PackedStrategies

SECTION = "Tournaments"


def axelrod_tournament(players, turns, repetitions, noise):
    """A callable that plays axelrod's tournament and builds its results (as a user does)."""
    import axelrod as axl

    def run():
        with tempfile.TemporaryDirectory() as tmp:
            tournament = axl.Tournament(players, turns=turns, repetitions=repetitions,
                                        noise=noise, seed=1)
            return tournament.play(filename=os.path.join(tmp, "t.csv"), processes=None,
                                   progress_bar=False)

    return run


def tight_loop(p, n_pairs, turns, repetitions, noise, seed, out):
    """The tightest loop we can write for noisy memory-one matches: no automaton tables."""
    flip = 1.0 - 2.0 * noise
    for k in numba.prange(n_pairs):
        total = 0.0
        for rep in range(repetitions):
            counter = stream_key(seed, k, rep)
            a = 0
            b = 0
            for _ in range(turns):
                qa = p[k % p.shape[0], 2 * a + b] * flip + noise
                qb = p[(k + 1) % p.shape[0], 2 * b + a] * flip + noise
                counter += GOLDEN
                a = 0 if unit_float(counter) < qa else 1
                counter += GOLDEN
                b = 0 if unit_float(counter) < qb else 1
                total += a - b
        out[k] = total


ceiling_one_thread = numba.njit(cache=False)(tight_loop)  # prange is range here
ceiling_threads = numba.njit(parallel=True, cache=False)(tight_loop)


@numba.njit(parallel=True, cache=False)
def empty_region(out):
    for k in numba.prange(2):
        out[k] = k


def random_memory_one(n: int, seed: int) -> list[ep.Strategy]:
    rng = np.random.default_rng(seed)
    return [ep.memory_one(rng.random(4), rng.random(), name=f"M1 #{k}") for k in range(n)]


def ratio_row(work, name_ours, name_ref, times, goal="", target=None, note=""):
    """Print and record ``reference / ours`` per round: median and 10-90% spread."""
    ratios = [r / o for o, r in zip(times[name_ours], times[name_ref], strict=True)]
    med, lo, hi = spread(ratios)
    ours = statistics.median(times[name_ours])
    ref = statistics.median(times[name_ref])
    shown = f"{med:.0f}x" if med >= 10 else f"{med:.2f}"
    print(f"  {work:58s} {shown:>8s}  [10%..90%] {lo:.3g}..{hi:.3g}  ours {fmt_s(ours)}, "
          f"reference {fmt_s(ref)}  {goal}{note}")
    record(SECTION, work, med, ours=fmt_s(ours), reference=fmt_s(ref),
           spread=f"[10%..90%] {lo:.3g}..{hi:.3g}", goal=goal,
           met=None if target is None else med >= target)
    return med


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def check_pairs_kernel(strategies, turns, prob_end, noise, repetitions) -> None:
    """The pair kernel (serial and on threads) against ``play_pair``, pair by pair."""
    packed = PackedStrategies(strategies)
    pair_i, pair_j = (a.astype(np.int64) for a in np.triu_indices(len(strategies)))
    game, seed = ep.PrisonersDilemma().matrix, np.uint64(7)
    args = (packed.p_coop, packed.next_state, packed.offsets, packed.deterministic, pair_i,
            pair_j, game, turns, prob_end, noise, repetitions, seed)
    fast = np.zeros((pair_i.size, codes.N_MATCH_OUT))
    match.play_pairs(*args, fast)
    threaded = np.zeros_like(fast)
    match.play_pairs_parallel(*args, threaded)
    general = np.zeros_like(fast)
    for k, (i, j) in enumerate(zip(pair_i, pair_j, strict=True)):
        once = noise == 0.0 and prob_end == 0.0 and packed.deterministic[i] and \
            packed.deterministic[j]
        match.play_pair(packed.p_coop, packed.next_state, packed.offsets[i], packed.offsets[j],
                        game, turns, prob_end, noise, 1 if once else repetitions,
                        np.uint64(stream_key(seed, i, j)), general[k])
        general[k, codes.TURNS] *= repetitions if once else 1
    assert np.array_equal(fast, general), "play_pairs differs from play_pair"
    assert np.array_equal(threaded, general), "play_pairs_parallel differs from play_pair"


def after_idle(fn, idle=0.02):
    """``fn`` preceded by ``idle`` seconds of sleep (untimed when used in ``idle_times``)."""
    times = []

    def run():
        time.sleep(idle)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)

    return run, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    import axelrod as axl

    quick = args.quick
    reps = 10
    threads = numba.get_num_threads()
    print(f"evopolity {ep.__version__}, axelrod {axl.__version__}, numba {numba.__version__}, "
          f"{threads} numba threads, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")

    # -- checks before timing (they also compile every kernel timed below) ------------------
    mixed = random_memory_one(5, seed=9) + [ep.library.get(n) for n in (
        "Evolved FSM 4", "Tit For Tat", "Alternator", "Grudger")]
    for turns, prob_end, noise, r in [(200, 0.0, 0.01, 10), (200, 0.0, 0.0, 10),
                                      (50, 0.05, 0.02, 5)]:
        check_pairs_kernel(mixed, turns, prob_end, noise, r)
    basic = [c() for c in axl.basic_strategies]
    cached = ep.tournament(basic, turns=200, repetitions=reps, seed=1)
    tournament_module._PREPARED.clear()
    fresh = ep.tournament(basic, turns=200, repetitions=reps, seed=1)
    assert cached.payoffs.equals(fresh.payoffs), "a cached strategy list differs"
    many = ep.library.all_strategies() + random_memory_one(200 - 64, seed=3)
    one = ep.tournament(many[:40], turns=200, repetitions=3, noise=0.01, seed=1, threads=1)
    old_threshold = match.PARALLEL_TURNS
    match.PARALLEL_TURNS = 0
    on_threads = ep.tournament(many[:40], turns=200, repetitions=3, noise=0.01, seed=1)
    match.PARALLEL_TURNS = old_threshold
    assert one.payoffs.equals(on_threads.payoffs), "threads change the results"
    print("checked: pair kernel == play_pair (serial and threads), cached == fresh list, "
          "threads == one thread")
    print()

    rounds = 3 if quick else 7
    # -- (a) basic strategies ---------------------------------------------------------------
    print(f"(a)-(b) against axelrod (axelrod builds its results), {rounds} interleaved rounds")

    def ours_basic():
        return ep.tournament(basic, turns=200, repetitions=reps, seed=1).payoffs

    times = {"axelrod": [], "evopolity": []}
    ax_basic = axelrod_tournament(basic, 200, reps, 0.0)
    for _ in range(rounds):  # one axelrod run (seconds), then a median of many of ours
        times["axelrod"].append(interleaved({"a": ax_basic}, 1, 1)["a"][0])
        times["evopolity"].append(interleaved({"e": ours_basic}, 1, 200)["e"][0])
    ratio_row(f"(a) basic, 200 turns x {reps}", "evopolity", "axelrod", times,
              goal=">= 2,000x (median)", target=2000)
    call = statistics.median(times["evopolity"])
    _, lo, hi = spread(times["evopolity"])
    print(f"  {'(a) basic tournament call, end to end (median of rounds)':58s} "
          f"{call * 1e6:7.1f} us  [10%..90%] {lo * 1e6:.0f}..{hi * 1e6:.0f} us  "
          f"goal <= 150 us")
    record(SECTION, "(a) basic tournament call, end to end", None, ours=fmt_s(call),
           spread=f"[10%..90%] {lo * 1e6:.0f}..{hi * 1e6:.0f} us", goal="<= 150 us",
           met=call <= 150e-6)
    # where the time of one call goes
    prepared = tournament_module._prepare(basic)
    packed, pair_i, pair_j = prepared.packed, prepared.pair_i, prepared.pair_j
    out = np.zeros((pair_i.size, codes.N_MATCH_OUT))
    key = np.uint64(1)
    matrix = ep.PrisonersDilemma().matrix

    def kernel():
        match.play_pairs(packed.p_coop, packed.next_state, packed.offsets,
                         packed.deterministic, pair_i, pair_j, matrix, 200, 0.0, 0.0, reps,
                         key, out)

    def no_frame():
        return ep.tournament(basic, turns=200, repetitions=reps, seed=1)

    parts = interleaved({"kernel": kernel, "call": no_frame, "frame": ours_basic},
                        rounds * 3, 100)
    k_med = statistics.median(parts["kernel"])
    c_med = statistics.median(parts["call"])
    f_med = statistics.median(parts["frame"])
    print(f"  of which: kernel {k_med * 1e6:.1f} us, the rest of the call "
          f"{(c_med - k_med) * 1e6:.1f} us, the payoff DataFrame {(f_med - c_med) * 1e6:.1f} us")
    record(SECTION, "(a) basic: the kernel alone", None, ours=fmt_s(k_med))
    record(SECTION, "(a) basic: the payoff DataFrame", None, ours=fmt_s(f_med - c_med))

    # -- (b) 20 memory-one strategies with noise 0.05 ----------------------------------------
    m1 = random_memory_one(20, seed=2)
    m1_ax = [axl.MemoryOnePlayer(tuple(s.params["p"]), axl.Action.C) for s in m1]
    for player, s in zip(m1_ax, m1, strict=True):
        player.name = s.name
    m1_ep = [ep.memory_one(s.params["p"], "C", name=s.name) for s in m1]
    ax_m1 = axelrod_tournament(m1_ax, 200, reps, 0.05)

    def ours_m1():
        return ep.tournament(m1_ep, turns=200, repetitions=reps, noise=0.05, seed=1).payoffs

    times = {"axelrod": [], "evopolity": []}
    for _ in range(max(2, rounds // 2)):
        times["axelrod"].append(interleaved({"a": ax_m1}, 1, 1)["a"][0])
        times["evopolity"].append(interleaved({"e": ours_m1}, 1, 20)["e"][0])
    ratio_row(f"(b) 20 memory-one, noise 0.05, 200 turns x {reps}", "evopolity", "axelrod",
              times)
    print()

    # -- (c) the match kernel against the tight loop, one thread ----------------------------
    n = 40
    strategies = random_memory_one(n, seed=4)
    packed = PackedStrategies(strategies)
    pair_i, pair_j = (a.astype(np.int64) for a in np.triu_indices(n))
    out = np.zeros((pair_i.size, codes.N_MATCH_OUT))
    p = np.random.default_rng(4).random((n, 4))
    ceiling_out = np.zeros(pair_i.size)
    turns_played = pair_i.size * 200 * reps

    def ours_kernel():
        match.play_pairs(packed.p_coop, packed.next_state, packed.offsets,
                         packed.deterministic, pair_i, pair_j, matrix, 200, 0.0, 0.01, reps,
                         key, out)

    def ceiling():
        ceiling_one_thread(p, pair_i.size, 200, reps, 0.01, key, ceiling_out)

    ceiling()
    print(f"(c) the match kernel on one thread, {n} memory-one strategies, noise 0.01: "
          f"{turns_played / 1e6:.2f} M turns a call")
    times = interleaved({"ours": ours_kernel, "ceiling": ceiling}, 5 if quick else 15, 3)
    rate = turns_played / statistics.median(times["ours"]) / 1e6
    rate_c = turns_played / statistics.median(times["ceiling"]) / 1e6
    ratio_row("(c) match kernel / tight loop, one thread", "ours", "ceiling", times,
              goal=">= 0.60", target=0.60, note=f"  ({rate:.0f} vs {rate_c:.0f} M turns/s)")
    print()

    # -- (d) 200 strategies on every thread against the tight loop on every thread -------------
    pairs = len(many) * (len(many) + 1) // 2
    turns_played = pairs * 200 * reps

    def ours_many():
        return ep.tournament(many, turns=200, repetitions=reps, noise=0.01, seed=1)

    def ceiling_many():
        ceiling_threads(p, pairs, 200, reps, 0.01, key, np.zeros(pairs))

    result = ours_many()
    assert np.triu(result.turns_played.to_numpy()).sum() == turns_played
    ceiling_many()
    print(f"(d) {len(many)} strategies (64 library + {len(many) - 64} memory-one), 200 turns x "
          f"{reps}, noise 0.01: {pairs} pairs, {turns_played / 1e6:.1f} M turns, "
          f"{threads} threads")
    times = interleaved({"ours": ours_many, "ceiling": ceiling_many}, 3 if quick else 5, 1)
    ratio_row("(d) 200 strategies / tight loop, every thread", "ours", "ceiling", times,
              note=f"  ({turns_played / statistics.median(times['ours']) / 1e6:.0f} M turns/s)")
    print()

    # -- (e) parallel regions ----------------------------------------------------------------
    region = np.zeros(2)
    empty_region(region)
    back = interleaved({"e": lambda: empty_region(region)}, 1, 200)["e"][0]
    idle_run, idle_times = after_idle(lambda: empty_region(region))
    for _ in range(20 if quick else 60):
        idle_run()
    med, _, p90 = spread(idle_times)
    print(f"(e) an empty 2-thread prange: {back * 1e6:.1f} us back to back, median "
          f"{med * 1e6:.0f} us (90th percentile {p90 * 1e6:.0f} us) after 20 ms idle")
    record(SECTION, "(e) empty 2-thread prange after 20 ms idle", None, ours=fmt_s(med),
           reference=f"back to back {fmt_s(back)}", spread=f"90th percentile {fmt_s(p90)}")
    # a call of about PARALLEL_TURNS turns, serial against threads, each after 20 ms idle
    size = max(2, int(np.sqrt(2 * match.PARALLEL_TURNS / (200 * reps))))
    sp_i, sp_j = (a.astype(np.int64) for a in np.triu_indices(size))
    work = sp_i.size * 200 * reps
    args_ = (packed.p_coop, packed.next_state, packed.offsets, packed.deterministic, sp_i, sp_j,
             matrix, 200, 0.0, 0.01, reps, key, np.zeros((sp_i.size, codes.N_MATCH_OUT)))
    serial_run, serial_times = after_idle(lambda: match.play_pairs(*args_))
    thread_run, thread_times = after_idle(lambda: match.play_pairs_parallel(*args_))
    for _ in range(10 if quick else 30):
        serial_run()
        thread_run()
    ratio_row(f"(e) one thread / threads at {work / 1e6:.2f} M turns, after idle", "threads",
              "one thread", {"threads": thread_times, "one thread": serial_times},
              note=f"  (threshold {match.PARALLEL_TURNS / 1e6:.2f} M turns; > 1: threads win)")
    print()

    # -- (f) exact limit-of-means payoffs of 200 memory-one strategies -----------------------
    m200 = random_memory_one(200, seed=5)
    ep.tournament(m200[:3], turns=None, noise=0.01, method="exact")
    exact = interleaved({"e": lambda: ep.tournament(m200, turns=None, noise=0.01,
                                                     method="exact")}, 3, 1)["e"]
    t_exact = statistics.median(exact)
    print(f"(f) exact limit of means, 200 memory-one with noise 0.01: {pairs} pairs in "
          f"{t_exact * 1e3:.1f} ms = {pairs / t_exact / 1e6:.2f} M pairs/s")
    record(SECTION, "(f) exact limit of means, 200 memory-one", None,
           ours=f"{pairs / t_exact / 1e6:.2f} M pairs/s")
    save_results("bench_tournament")


if __name__ == "__main__":
    main()
