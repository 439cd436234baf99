"""Issue 16, items 8 and 9: the mission's headline on point-in-time data, next to the
same strategies on the survivors-only CoinGecko collection, and BTC and TRX.

    python scripts/survivorship_data.py /tmp/h5        # the tables (about 2 minutes)
    python scripts/headline.py /tmp/h5                 # tables, CSV and the figure

Item 8: 2020-01-02 .. 2025-07-07, designs ``top100-mcap-monthly``,
``top100-equal-monthly`` and ``cci30-like`` as shipped (10 + 5 bps, their exclusions)
but reviewed on the 2nd of the month with lag 0: the day CMC's snapshot of the 1st is
labelled (docs/vendors.md), so a snapshot-only coin is ranked on a fresh cap and traded
at its snapshot close. Data: ``merged-fixed`` (CoinGecko + CMC snapshots, twins joined,
see survivorship_data.py), ``merged`` (as the mapping leaves it) and
``survivors`` (CoinGecko alone). Item 9: 2018-01-02 .. 2018-07-02, the same designs on
CMC's daily pages of every listed coin (``cmc-2018h1``) and on the survivors.

Writes ``headline.csv``, ``headline.md`` and ``headline-growth.png`` into the folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import indexlab

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from membership_check import extra_tags  # noqa: E402

DESIGNS = ("top100-mcap-monthly", "top100-equal-monthly", "cci30-like")
HEADLINE = (pd.Timestamp("2020-01-02"), pd.Timestamp("2025-07-07"))
H1_2018 = (pd.Timestamp("2018-01-02"), pd.Timestamp("2018-07-02"))
# CoinGecko's January 2018 points are a day late (docs/vendors.md): from February on the
# two vendors' days agree
FEB_JUN_2018 = (pd.Timestamp("2018-02-02"), pd.Timestamp("2018-07-02"))
BENCHMARK_LABELS = {"bitcoin": "BTC", "tron": "TRX"}
ITEM8_DATA = {"merged-fixed": "merged-fixed", "merged": "merged", "survivors": "cg"}
ITEM9_DATA = {"cmc-2018h1": "daily2018", "survivors": "cg"}
METRICS = ("total_return", "cagr", "max_drawdown")


def headline_strategy(design: str, period: tuple, data: str) -> indexlab.Strategy:
    """A shipped design, reviewed on the 2nd with lag 0, over ``period``."""
    base = indexlab.Strategy.from_toml(ROOT / "strategies" / f"{design}.toml")
    changes = {"rebalance.anchor": "day", "rebalance.day": 2}
    if base.reconstitution is not None:
        changes.update({"reconstitution.anchor": "day", "reconstitution.day": 2})
    return base.replace(
        name=f"{design} ({data})",
        title=f"{base.display_title} ({data})",
        lag_days=0,
        benchmarks=("bitcoin", "tron"),  # by id: CMC's daily pages have no symbols
        start=period[0],
        end=period[1],
        **changes,
    )


def own_id_weight(result: indexlab.Result) -> tuple[float, float]:
    """Mean and largest target weight on coins known only by CMC (own ``cmc:`` ids)."""
    targets = result.target_weights
    share = targets.loc[:, [c for c in targets.columns if str(c).startswith("cmc:")]].sum(axis=1)
    return float(share.mean()), float(share.max())


def written_off(strategy: indexlab.Strategy) -> indexlab.Strategy | None:
    """The pessimistic side of the survivorship band (``costs.delisting = "zero"``: a
    coin whose data stop is written off), or None where indexlab has no such key yet."""
    try:
        return strategy.replace(name=strategy.name[:-1] + ", written off)",
                                **{"costs.delisting": "zero"})  # fmt: skip
    except (indexlab.SpecError, TypeError):
        return None


def run_block(
    folder: Path, data: dict[str, str], period: tuple, band: str
) -> dict[tuple, indexlab.Result]:
    """(design, data name) -> Result, for every design on every table of ``data``; on
    table ``band`` also the pessimistic delisting assumption (the band's other side)."""
    results = {}
    for name, stem in data.items():
        market = indexlab.load_market(folder / f"{stem}.parquet", tags=extra_tags())
        for design in DESIGNS:
            strategy = headline_strategy(design, period, name)
            results[design, name] = indexlab.run(strategy, market)
            pessimistic = written_off(strategy) if name == band else None
            if pessimistic is not None:
                results[design, f"{name}, written off"] = indexlab.run(pessimistic, market)
            elif name == band:
                print(f"no costs.delisting key in this indexlab: band of {design} left out")
    return results


def table(results: dict[tuple, indexlab.Result]) -> pd.DataFrame:
    """One row per (design, data), then BTC and TRX once: total return, CAGR, max
    drawdown, and the weight on own-id (CMC-only) coins."""
    rows = []
    for (design, data), result in results.items():
        row = result.metrics().loc[result.name, list(METRICS)].to_dict()
        mean, top = own_id_weight(result)
        rows.append({"portfolio": design, "data": data, **row,
                     "cmc_only_weight_mean": mean, "cmc_only_weight_max": top})  # fmt: skip
    firsts = {}  # the benchmarks once per data table (once in all if they agree)
    for (_, data), result in results.items():
        firsts.setdefault(data.split(",")[0], result)
    seen: dict[str, pd.Series] = {}
    for data, result in firsts.items():
        for label in result.equity.columns[1:]:
            row = result.metrics().loc[label, list(METRICS)]
            name = BENCHMARK_LABELS.get(str(label), str(label))
            if name in seen and (seen[name] - row).abs().max() < 1e-9:
                continue
            seen[name] = row
            rows.append({"portfolio": name, "data": f"buy and hold ({data})", **row.to_dict()})
    return pd.DataFrame(rows)


def _percent(value: float, sign: bool = True) -> str:
    text = f"{value:+,.1%}" if sign else f"{value:,.1%}"
    return text.replace("-", "\u2212")


def markdown(frame: pd.DataFrame) -> str:
    """The table as the README prints it."""
    lines = [
        "| portfolio | data | total return | CAGR | max drawdown | CMC-only weight (mean / max) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in frame.itertuples():
        weight = (
            f"{row.cmc_only_weight_mean:.1%} / {row.cmc_only_weight_max:.1%}"
            if pd.notna(getattr(row, "cmc_only_weight_mean", float("nan")))
            else "–"
        )
        numbers = (
            _percent(row.total_return),
            _percent(row.cagr),
            _percent(row.max_drawdown, False),
        )
        lines.append(f"| {row.portfolio} | {row.data} | {' | '.join(numbers)} | {weight} |")
    return "\n".join(lines)


def growth_figure(results: dict[tuple, indexlab.Result]):
    """Growth of both universes (point in time and survivors), cap-weighted and equal
    weight, with BTC and TRX: ``indexlab.compare`` of the four runs."""
    shown = [
        results[design, data] for design in DESIGNS[:2] for data in ("merged-fixed", "survivors")
    ]
    return indexlab.compare(shown).plot("growth")


def main(folder: str) -> int:
    data = Path(folder)
    item8 = run_block(data, ITEM8_DATA, HEADLINE, band="merged-fixed")
    item9 = run_block(data, ITEM9_DATA, H1_2018, band="cmc-2018h1")
    item9b = run_block(data, ITEM9_DATA, FEB_JUN_2018, band="cmc-2018h1")
    frames = {
        "item 8, 2020-01-02 .. 2025-07-07": table(item8),
        "item 9, 2018-01-02 .. 2018-07-02": table(item9),
        "item 9, 2018-02-02 .. 2018-07-02 (the vendors' days agree)": table(item9b),
    }
    text = []
    for title, frame in frames.items():
        text += [f"### {title}", "", markdown(frame), ""]
    pd.concat(frames, names=["item"]).to_csv(data / "headline.csv")
    (data / "headline.md").write_text("\n".join(text))
    print("\n".join(text))
    figure = growth_figure(item8)
    figure.savefig(data / "headline-growth.png", dpi=100)
    print(f"wrote {data / 'headline.csv'}, headline.md and headline-growth.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/h5"))
