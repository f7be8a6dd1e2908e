"""evopolity: evolutionary game theory under institutions.

Games, strategies as automata, numba match and Markov kernels, tournaments, the axelrod
bridge, and population dynamics (replicator, Moran, pairwise comparison, agent-based Moran)
with their analytical results (fixation probabilities, stationary distributions).
``import evopolity`` never imports axelrod (that takes ~10 s); the bridge does, when it is
used.
"""

from evopolity import experiments
from evopolity.analysis import metrics
from evopolity.analysis.attribution import Attribution, attribute
from evopolity.analysis.compare import compare_regimes
from evopolity.analysis.continuation import continuation, hysteresis
from evopolity.analysis.ensemble import basins, ensemble
from evopolity.analysis.rest_points import rest_points
from evopolity.dynamics import environments, graphs
from evopolity.dynamics.analytical import (
    fixation_matrix,
    fixation_probability,
    gradient_of_selection,
    stationary_distribution,
)
from evopolity.dynamics.attractors import Attractor, lyapunov_exponent, settle
from evopolity.dynamics.finite import agent_moran, moran, pairwise_comparison
from evopolity.dynamics.pipeline import evolve
from evopolity.dynamics.polities import Collapse, PolityRun, multilevel_fixation, polities
from evopolity.dynamics.replicator import discrete_replicator, replicator
from evopolity.dynamics.structured import (
    FixationEstimate,
    graph_fixation,
    node_payoffs,
    structured,
)
from evopolity.dynamics.trajectory import Event, Trajectory
from evopolity.dynamics.wright_fisher import wright_fisher, wright_fisher_fixation
from evopolity.experiments import load
from evopolity.institutions import regimes
from evopolity.institutions.regime import Regime
from evopolity.institutions.shocks import Shock
from evopolity.play.axelrod_bridge import from_axelrod, to_axelrod
from evopolity.play.games import (
    DonationGame,
    Game,
    MatrixGame,
    PrisonersDilemma,
    Snowdrift,
    StagHunt,
)
from evopolity.play.group_games import (
    GroupGame,
    public_goods,
    punishment_game,
)
from evopolity.play.strategies import library
from evopolity.play.strategies.automaton import (
    Strategy,
    cycler,
    from_rule,
    fsm,
    lookup,
    memory_one,
    memory_zero,
)
from evopolity.play.strategies.library import (
    generous_tit_for_tat,
    zd_extortion,
    zd_generous,
    zero_determinant,
)
from evopolity.play.tournament import Tournament, tournament

__version__ = "0.1.0"

__all__ = [
    # polities (issue 13)
    "Collapse",
    "PolityRun",
    "environments",
    "multilevel_fixation",
    "polities",
    "DonationGame",
    "Event",
    "GroupGame",
    "public_goods",
    "punishment_game",
    "Regime",
    "Shock",
    "basins",
    "compare_regimes",
    "continuation",
    "ensemble",
    "evolve",
    "experiments",
    "graphs",
    "graph_fixation",
    "node_payoffs",
    "structured",
    "wright_fisher",
    "wright_fisher_fixation",
    "FixationEstimate",
    "load",
    "metrics",
    "regimes",
    "Trajectory",
    "Attractor",
    "Attribution",
    "agent_moran",
    "attribute",
    "discrete_replicator",
    "fixation_matrix",
    "fixation_probability",
    "gradient_of_selection",
    "hysteresis",
    "lyapunov_exponent",
    "moran",
    "pairwise_comparison",
    "replicator",
    "settle",
    "rest_points",
    "stationary_distribution",
    "Game",
    "MatrixGame",
    "PrisonersDilemma",
    "Snowdrift",
    "StagHunt",
    "Strategy",
    "Tournament",
    "cycler",
    "from_axelrod",
    "from_rule",
    "fsm",
    "generous_tit_for_tat",
    "library",
    "lookup",
    "memory_one",
    "memory_zero",
    "to_axelrod",
    "tournament",
    "zd_extortion",
    "zd_generous",
    "zero_determinant",
]
