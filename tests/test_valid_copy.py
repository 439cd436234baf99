"""The one-pass copy that Market.from_panels makes of each panel equals numpy's masks:
the same bits in every cell, and the same first value above the limit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from indexlab.fill import valid_copy

LIMIT = 1e15
cells = st.one_of(
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, -5.0, 1e300, 2e15, 1e-300]),
    st.floats(-1e16, 1e16, allow_nan=False),
)
panels = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=8), elements=cells
)


def _by_masks(values: np.ndarray, strict: bool) -> tuple[np.ndarray, tuple[int, int] | None]:
    """What from_panels did before: a copy, then numpy's masks."""
    copy = np.array(values, dtype=np.float64, copy=True)
    copy[~(np.isfinite(copy) & ((copy > 0.0) if strict else (copy >= 0.0)))] = np.nan
    with np.errstate(invalid="ignore"):
        above = copy > LIMIT
    first = tuple(int(k[0]) for k in np.nonzero(above)) if above.any() else None
    return copy, first


@settings(max_examples=300, deadline=None)
@given(panels, st.booleans(), st.booleans())
def test_equals_numpys_masks(values: np.ndarray, strict: bool, fortran: bool) -> None:
    values = np.asfortranarray(values) if fortran else values
    expected, expected_above = _by_masks(values, strict)
    copy, above = valid_copy(values, strict, LIMIT)
    assert copy.flags.c_contiguous and copy.dtype == np.float64
    assert copy.tobytes() == np.ascontiguousarray(expected).tobytes()
    assert above == expected_above
    assert not np.shares_memory(copy, values)
