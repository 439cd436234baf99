"""Argument types shared by the commands of :mod:`indexlab.cli`."""

from __future__ import annotations

import argparse
import datetime as dt

BAD_PRINTS = ("note", "drop", "error")
BAD_PRINTS_HELP = (
    "what to do with bad prints (a close or market cap x1000 away from the day before that "
    "comes back within 30 days; docs/design-notes.md): note = keep them with a note, drop = "
    "read them as missing, error = refuse the file"
)


def parse_date(text: str):
    """An argparse type: a calendar date YYYY-MM-DD, as a ``pandas.Timestamp``."""
    import pandas as pd

    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def add_bad_prints(parser: argparse.ArgumentParser) -> None:
    """``--bad-prints note|drop|error`` for a command that reads ``--data``."""
    parser.add_argument(
        "--bad-prints",
        choices=BAD_PRINTS,
        default="note",
        help=BAD_PRINTS_HELP + " (default: note)",
    )


def load_data(args: argparse.Namespace):
    """The market of ``--data`` (with ``--bad-prints``), or the built-in demo market
    (its panels kept in the user's cache folder: :mod:`indexlab.sources.demo_cache`)."""
    from indexlab.sources import load_market
    from indexlab.sources.demo_cache import cached_demo_market

    if not args.data:
        return cached_demo_market()
    return load_market(args.data, bad_prints=getattr(args, "bad_prints", "note"))
