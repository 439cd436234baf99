"""What a report needs of a run, from a :class:`~indexlab.result.Result` or a run folder.

``indexlab report RUN_DIR`` and ``indexlab figure RUN_DIR`` work from the files of a
run folder alone, without the market data: :func:`read_run` reads them into a
:class:`RunData`, and :meth:`RunData.from_result` builds the same object from a
backtest in memory. Every figure and the tearsheet take either.

The files read (DESIGN section 5, plus what the report needs beyond it):
``equity.csv``, ``metrics.csv``, ``trades.csv``, ``weights.csv``, ``manifest.json``
(its ``assumptions``, ``notes``, ``data`` and ``strategy``), and, when present,
``daily_weights.parquet`` (the strategy's weights at every close, for the allocation
chart) and ``assets.csv`` (symbols and names of the assets held, for labels).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from indexlab import metrics
from indexlab.cells import restore_cells
from indexlab.errors import IndexlabError
from indexlab.result import Result
from indexlab.version import __version__

# Files of a run folder beyond DESIGN section 5's tables, named once for the writer
# (:mod:`indexlab.output`, which imports them from here) and this reader.
MANIFEST = "manifest.json"
DAILY_WEIGHTS = "daily_weights.parquet"  # the strategy's weights at every close
ASSETS = "assets.csv"  # symbols and names of the assets held, for labels


@dataclass(frozen=True, eq=False)
class RunData:
    """A run as the report sees it: tables and the facts every output states.

    ``equity`` is date x portfolio in units of the initial capital, the strategy in
    the first column; ``metrics`` one row per portfolio (as ``metrics.csv``);
    ``trades`` one row per rebalance of the strategy (``turnover``, ``cost``,
    ``value_pre_trade``, ``n_assets``, ...); ``weights`` rebalance date x asset after
    each trade; ``daily_weights`` date x asset at every close, or None when the run
    folder predates it.
    """

    name: str
    equity: pd.DataFrame
    metrics: pd.DataFrame
    trades: pd.DataFrame
    weights: pd.DataFrame
    assumptions: dict[str, str]
    daily_weights: pd.DataFrame | None = None
    asset_labels: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    description: str = ""
    synthetic: bool = False
    data_label: str = ""
    periods_per_year: int = metrics.PERIODS_PER_YEAR
    initial_capital: float = 1.0
    indexlab_version: str = ""
    folder: Path | None = None

    @property
    def strategy(self) -> str:
        """The strategy's column in :attr:`equity` and row in :attr:`metrics`."""
        return str(self.equity.columns[0])

    @property
    def benchmarks(self) -> list[str]:
        return [str(c) for c in self.equity.columns[1:]]

    @property
    def returns(self) -> pd.DataFrame:
        """Simple daily returns of every portfolio (the first date dropped)."""
        return metrics.returns(self.equity)

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.equity.index[0])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.equity.index[-1])

    def label(self, asset: str) -> str:
        """How figures name an asset: its symbol in capitals when known, else its id."""
        return self.asset_labels.get(asset, asset)

    @classmethod
    def from_result(cls, result: Result) -> RunData:
        strategy = result.strategy
        return cls(
            name=result.name,
            equity=result.equity,
            metrics=result.metrics(),
            trades=result.trades,
            weights=result.weights,
            assumptions=result.assumptions(),
            daily_weights=result.daily_weights,
            asset_labels=_labels(held_assets(result)),
            notes=tuple(result.notes),
            description=strategy.description or "",
            synthetic=bool(result.market.synthetic),
            data_label=result.data_label,
            periods_per_year=result.periods_per_year,
            initial_capital=float(strategy.initial_capital),
            indexlab_version=__version__,
        )


def held_assets(result: Result) -> pd.DataFrame:
    """``asset, symbol, name`` of every asset the strategy held (``assets.csv``)."""
    held = result.weights.columns.union(result.daily_weights.columns)
    info = result.market.assets.reindex(held)
    frame = pd.DataFrame(index=pd.Index(held, name="asset"))
    for column in ("symbol", "name"):
        frame[column] = info[column] if column in info.columns else pd.NA
    return frame.reset_index()


