"""The market the notebooks run on: real data when there is some, else the demo market.

In the order tried:

* ``INDEXLAB_MARKET``: a long table (CSV or Parquet), e.g. one made by
  ``indexlab data import coingecko FOLDER --out market.parquet``;
* ``INDEXLAB_SHARED_DATA``: the workspace's shared data folder, whose CoinGecko
  collection is imported on the spot (a few seconds);
* neither: indexlab's built-in synthetic demo market, which every output labels.

Real data runs from 2018-01-01 to 2025-07-07 (the shared collection's files were
downloaded over several days; see the README), the demo market over all its dates.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

import indexlab

REAL_PERIOD = {"start": pd.Timestamp("2018-01-01"), "end": pd.Timestamp("2025-07-07")}


def notebook_market() -> tuple[indexlab.Market, dict[str, pd.Timestamp]]:
    """The market, and the ``start``/``end`` to give ``Strategy.replace`` (none for the
    demo market)."""
    table = os.environ.get("INDEXLAB_MARKET")
    if table:
        return indexlab.load_market(table), REAL_PERIOD
    shared = os.environ.get("INDEXLAB_SHARED_DATA")
    if shared:
        from indexlab.sources import market_from_long
        from indexlab.sources.coingecko import import_coingecko

        long_table, _ = import_coingecko(Path(shared) / "coingecko-2025" / "coins")
        return market_from_long(long_table, source="CoinGecko (shared collection)"), REAL_PERIOD
    return indexlab.demo_market(), {}
