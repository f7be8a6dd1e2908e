"""The update rules of finite populations, once: Moran fitness and Fermi imitation.

Every finite-population kernel (the simulations of :mod:`kernels.finite`, the closed forms of
:mod:`kernels.analytical` and :mod:`kernels.group`) computes its transition probabilities from
these, given the payoffs of the types involved; they differ only in how those payoffs come
about (a matrix game or a group game; counts or a pair of types).

* Moran, birth proportional to fitness and uniform death, with ``selection = w`` and one of two
  maps from payoff to fitness: ``rule = MORAN_EXP``, ``f = exp(w pi)`` (Traulsen, Shoresh &
  Nowak 2008), which a constant added to every payoff leaves unchanged (it multiplies every
  fitness by the same factor), or ``rule = MORAN``, ``f = 1 - w + w pi`` (Nowak et al. 2004),
  which a constant changes (it acts as a change of ``w``) and which must stay positive. For
  ``j`` mutants (payoff ``pi_A``) among ``N - j`` residents (``pi_B``)
  ``T+(j) = j f_A / (j f_A + (N-j) f_B) (N-j)/N`` and ``T-(j) = (N-j) f_B / (...) j/N``.
* Fermi (``rule = FERMI``, Traulsen et al. 2006): a focal individual imitates a model with
  probability ``1 / (1 + exp(-beta (pi_model - pi_focal)))``, ``selection = beta``; focal and
  model drawn without replacement, ``T+-(j) = j (N-j) / (N (N-1)) / (1 + exp(-+beta (pi_A -
  pi_B)))``.

The fixation probability of one mutant, ``rho = 1 / (1 + sum_{q=1}^{N-1} prod_{j<=q}
gamma_j)`` with ``gamma_j = T-(j) / T+(j)``, is summed in log space (:func:`log_fixation`), so
that 1e-30 comes out as 1e-30, not 0.
"""

import math

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import FERMI, MORAN


@jit(inline="always")
def moran_fitness(selection, payoff):
    """Linear Moran fitness ``1 - w + w pi`` at intensity of selection ``w``."""
    return 1.0 - selection + selection * payoff


@jit(inline="always")
def birth_fitness(rule, selection, payoff, top):
    """Moran fitness of ``payoff``: ``1 - w + w pi`` (``MORAN``) or ``exp(w (pi - top))``
    (``MORAN_EXP``; ``top`` a payoff of the population, usually the largest, so that the
    exponential cannot overflow: birth probabilities are ratios of fitnesses, which a common
    factor ``exp(-w top)`` leaves unchanged)."""
    if rule == MORAN:
        return 1.0 - selection + selection * payoff
    return math.exp(selection * (payoff - top))


@jit(inline="always")
def imitation(weight, selection, gain):
    """``weight`` times the Fermi probability ``1 / (1 + exp(-beta gain))`` of copying a model
    that earns ``gain`` more than the focal individual (``selection = beta``)."""
    return weight / (1.0 + math.exp(-selection * gain))


@jit()
def log_gamma(rule, selection, pi_a, pi_b):
    """``log(T-(j) / T+(j))`` when the mutants earn ``pi_a`` and the residents ``pi_b``."""
    if rule == MORAN:
        return math.log(moran_fitness(selection, pi_b)) - math.log(
            moran_fitness(selection, pi_a)
        )
    return -selection * (pi_a - pi_b)  # Fermi, and Moran with exp(w pi): the same ratio


@jit()
def transitions(rule, selection, N, j, pi_a, pi_b):
    """``(T+(j), T-(j))``, the probabilities that the ``j`` mutants (``0 < j < N``) gain or
    lose one in an event without mutation."""
    if rule != FERMI:
        top = max(pi_a, pi_b)
        fa = birth_fitness(rule, selection, pi_a, top)
        fb = birth_fitness(rule, selection, pi_b, top)
        tot = j * fa + (N - j) * fb
        return j * fa / tot * (N - j) / N, (N - j) * fb / tot * j / N
    base = j * (N - j) / (N * (N - 1.0))
    return imitation(base, selection, pi_a - pi_b), imitation(base, selection, pi_b - pi_a)


@jit()
def log_fixation(lg):
    """``log rho = -log(1 + sum_{q=1}^{N-1} exp(sum_{j<=q} lg[j]))`` from the log gammas
    ``lg[1..N-1]`` (``N = lg.size``; ``lg[0]`` unused), scaled by the largest running sum so
    that no term overflows."""
    N = lg.size
    acc = 0.0
    top = 0.0
    for j in range(1, N):
        acc += lg[j]
        if acc > top:
            top = acc
    acc = 0.0
    s = math.exp(-top)  # the q = 0 term, exp(0)
    for j in range(1, N):
        acc += lg[j]
        s += math.exp(acc - top)
    return -(top + math.log(s))
