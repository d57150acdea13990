"""Story centroids are stored rounded: the rounding must give exactly the floats ``round`` gives."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedupe import stories


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.floats(0, 10),
            st.integers(0, 10**6).map(lambda n: n / 20_000),  # exact and near ties at the fourth decimal
            st.integers(0, 10**6).map(lambda n: n / 10_000 + 5e-5),
        ),
        max_size=60,
    )
)
@settings(max_examples=300, deadline=None)
def test_centroid_weights_are_rounded_exactly_as_round_does(values: list[float]) -> None:
    # stored centroids must not depend on how the rounding is computed: same floats, same sign of zero
    expected = [round(value, 4) for value in values]
    got = stories.round4(values)
    assert [(v, math.copysign(1, v)) for v in got] == [(v, math.copysign(1, v)) for v in expected]


def test_a_stored_centroid_keeps_its_heaviest_terms_rounded_to_four_decimals() -> None:
    centroid = {f"t{i}": 1 / (i + 3) for i in range(60)}
    kept, norm = stories._top(centroid)
    assert list(kept) == [f"t{i}" for i in range(stories.CENTROID_TERMS)]
    assert kept["t0"] == 0.3333 and kept["t1"] == 0.25 and kept["t4"] == 0.1429
    assert norm == round(math.sqrt(sum(v * v for v in kept.values())), 4)
