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

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import numpy as np
import pandas as pd

from indexlab import metrics
from indexlab.coverage import SURVIVORSHIP_CAVEAT, survivorship_caveat
from indexlab.errors import RunFolderError
from indexlab.report import runfiles
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
    title: str = ""
    survivorship: str = ""  # the caveat when the data hold only survivors, else ""
    periods_per_year: int = metrics.PERIODS_PER_YEAR
    initial_capital: float = 1.0
    indexlab_version: str = ""
    folder: Path | None = None

    @property
    def strategy(self) -> str:
        """The strategy's column in :attr:`equity` and row in :attr:`metrics`."""
        return str(self.equity.columns[0])

    @property
    def display_title(self) -> str:
        """What figures and the tearsheet call the strategy: its title, else its name."""
        return self.title or self.name

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
            notes=published_notes(result.notes, market_paths(result.market)),
            description=strategy.description or "",
            synthetic=bool(result.market.synthetic),
            data_label=result.data_label,
            title=strategy.display_title,
            survivorship=survivorship_caveat(result.market),
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


LABEL_CHARS = 16  # an asset's label in a legend; a longer symbol or id is shortened


def _labels(assets: pd.DataFrame) -> dict[str, str]:
    """Asset id -> upper-case symbol, where the symbol names one held asset only; a
    label (symbol or id) longer than :data:`LABEL_CHARS` is cut with an ellipsis, kept
    distinct from the others (a 70-character symbol must not squeeze the chart)."""
    known = assets.dropna(subset=["symbol"])
    symbols = known["symbol"].astype(str).str.strip().str.upper()
    unique = symbols[~symbols.duplicated(keep=False) & (symbols != "")]
    labels = dict(zip(known.loc[unique.index, "asset"].astype(str), unique, strict=True))
    taken = {label for label in labels.values() if len(label) <= LABEL_CHARS}
    for asset in assets["asset"].astype(str):
        label = labels.get(asset, asset)
        if len(label) <= LABEL_CHARS:
            continue
        short, count = label[: LABEL_CHARS - 1] + "…", 1
        while short in taken:
            count += 1
            short = f"{label[: LABEL_CHARS - 2 - len(str(count))]}…{count}"
        taken.add(short)
        labels[asset] = short
    return labels


def as_run_data(run: Result | RunData | str | Path) -> RunData:
    """A :class:`RunData` from a Result, a RunData, or the path of a run folder."""
    if isinstance(run, RunData):
        return run
    if isinstance(run, Result):
        return RunData.from_result(run)
    return read_run(run)


# ---------------------------------------------------------------- reading a folder
def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """``date, asset, weight`` rows as a date x asset frame (0 where not held)."""
    if long.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
    # What DataFrame.pivot(...).fillna(0) gives, sorted dates by sorted assets, in a
    # tenth of its time (the daily weights of a long run are ~10^5-10^6 rows).
    date_codes, dates = pd.factorize(long["date"], sort=True)
    asset_codes, assets = pd.factorize(long["asset"], sort=True)
    if (date_codes < 0).any() or (asset_codes < 0).any():
        raise ValueError("a date or asset is missing")
    cells = np.sort(date_codes.astype(np.int64) * len(assets) + asset_codes)
    if (cells[1:] == cells[:-1]).any():
        raise ValueError("Index contains duplicate entries, cannot reshape")
    values = np.zeros((len(dates), len(assets)))
    values[date_codes, asset_codes] = np.nan_to_num(long["weight"].to_numpy(dtype=np.float64))
    return pd.DataFrame(
        values,
        index=pd.DatetimeIndex(dates, name="date"),
        columns=pd.Index(assets).astype(str),
    )


def _read_equity(folder: Path) -> pd.DataFrame:
    path = runfiles.need_file(folder, "equity.csv")
    table = runfiles.read_table(path, {"date": "date"}, others="positive")
    if table.shape[1] < 2 or table.empty:
        raise RunFolderError(f"{path}: needs a date column, a portfolio column and a row")
    dates = pd.DatetimeIndex(table["date"])
    later = np.flatnonzero(np.diff(dates.asi8) <= 0)
    if len(later):
        raise RunFolderError(
            f"{runfiles.line_of(path, table, int(later[0]) + 1)}: date "
            f"{dates[later[0] + 1].date()} does not follow {dates[later[0]].date()}"
        )
    equity = table.drop(columns="date").set_axis(pd.DatetimeIndex(dates, name="date"))
    equity.columns.name = "portfolio"
    return equity


def _read_metrics(folder: Path, portfolios: pd.Index) -> pd.DataFrame:
    path = runfiles.need_file(folder, "metrics.csv")
    table = runfiles.read_table(path, {"portfolio": "name"}, others="number")
    twice = table["portfolio"].duplicated()
    if twice.any():
        row = int(np.flatnonzero(twice)[0])
        raise RunFolderError(
            f"{runfiles.line_of(path, table, row)}: portfolio {table['portfolio'][row]!r} twice"
        )
    missing = [p for p in portfolios if p not in set(table["portfolio"])]
    if missing:
        raise RunFolderError(f"{path}: no row for portfolio {missing[0]!r} of equity.csv")
    return table.set_index("portfolio")


def _within(path: Path, table: pd.DataFrame, dates: pd.DatetimeIndex) -> None:
    """Every date of ``table`` lies within the run's dates (``dates``)."""
    outside = (table["date"] < dates[0]) | (table["date"] > dates[-1])
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise RunFolderError(
            f"{runfiles.line_of(path, table, row)}: date {table['date'][row].date()} is outside "
            f"equity.csv's dates ({dates[0].date()} to {dates[-1].date()})"
        )