def _labels(assets: pd.DataFrame) -> dict[str, str]:
    """Asset id -> upper-case symbol, where the symbol names one held asset only."""
    known = assets.dropna(subset=["symbol"])
    symbols = known["symbol"].astype(str).str.strip().str.upper()
    unique = symbols[~symbols.duplicated(keep=False) & (symbols != "")]
    return dict(zip(known.loc[unique.index, "asset"].astype(str), unique, strict=True))


def as_run_data(run: Result | RunData | str | Path) -> RunData:
    """A :class:`RunData` from a Result, a RunData, or the path of a run folder."""
    if isinstance(run, RunData):
        return run
    if isinstance(run, Result):
        return RunData.from_result(run)
    return read_run(run)


# ---------------------------------------------------------------- reading a folder
def _need(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise IndexlabError(
            f"{path}: missing; {folder} should be a run folder written by 'indexlab run'"
        )
    return path


def _csv(folder: Path, name: str, **kwargs) -> pd.DataFrame:
    path = _need(folder, name)
    try:
        return restore_cells(pd.read_csv(path, **kwargs))  # undo indexlab.cells.neutralise
    except (ValueError, pd.errors.ParserError) as exc:
        raise IndexlabError(f"{path}: cannot be read ({exc})") from None


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """``date, asset, weight`` rows as a date x asset frame (0 where not held)."""
    if long.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
    frame = long.pivot(index="date", columns="asset", values="weight").fillna(0.0)
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    frame.columns = frame.columns.astype(str)
    frame.columns.name = None
    return frame


def read_run(folder: str | Path) -> RunData:
    """Read a run folder written by ``indexlab run`` (or :func:`indexlab.output.write_run`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IndexlabError(f"{folder}: not a folder; give a run folder written by 'indexlab run'")
    manifest_path = _need(folder, MANIFEST)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexlabError(f"{manifest_path}: not valid JSON ({exc})") from None
    if "assumptions" not in manifest:
        raise IndexlabError(
            f"{manifest_path}: has no 'assumptions' (written by an older indexlab); "
            "rerun 'indexlab run' to make a folder the report can read"
        )
    equity = _csv(folder, "equity.csv", index_col="date", parse_dates=["date"])
    equity.columns.name = "portfolio"
    table = _csv(folder, "metrics.csv", index_col="portfolio")
    table.index = table.index.astype(str)
    trades = _csv(folder, "trades.csv", index_col="date", parse_dates=["date"])
    weights = _wide(_csv(folder, "weights.csv", parse_dates=["date"]))
    daily = None
    if (folder / DAILY_WEIGHTS).is_file():
        daily = _wide(pd.read_parquet(folder / DAILY_WEIGHTS)).reindex(equity.index, fill_value=0.0)
    labels = {}
    if (folder / ASSETS).is_file():
        labels = _labels(_csv(folder, ASSETS, dtype={"asset": str, "symbol": str, "name": str}))
    strategy = manifest.get("strategy", {})
    data = manifest.get("data", {})
    return RunData(
        name=str(strategy.get("name", equity.columns[0])),
        equity=equity,
        metrics=table,
        trades=trades,
        weights=weights,
        assumptions={str(k): str(v) for k, v in manifest["assumptions"].items()},
        daily_weights=daily,
        asset_labels=labels,
        notes=tuple(manifest.get("notes", ())),
        description=str(strategy.get("description") or ""),
        synthetic=bool(data.get("synthetic", False)),
        data_label=str(data.get("source", "")),
        periods_per_year=int(manifest.get("periods_per_year", metrics.PERIODS_PER_YEAR)),
        initial_capital=float(strategy.get("initial_capital", 1.0)),
        indexlab_version=str(manifest.get("indexlab_version", "")),
        folder=folder,
    )
