"""Index rules as small typed steps: schedule -> eligibility -> selection -> weights.

Each step takes arrays or frames of the same date x asset shape and returns one;
nothing here knows about TOML, the engine or plotting.
"""

from indexlab.rules.schedule import rebalance_positions
from indexlab.rules.universe import eligibility, exclusion_mask, select_top_n
from indexlab.rules.weighting import apply_cap, scheme_weights, target_weights

__all__ = [
    "apply_cap",
    "eligibility",
    "exclusion_mask",
    "rebalance_positions",
    "scheme_weights",
    "select_top_n",
    "target_weights",
]