def _read_trades(folder: Path, dates: pd.DatetimeIndex) -> pd.DataFrame:
    path = runfiles.need_file(folder, "trades.csv")
    schema = {
        "date": "date",
        "turnover": "finite",
        "cost": "finite",
        "value_pre_trade": "positive",
        "n_assets": "count",
    }
    optional = {"turnover_two_way": "finite", "traded_notional": "finite", "reason": "text"}
    table = runfiles.read_table(path, schema, optional=optional, others="number")
    _within(path, table, dates)
    return table.set_index("date")


def _read_weights(folder: Path, dates: pd.DatetimeIndex) -> pd.DataFrame:
    path = runfiles.need_file(folder, "weights.csv")
    schema = {"date": "date", "asset": "name", "weight": "finite"}
    table = runfiles.read_table(path, schema)
    _within(path, table, dates)
    twice = table.duplicated(["date", "asset"])
    if twice.any():
        row = int(np.flatnonzero(twice)[0])
        raise RunFolderError(
            f"{runfiles.line_of(path, table, row)}: asset {table['asset'][row]!r} twice on "
            f"{table['date'][row].date()}"
        )
    return _wide(table[["date", "asset", "weight"]])


def _read_daily_weights(folder: Path, dates: pd.DatetimeIndex) -> pd.DataFrame | None:
    path = folder / DAILY_WEIGHTS
    if not path.is_file():
        return None
    try:
        long = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in ("date", "asset", "weight") if c not in long.columns]
    if missing:
        raise RunFolderError(f"{path}: no column {missing[0]!r}")
    weight = pd.to_numeric(long["weight"], errors="coerce")
    if not np.isfinite(weight.astype(float)).all():
        raise RunFolderError(f"{path}: column 'weight' holds a value that is not a finite number")
    try:
        return _wide(long).reindex(dates, fill_value=0.0)
    except (ValueError, TypeError) as exc:
        raise RunFolderError(f"{path}: cannot be read as date, asset, weight ({exc})") from None


def read_run(folder: str | Path) -> RunData:
    """Read a run folder written by ``indexlab run`` (or :func:`indexlab.output.write_run`),
    checking every file: a missing, truncated or hand-edited one is a
    :class:`~indexlab.errors.RunFolderError` naming the file, line and column."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: not a folder; give a run folder written by 'indexlab run'")
    manifest = runfiles.read_manifest(runfiles.need_file(folder, MANIFEST))
    equity = _read_equity(folder)
    dates = pd.DatetimeIndex(equity.index)
    labels = {}
    if (folder / ASSETS).is_file():
        schema = {"asset": "name", "symbol": "text", "name": "text"}
        assets = runfiles.read_table(folder / ASSETS, schema)
        assets["symbol"] = assets["symbol"].where(assets["symbol"] != "")
        labels = _labels(assets)
    strategy = manifest.get("strategy", {})
    data = manifest.get("data", {})
    return RunData(
        name=str(strategy.get("name", equity.columns[0])),
        equity=equity,
        metrics=_read_metrics(folder, equity.columns),
        trades=_read_trades(folder, dates),
        weights=_read_weights(folder, dates),
        assumptions={
            str(k): _published(str(v)) if k == "Data" else str(v)
            for k, v in manifest["assumptions"].items()
        },
        daily_weights=_read_daily_weights(folder, dates),
        asset_labels=labels,
        notes=published_notes(
            manifest.get("notes", ()),
            [str(data.get(k) or "") for k in ("path", "source")] if data.get("path") else [],
        ),
        description=str(strategy.get("description") or ""),
        synthetic=bool(data.get("synthetic", False)),
        data_label=_published(str(data.get("source", ""))),
        title=str(strategy.get("title") or ""),
        survivorship=_survivorship(data, manifest.get("notes", ())),
        periods_per_year=int(manifest.get("periods_per_year", metrics.PERIODS_PER_YEAR)),
        initial_capital=float(strategy.get("initial_capital", 1.0)),
        indexlab_version=str(manifest.get("indexlab_version", "")),
        folder=folder,
    )


def _survivorship(data: dict, notes: Iterable[str]) -> str:
    """The manifest's survivorship caveat; for a folder written before it was recorded,
    the caveat when a note of the run says the data suffer survivorship bias."""
    if "survivorship" in data:
        return str(data["survivorship"] or "")
    said = any("survivorship bias" in str(note) for note in notes)
    return SURVIVORSHIP_CAVEAT if said else ""


def _published(label: str) -> str:
    """The data label as figures publish it: a local file's path (recorded by a run
    folder written before provenance was) becomes the file's name alone."""
    looks_like_path = label.startswith(("/", "~", "./", "../", "\\")) or (
        len(label) > 2 and label[1] == ":" and label[2] in "\\/"
    )
    if looks_like_path or label.lower().endswith((".parquet", ".csv", ".csv.gz")):
        return PurePath(label.replace("\\", "/")).name or label
    return label


def market_paths(market: object) -> list[str]:
    """The local paths a market's notes may name (its source and file), for a market
    read from a file (a source text such as "CoinGecko/CMC merge" is no path)."""
    if not getattr(market, "source_path", None):
        return []
    return [str(getattr(market, k, None) or "") for k in ("source", "source_path")]


def published_notes(notes: Iterable[str], paths: Iterable[str]) -> tuple[str, ...]:
    """``notes`` with each of ``paths`` (the data file's, as loading named it) cut to
    the file's name: what a report publishes names no local folder."""
    cuts = sorted(
        {p: PurePath(p).name for p in paths if p and PurePath(p).name != p}.items(),
        key=lambda item: -len(item[0]),  # the longest first: a path holds shorter ones
    )
    out = []
    for note in notes:
        note = str(note)
        for path, name in cuts:
            note = note.replace(path, name)
        out.append(note)
    return tuple(out)
