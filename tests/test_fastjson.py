"""secfilings.fastjson: the encoders write the standard library's text, character for character."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from secfilings.fastjson import compact_encoder, indented

_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text()
)
_KEYS = st.text() | st.integers(min_value=-(10**6), max_value=10**6) | st.booleans() | st.none() | st.floats(allow_nan=False)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_indented_is_json_dumps_indent_2(value: object) -> None:
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_the_odd_corners() -> None:
    value = {
        "nan": math.nan, "inf": math.inf, "-inf": -math.inf, "big": 10**30, "tiny": 5e-05, "neg0": -0.0,
        "text": 'é\n"\\\u2028\x00', "nested": [[], {}, [[]], {"k": {}}, (1, "a")], 1: "int key", 2.5: "float key",
        None: "null key", True: "true key", False: 0,
    }
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)
    for scalar in (None, True, 0, 1.5, "x", [], {}, ()):
        assert indented(scalar) == json.dumps(scalar, indent=2, ensure_ascii=False)


def test_dict_and_list_subclasses_are_written_as_their_base() -> None:
    class Ordered(dict):
        pass

    class Items(list):
        pass

    value = Ordered(a=Items([1, Ordered(b=2)]))
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_cannot_write_is_refused_the_same_way() -> None:
    for bad in ({"a": object()}, [b"bytes"], {(1, 2): "tuple key"}):
        try:
            json.dumps(bad, indent=2)
        except TypeError:
            pass
        else:  # pragma: no cover - the standard library refuses each
            raise AssertionError(bad)
        try:
            indented(bad)
        except TypeError:
            continue
        raise AssertionError(f"indented wrote {bad!r}")


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_compact_encoder_is_json_dumps_compact(value: object) -> None:
    assert compact_encoder()(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
