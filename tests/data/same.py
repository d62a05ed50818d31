"""``assert_same(ours, theirs)``: a chainrule batch equals torch's, structure and leaves alike
(container types, tensor values, dtypes and shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import chainrule as cr


def assert_same(ours: Any, theirs: Any, where: str = "batch") -> None:
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"{where}: {type(ours)} where torch has a Tensor"
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], \
            f"{where}: dtype {ours.dtype} vs torch {theirs.dtype}"
        assert tuple(ours.shape) == tuple(theirs.shape), \
            f"{where}: shape {tuple(ours.shape)} vs torch {tuple(theirs.shape)}"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=where)
        return
    assert type(ours) is type(theirs), f"{where}: {type(ours)} vs torch {type(theirs)}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} vs {list(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), f"{where}: length {len(ours)} vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} vs torch {theirs!r}"
