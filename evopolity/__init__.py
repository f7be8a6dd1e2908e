"""evopolity: evolutionary game theory under institutions.

Games, strategies as automata, numba match and Markov kernels, tournaments, the axelrod
bridge, and population dynamics (replicator, Moran, pairwise comparison, agent-based Moran)
with their analytical results (fixation probabilities, stationary distributions).
``import evopolity`` never imports axelrod (that takes ~10 s); the bridge does, when it is
used.
"""

from evopolity import experiment, metrics, regimes
from evopolity.analytical import (
    fixation_matrix,
    fixation_probability,
    gradient_of_selection,
    stationary_distribution,
)
from evopolity.axelrod_bridge import from_axelrod, to_axelrod
from evopolity.compare import compare_regimes
from evopolity.dynamics import discrete_replicator, replicator
from evopolity.experiment import load
from evopolity.finite import agent_moran, moran, pairwise_comparison
from evopolity.games import (
    DonationGame,
    Game,
    MatrixGame,
    PrisonersDilemma,
    Snowdrift,
    StagHunt,
)
from evopolity.group_games import (
    GroupGame,
    public_goods,
    punishment_game,
)
from evopolity.institutions import Regime
from evopolity.shocks import Shock, evolve
from evopolity.strategies import library
from evopolity.strategies.automaton import (
    Strategy,
    cycler,
    from_rule,
    fsm,
    lookup,
    memory_one,
    memory_zero,
)
from evopolity.strategies.library import (
    generous_tit_for_tat,
    zd_extortion,
    zd_generous,
    zero_determinant,
)
from evopolity.tournament import Tournament, tournament
from evopolity.trajectory import Event, Trajectory
from evopolity.validate import payoff_matrix

__version__ = "0.1.0"

__all__ = [
    "DonationGame",
    "Event",
    "GroupGame",
    "public_goods",
    "punishment_game",
    "Regime",
    "Shock",
    "compare_regimes",
    "evolve",
    "experiment",
    "load",
    "metrics",
    "regimes",
    "Trajectory",
    "agent_moran",
    "discrete_replicator",
    "fixation_matrix",
    "fixation_probability",
    "gradient_of_selection",
    "moran",
    "pairwise_comparison",
    "payoff_matrix",
    "replicator",
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
