"""The errors indexlab raises on purpose.

Every message names the file, row, column or field at fault and, where it helps,
what would have been valid. The CLI prints them as one line and exits non-zero.
"""

from __future__ import annotations


class IndexlabError(Exception):
    """Base class of every error indexlab raises on purpose."""


class DataError(IndexlabError):
    """Market data that cannot be used: missing columns, duplicates, bad values."""


class SpecError(IndexlabError):
    """A strategy that cannot be run: unknown keys, wrong types, ambiguous assets."""


class UniverseError(IndexlabError):
    """A strategy whose rules select nothing on the data it is run on."""


class IndexlabWarning(UserWarning):
    """What a run or a load says about its data and assumptions (survivorship, defaults,
    skipped benchmarks, dropped rows): the same text as the Result's ``notes``, emitted
    with :func:`warnings.warn` so that a notebook shows it. The CLI prints notes itself
    and silences these; ``warnings.simplefilter("ignore", IndexlabWarning)`` does too."""


class RunFolderError(IndexlabError):
    """A run folder that cannot be read: a missing, truncated or hand-edited file."""
