"""Argument types shared by the commands of :mod:`indexlab.cli`."""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd


def parse_date(text: str) -> pd.Timestamp:
    """An argparse type: a calendar date YYYY-MM-DD."""
    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
