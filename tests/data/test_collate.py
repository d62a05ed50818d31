"""default_collate and default_convert against torch.utils.data's."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import default_collate, default_convert
from tests.data.same import assert_same
from tests.tensor.oracle import raises_with

pytestmark = pytest.mark.torch


class Point(NamedTuple):
    x: object
    y: object


def _pair(make_sample):
    """The same batch of samples twice: with chainrule tensors, and with torch tensors."""
    ours = [make_sample(i, cr.tensor) for i in range(3)]
    theirs = [make_sample(i, torch.tensor) for i in range(3)]
    return ours, theirs


SAMPLES = {
    "tensors": lambda i, t: t([[i, 2.0 * i]]),
    "int tensors": lambda i, t: t(i),
    "floats": lambda i, t: 0.5 * i,
    "ints": lambda i, t: i,
    "bools": lambda i, t: i % 2 == 0,
    "strings": lambda i, t: f"s{i}",
    "bytes": lambda i, t: bytes([i]),
    "numpy float32 arrays": lambda i, t: np.full((2, 2), i, dtype=np.float32),
    "numpy int arrays": lambda i, t: np.arange(i, i + 3),
    "numpy bool arrays": lambda i, t: np.array([i > 0, True]),
    "numpy scalars": lambda i, t: np.float32(i),
    "numpy float64 scalars": lambda i, t: np.float64(i) / 3,
    "numpy int scalars": lambda i, t: np.int16(i),
    "numpy 0-d arrays": lambda i, t: np.array(i),
    "tuples": lambda i, t: (t([i, i]), i),
    "lists": lambda i, t: [i, float(i), "a"],
    "dict of tuples": lambda i, t: {"x": (t([1.0 * i]), np.float64(i)), "y": i, "name": str(i),
                                    "z": {"w": [np.ones(2) * i]}},
    "namedtuples": lambda i, t: Point(t([i]), 2.5 * i),
    "list of dicts": lambda i, t: [{"a": i}, {"a": -i}],
    "empty tensors": lambda i, t: t([]).reshape(0, 2),
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_collate_matches_torch(kind):
    ours, theirs = _pair(SAMPLES[kind])
    assert_same(default_collate(ours), tud.default_collate(theirs))


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_convert_matches_torch(kind):
    ours, theirs = _pair(SAMPLES[kind])
    assert_same(default_convert(ours[1]), tud.default_convert(theirs[1]))


def test_default_convert_keeps_string_arrays_and_shares_memory():
    strings = np.array(["a", "b"])
    assert default_convert(strings) is strings
    a = np.zeros(3)
    default_convert(a)[0] = 5.0  # as torch.as_tensor: a view of the array
    assert a[0] == 5.0


def test_stacked_tensors_keep_their_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([x * 2, x * 3])
    batch.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_mismatched_tensor_shapes_name_the_shapes():
    with pytest.raises(RuntimeError):
        tud.default_collate([torch.zeros(2), torch.zeros(3)])
    raises_with(RuntimeError, lambda: default_collate([cr.zeros(2), cr.zeros(2), cr.zeros(3)]),
                "(2,) at entry 0", "(3,) at entry 2")
    raises_with(RuntimeError, lambda: default_collate([np.zeros((2, 1)), np.zeros((1, 2))]),
                "(2, 1)", "(1, 2)")


@pytest.mark.parametrize(("batch", "error"), [
    ([[1, 2], [3]], RuntimeError),
    ([object(), object()], TypeError),
    ([np.array(["a"]), np.array(["b"])], TypeError),
    ([None, None], TypeError),
])
def test_bad_batches_raise_as_torch(batch, error):
    with pytest.raises(error) as theirs:
        tud.default_collate(batch)
    with pytest.raises(error) as ours:
        default_collate(batch)
    assert str(ours.value) == str(theirs.value)
