"""The garbage collector of a process that is the ``indexlab`` command (issue 17, item 6).

Python's cyclic garbage collector runs a generation-0 pass every 700 new container
objects and a full pass whenever the long-lived objects have grown by a quarter. Loading
pandas, numba and the engine creates ~150,000 long-lived objects that are never garbage,
so an ``indexlab run`` on the demo spent 0.15-0.25 s of CPU in ~390 passes that freed
~1,500 objects, and another 0.2-0.3 s at exit, when the interpreter clears every
module and collects again over all of them. A command line's process is short and
its own, so there:

* a generation-0 pass waits for :data:`YOUNG_OBJECTS` new objects rather than 700
  (the older generations keep their thresholds): a cycle of garbage is freed a little
  later, never kept;
* at the end the surviving objects are frozen (:func:`gc.freeze`), so the exit does not
  walk them again; objects are still released and files still closed at exit as
  always (by reference counts and ``atexit``), only unreachable cycles left at that
  moment are not finalized, which Python never promised at exit anyway.

Only :func:`indexlab.cli.main` called as the command (no ``argv``) does this; calling
``main([...])`` from Python, as the tests and notebooks do, changes nothing in the
caller's process.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_OBJECTS = 10_000  # new container objects between generation-0 passes (Python: 700)


@contextlib.contextmanager
def command_process() -> Iterator[None]:
    """Around the whole command, in a process that ends with it (see the module)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_OBJECTS), middle, old)
    try:
        yield
    finally:
        gc.freeze()
