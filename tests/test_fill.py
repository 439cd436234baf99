"""The one-pass fill of a close panel and its scan for bounds equal pandas' ffill and
the argmax scans."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from indexlab.fill import fill_and_bounds, valid_bounds

cells = st.one_of(st.just(np.nan), st.just(np.inf), st.floats(1e-12, 1e12, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12), elements=cells)
)
def test_equals_pandas_ffill_and_the_first_and_last_valid_rows(close):
    filled, first, last = fill_and_bounds(np.ascontiguousarray(close))
    valid = np.where(np.isfinite(close), close, np.nan)
    expected = pd.DataFrame(valid).ffill().fillna(0.0).to_numpy()
    np.testing.assert_array_equal(filled, expected)
    for j in range(close.shape[1]):
        rows = np.flatnonzero(np.isfinite(close[:, j]))
        assert first[j] == (rows[0] if len(rows) else -1)
        assert last[j] == (rows[-1] if len(rows) else -1)
    bounds = valid_bounds(np.ascontiguousarray(close))
    np.testing.assert_array_equal(bounds[0], first)
    np.testing.assert_array_equal(bounds[1], last)
    for j in range(close.shape[1]):
        life = np.isfinite(close[first[j] : last[j] + 1, j]) if first[j] >= 0 else []
        assert bounds[2][j] == len(life) - np.count_nonzero(life)
