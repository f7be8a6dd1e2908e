"""The update rules of finite populations, once: Moran fitness and Fermi imitation.

Every finite-population kernel (the simulations of :mod:`kernels.finite`, the closed forms of
:mod:`kernels.analytical` and :mod:`kernels.group`) computes its transition probabilities from
these, given the payoffs of the types involved; they differ only in how those payoffs come
about (a matrix game or a group game; counts or a pair of types).

* Moran (``rule = MORAN``, Nowak et al. 2004): fitness ``f = 1 - w + w pi`` with
  ``selection = w``; for ``j`` mutants (payoff ``pi_A``) among ``N - j`` residents (``pi_B``)
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
from evopolity.kernels.codes import MORAN


@jit(inline="always")
def moran_fitness(selection, payoff):
    """Moran fitness ``1 - w + w pi`` at intensity of selection ``w``."""
    return 1.0 - selection + selection * payoff


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
    return -selection * (pi_a - pi_b)


@jit()
def transitions(rule, selection, N, j, pi_a, pi_b):
    """``(T+(j), T-(j))``, the probabilities that the ``j`` mutants (``0 < j < N``) gain or
    lose one in an event without mutation."""
    if rule == MORAN:
        fa = moran_fitness(selection, pi_a)
        fb = moran_fitness(selection, pi_b)
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
