"""Several backtests side by side: ``indexlab.compare([result_a, result_b, ...])``.

A :class:`Comparison` puts the strategies of the results, then each benchmark once, on
the dates all of them cover, and gives one metrics table and one growth and drawdown
figure.

Conventions: metrics are computed over the common dates only. A result that starts on
the first common date keeps its equity in units of its initial capital (so its initial
buy's cost counts, as in its own metrics); one that started earlier is judged from the
first common date, its value there counting as 1. Trade
statistics count the trades on those dates, and the first of them counts as the initial
buy that average turnover leaves out, as in a single run. A benchmark that two results
both hold (BTC, say) is shown once, from the first result that has it; if the other
results' copies differ (other costs or lag), a note says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from indexlab import metrics
from indexlab.coverage import survivorship_caveat
from indexlab.errors import SpecError
from indexlab.report import charts, style
from indexlab.report.brand import HOUSE, Brand
from indexlab.report.frame import frame_figure
from indexlab.report.notebook import stats_table
from indexlab.result import Result

# Strategies are drawn in shades of the strategy colour (the first in it, the others
# lighter) and told apart by their dash pattern too, so that no strategy wears a
# benchmark's colour and none looks like another.
_DASHES = ("-", (0, (6, 2)), (0, (2, 1.5)), (0, (8, 2, 2, 2)), (0, (1, 1)))
_LIGHTEST = 0.6  # the share of white in the last strategy's shade
_TITLE_CHARS = 80  # a longer list of names is a count in the title (the legend names them)


def strategy_style(k: int, n: int, brand: Brand) -> dict:
    """Colour and dash of the ``k``-th of ``n`` strategies of a comparison."""
    from matplotlib.colors import to_hex, to_rgb

    share = _LIGHTEST * k / max(n - 1, 1)
    shade = tuple(c + (1.0 - c) * share for c in to_rgb(brand.strategy))
    return {"color": to_hex(shade), "linestyle": _DASHES[k % len(_DASHES)]}


def comparison_title(names: Sequence[str]) -> str:
    """``Comparison: a, b`` when it is short, else ``Comparison of N strategies``."""
    listed = "Comparison: " + ", ".join(names)
    return listed if len(listed) <= _TITLE_CHARS else f"Comparison of {len(names)} strategies"


@dataclass(frozen=True, eq=False)
class Comparison:
    """Strategies and benchmarks over their common dates (see the module's doc)."""

    equity: pd.DataFrame  # date x portfolio, rebased to 1 on the first common date
    strategies: tuple[str, ...]  # the strategies' columns, first in ``equity``
    trades: dict[str, pd.DataFrame]
    reference: pd.Series | None  # BTC held, for beta and correlation
    notes: tuple[str, ...]
    data_label: str
    synthetic: bool
    caveat: str = ""  # the survivorship caveat when any result's data hold only survivors

    @property
    def benchmarks(self) -> tuple[str, ...]:
        return tuple(c for c in self.equity.columns if c not in self.strategies)

    def metrics(self, risk_free: float = 0.0) -> pd.DataFrame:
        """One row per strategy and benchmark over the common dates."""
        return metrics.summary(
            self.equity, reference_equity=self.reference, trades=self.trades, risk_free=risk_free
        )

    def stats(self, risk_free: float = 0.0) -> pd.DataFrame:
        """:meth:`metrics` formatted as the report prints them (metrics as rows)."""
        return stats_table(self.metrics(risk_free))

    def plot(self, kind: str = "growth", brand: Brand = HOUSE) -> Figure:
        """``growth`` (log scale) or ``drawdown`` of every strategy and benchmark."""
        if kind not in ("growth", "drawdown"):
            raise SpecError(f"compare plot: unknown kind {kind!r}; choose growth or drawdown")
        figure = style.new_figure()
        ax = figure.add_subplot()
        charts.style_axes(ax, brand)
        growth = kind == "growth"
        values = (
            self.equity.where(self.equity > 0)
            if growth
            else self.equity / self.equity.cummax() - 1.0
        )
        for k, name in enumerate(values.columns):
            label = f"{name}  ({_final_text(values[name], kind)})"
            if name in self.strategies:
                ax.plot(values.index, values[name].to_numpy(dtype=np.float64), label=label,
                        **strategy_style(k, len(self.strategies), brand),
                        linewidth=style.STRATEGY_LINE_WIDTH, zorder=5 + k)  # fmt: skip
            else:
                charts.plot_portfolio(ax, values[name], label, k - len(self.strategies) + 1, brand)
        if growth:
            ax.axhline(1.0, color=brand.muted, linewidth=0.9, linestyle=(0, (4, 3)), zorder=1)
            ax.set_yscale("log")
            charts.log_ticks(ax, values.to_numpy(dtype=np.float64), lambda v: f"{v:,.4g}")
            ax.set_ylabel("Growth of 1 (log scale)", fontsize=style.LABEL_SIZE, color=brand.text)
        else:
            charts.percent_axis(ax)
            ax.set_ylabel("Drawdown from running peak", fontsize=style.LABEL_SIZE, color=brand.text)
        charts.date_axis(ax, values.index)
        dates = self.equity.index
        frame_figure(
            figure,
            ax,
            title=comparison_title(self.strategies),
            subtitle=(
                "Growth of 1 over the common dates, log scale; legend: final value."
                if kind == "growth"
                else "Drawdown (underwater): value relative to its running peak."
            ),
            footer=f"Data: {self.data_label}  ·  Period: {dates[0].date()} to "
            f"{dates[-1].date()} ({len(dates)} days)  ·  Benchmarks held buy-and-hold.",
            synthetic=self.synthetic,
            caveat=self.caveat,
        )
        charts.legend_outside(ax, brand)
        charts.apply_font(figure, brand.font_family)
        return figure

    def _repr_html_(self) -> str:
        dates = self.equity.index
        notes = "".join(f"<li>{escape(n)}</li>" for n in self.notes)
        return (
            f"<div><h3>Comparison of {escape(', '.join(self.strategies))}</h3>"
            f"<p>{escape(self.data_label)} &middot; {dates[0].date()} to {dates[-1].date()} "
            f"({len(dates):,} common days)</p>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + self.stats().to_html(escape=True, border=0)
            + "</div>"
        )


def _final_text(series: pd.Series, kind: str) -> str:
    """Growth: the final value; drawdown: the deepest."""
    value = float(series.dropna().iloc[-1]) if kind == "growth" else float(series.min())
    if not np.isfinite(value):
        return "–"
    return f"{value:,.2f}×" if kind == "growth" else charts.percent_text(value, 1)


def _unique_names(results: Sequence[Result]) -> list[str]:
    names: list[str] = []
    for result in results:
        name, k = result.name, 2
        while name in names:
            name, k = f"{result.name} ({k})", k + 1
        names.append(name)
    return names


def compare(results: Sequence[Result]) -> Comparison:
    """The strategies of ``results`` and their benchmarks, once each, over the dates
    every result covers (see the module's doc for the conventions)."""
    results = list(results)
    if not results or not all(isinstance(r, Result) for r in results):
        raise SpecError("compare: give a list of one or more Results of indexlab.run")
    common = results[0].dates
    for result in results[1:]:
        common = common.intersection(result.dates)
    if len(common) < 2:
        raise SpecError("compare: the results share fewer than two dates")
    notes: list[str] = []
    if any(not r.dates.equals(common) for r in results):
        notes.append(f"metrics over the common dates {common[0].date()} to {common[-1].date()}")
    names = _unique_names(results)
    columns: dict[str, pd.Series] = {}
    trades: dict[str, pd.DataFrame] = {}
    for name, result in zip(names, results, strict=True):
        columns[name] = _on(result.equity[result.name], common)
        run_trades = result.trades
        trades[name] = run_trades[
            (run_trades.index >= common[0]) & (run_trades.index <= common[-1])
        ]
    # Benchmarks from the results that start on the first common date first: their
    # copy, like those results' strategies, pays its initial buy inside the window.
    starts_there = sorted(zip(names, results, strict=True), key=lambda p: p[1].dates[0] < common[0])
    for name, result in starts_there:
        for label in result.equity.columns[1:]:
            series = _on(result.equity[label], common)
            if label in columns:
                shown = columns[label].pct_change().iloc[1:]
                if not np.allclose(series.pct_change().iloc[1:], shown, rtol=1e-9, atol=1e-12):
                    notes.append(f"benchmark {label} of {name} differs (other costs or lag): "
                                 "the first result's is shown")  # fmt: skip
                continue
            columns[str(label)] = series
            trades[str(label)] = _within(result.portfolios[label].trades, common)
    equity = pd.DataFrame(columns, index=common)
    equity.index.name, equity.columns.name = "date", "portfolio"
    reference = next((r.reference_equity for r in results if r.reference_equity is not None), None)
    labels = sorted({r.data_label for r in results})
    if len(labels) > 1:
        notes.append("the results come from different data: " + "; ".join(labels))
    return Comparison(
        equity=equity,
        strategies=tuple(names),
        trades=trades,
        reference=None if reference is None else _on(reference, common),
        notes=tuple(notes),
        data_label=" / ".join(labels),
        synthetic=any(r.market.synthetic for r in results),
        caveat=next(filter(None, (survivorship_caveat(r.market) for r in results)), ""),
    )


def _within(trades: pd.DataFrame, common: pd.DatetimeIndex) -> pd.DataFrame:
    return trades[(trades.index >= common[0]) & (trades.index <= common[-1])]


def _on(series: pd.Series, common: pd.DatetimeIndex) -> pd.Series:
    """``series`` on the common dates; rebased to 1 there if it started before them."""
    on = series.reindex(common)
    return on / on.iloc[0] if series.index[0] < common[0] else on
