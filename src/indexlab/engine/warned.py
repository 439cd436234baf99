"""Notes of a run as warnings, each text once per Market.

``warnings.warn`` with Python's default filter is meant to show a message once per
place, but any ``warnings.catch_warnings()`` block (pandas opens many) resets that
memory, so a loop of runs repeated every data note on stderr at every run: noise for
the reader and several milliseconds of a ~5 ms backtest. Here a text already shown for
a Market is not shown again for it; every note stays in ``Result.notes`` (and in the
notebook view of the Result) whatever was shown.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterable

from indexlab.errors import IndexlabWarning

_shown: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def warn_once(notes: Iterable[str], market: object, stacklevel: int = 2) -> None:
    """``warnings.warn`` each note not yet shown for ``market`` (an IndexlabWarning
    pointing ``stacklevel`` frames above this function's caller)."""
    try:
        shown = _shown.setdefault(market, set())
    except TypeError:  # an object without weak references: no memory, warn each time
        shown = set()
    for note in notes:
        if note not in shown:
            shown.add(note)
            warnings.warn(note, IndexlabWarning, stacklevel=stacklevel + 1)
