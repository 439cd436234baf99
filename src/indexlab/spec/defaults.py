"""The defaults of every strategy key, in one place for TOML files and Python.

A strategy file names only what it changes; a ``Strategy`` built in code takes the
same values for what it leaves out (the spec dataclasses' field defaults are these
constants, and the TOML reader builds those dataclasses). docs/index-rules.md lists
them in its "Defaults" table.
"""

from __future__ import annotations

#: The count rule when none is given: the 100 largest.
TOP_N = 100
#: Excluded tags unless ``universe.exclude`` says otherwise (``exclude = []`` keeps all):
#: coins built to track a currency, and claims on another coin (a wrapped or staked
#: token would count its underlying twice).
EXCLUDE = ("stablecoin", "wrapped", "staked")
#: Proportional costs on traded notional, in basis points.
FEE_BPS = 10.0
SLIPPAGE_BPS = 5.0
#: What a position is worth when its asset's data stop (a delisting): its value at the
#: last valid close (``"last_close"``), nothing (``"zero"``), or a haircut fraction h of
#: that value lost (proceeds = (1 - h) x units x last close).
DELISTING = "last_close"
#: Benchmarks bought and held beside the strategy. These defaults are skipped, with a
#: note, on a market that lacks them; benchmarks a strategy names itself must exist.
BENCHMARKS = ("BTC", "TRX")
#: Decisions on date t use data up to the close of t - LAG_DAYS.
LAG_DAYS = 1
#: Equity is reported in multiples of the initial capital; this only scales money values.
INITIAL_CAPITAL = 1.0
#: Window of the smoothed measures (SMA length, EMA span) and of the volume screens.
WINDOW_DAYS = 30
