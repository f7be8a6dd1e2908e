"""The integer codes and output columns shared by the kernels and the Python layer, defined once.

Kernels take plain integers (numba compiles one function for every value), so every choice a
caller makes (an update rule, a fitness model, an integration scheme) and every column of a
kernel's output has its number here, and both sides import it from here. The packed
parameter arrays (where each field sits) are in :mod:`evopolity.kernels.layout`.
"""

__all__ = [
    "MORAN", "FERMI", "MORAN_EXP",
    "NO_MUTATION", "FITNESS_WEIGHTED", "INDEPENDENT",
    "LINEAR", "INSTITUTIONS", "GROUP", "GROUP_INSTITUTIONS",
    "EXPLICIT", "AUTO", "IMPLICIT",
    "DONE", "AT_REST", "MAX_STEPS", "STEP_TOO_SMALL",
    "PAYOFF_I", "PAYOFF_J", "COOP_I", "COOP_J", "FINE_I", "FINE_J", "REWARD_I", "REWARD_J",
    "STD_I", "STD_J", "TURNS",
    "N_MATCH_OUT", "N_EXACT_OUT", "N_SANCTIONED_EXACT_OUT", "LIMIT_OF_MEANS",
    "NORM_ANY", "NORM_UNJUSTIFIED", "NORMS",
    "FINE_BURNED", "FINE_TO_VICTIM", "FINE_TO_GROUP", "FINE_TO_INSTITUTION", "FINE_DESTINATIONS",
    "FIRST_ROUND", "N_CONTEXTS",
    "GRAPH_BD", "GRAPH_DB", "GRAPH_IMITATION", "GRAPH_FERMI", "GRAPH_BEST", "GRAPH_AVERAGED",
    "GRAPH_SELF",
]  # fmt: skip

# -- finite populations: the update rule (``rule``) -----------------------------------------
MORAN = 0  # birth proportional to fitness 1 - w + w pi, uniform death (Nowak et al. 2004)
FERMI = 1  # pairwise comparison, imitation 1 / (1 + exp(-beta (pi_model - pi_focal)))
MORAN_EXP = 2  # birth proportional to fitness exp(w pi), uniform death (Traulsen et al. 2008)

# -- the replicator's mutation (``mutate``; kernels.velocity.rhs) ---------------------------
NO_MUTATION = 0  # dx_i/dt = x_i (f_i - phi)
FITNESS_WEIGHTED = 1  # mutation at birth: sum_j x_j f_j Q_ji - x_i phi (Page & Nowak 2002)
INDEPENDENT = 2  # x_i (f_i - phi) + sum_j x_j Q_ji - x_i (Crow & Kimura 1970)

# -- fitness models of the dynamics kernels (``model``; kernels.fitness) --------------------
LINEAR = 0  # f = A x
INSTITUTIONS = 1  # a regime on a matrix game: layout.regime_array
GROUP = 2  # a group game's expected payoffs: layout.group_game_array
GROUP_INSTITUTIONS = 3  # a regime on a group game: layout.group_regime_array

# -- schemes of kernels.replicator.integrate (``scheme``) -----------------------------------
EXPLICIT = 0  # Dormand--Prince 5(4)
AUTO = 1  # Dormand--Prince, RODAS4 while the problem is stiff
IMPLICIT = 2  # RODAS4

# -- status returned by the replicator's integrators ----------------------------------------
DONE = 0  # every requested time reached
AT_REST = 1  # stopped at a rest point; later rows repeat it
MAX_STEPS = 2  # gave up after the most steps allowed; rows not reached are NaN
STEP_TOO_SMALL = 3  # the step fell below round-off of t; rows not reached are NaN

# -- columns of a pair's row (kernels.match: simulated; kernels.markov: exact, the first four
# or eight). Under a regime played inside the match the payoffs are net of sanctions and
# FINE_* / REWARD_* hold the per-turn fines paid and rewards received (kernels.sanctions);
# without one those columns stay 0.
PAYOFF_I, PAYOFF_J, COOP_I, COOP_J, FINE_I, FINE_J, REWARD_I, REWARD_J = range(8)
STD_I, STD_J, TURNS = 8, 9, 10
N_MATCH_OUT = 11  # the width of every pair's row; a simulated match fills every column
N_EXACT_OUT = 4  # an exact one fills PAYOFF_I..COOP_J (no sampling spread, no turn count)
N_SANCTIONED_EXACT_OUT = 8  # ... and FINE_I..REWARD_J under a regime

# -- norms: which detected moves an institution inside a match fines (``Regime.norm``) ------
# A norm judges a move in its context: the previous round's moves (kernels.sanctions builds
# its table). A norm that needs more (a reputation: image scoring, stern judging) gets a code
# here, a table row per context it needs, and that state in the product chain.
NORM_ANY = 0  # every detected defection
NORM_UNJUSTIFIED = 1  # a detected defection unless the opponent defected the round before
NORMS = ("any", "unjustified")  # the public names, at their codes

# -- where a fine goes (``Regime.fine_to``) ---------------------------------------------------
FINE_BURNED = 0  # it vanishes
FINE_TO_VICTIM = 1  # the opponent receives it
FINE_TO_GROUP = 2  # shared equally by the interacting group, the fined included
FINE_TO_INSTITUTION = 3  # collected by the institution (reported, not paid back to players)
FINE_DESTINATIONS = ("burned", "victim", "group", "institution")  # the public names

# -- the context a move is judged in: the previous round's joint move ``2 own + other``
# (C = 0, D = 1), or the first round
FIRST_ROUND = 4
N_CONTEXTS = 5

LIMIT_OF_MEANS = -1  # the ``turns`` of kernels.markov.exact_pair that asks for the limit of means

# update rules on graphs (kernels.graph; docs/structure.md)
GRAPH_BD = 0  # birth-death: a node reproduces in proportion to fitness, a neighbour dies
GRAPH_DB = 1  # death-birth: a node dies, its neighbours compete for the place
GRAPH_IMITATION = 2  # a node keeps its strategy or copies a neighbour, by fitness
GRAPH_FERMI = 3  # pairwise comparison with one neighbour
GRAPH_BEST = 4  # synchronous imitation of the best neighbour (Nowak & May 1992)
# bits of a graph kernel's payoff mode
GRAPH_AVERAGED = 1  # payoffs averaged over the partners (else summed)
GRAPH_SELF = 2  # every node also plays against itself
