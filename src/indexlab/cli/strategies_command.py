"""``indexlab strategies [DIR]``: the strategy files of a folder, one line each."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexlab.errors import SpecError

# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "strategies": "list the strategy files of a folder",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser(
        "strategies",
        help=COMMANDS["strategies"],
        description="List the strategy files (*.toml) of DIR, one line each: the name, "
        "the count and weighting rules, and the description. Every file is validated: a "
        "file that does not load is listed with its error.",
    )
    listing.add_argument(
        "folder", nargs="?", default="strategies", metavar="DIR", help="default: ./strategies"
    )
    listing.set_defaults(handler=command_strategies)


def _rules(strategy) -> str:
    u, w = strategy.universe, strategy.weighting
    count = {
        "top_n": f"top {u.top_n}",
        "rank_band": f"ranks {u.rank_band[0]}-{u.rank_band[1]}" if u.rank_band else "",
        "coverage": f"{u.coverage:.0%} coverage" if u.coverage else "",
        "max_n": f"up to {u.max_n}",
    }[u.count_rule]
    scheme = w.scheme.replace("_", " ") + (f" ^{w.power:g}" if w.scheme == "power" else "")
    return f"{count}, {scheme}, {strategy.rebalance.frequency}"


def command_strategies(args: argparse.Namespace) -> int:
    from indexlab.spec import Strategy

    folder = Path(args.folder)
    if not folder.is_dir():
        raise SpecError(f"{folder}: no such folder of strategy files")
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise SpecError(f"{folder}: no strategy files (*.toml)")
    rows = []
    for path in paths:
        try:
            strategy = Strategy.from_toml(path)
            rows.append((path.stem, _rules(strategy), strategy.description))
        except SpecError as exc:
            rows.append((path.stem, "does not load", str(exc)))
    width = max(len(r[0]) for r in rows)
    rules_width = max(len(r[1]) for r in rows)
    for name, rules, description in rows:
        print(f"{name:<{width}}  {rules:<{rules_width}}  {description}")
    return 0
