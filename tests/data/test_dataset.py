"""Datasets and random_split against torch.utils.data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from tests.tensor.oracle import raises_with


class Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i: int) -> int:
        return i * i

    def __len__(self) -> int:
        return self.n


class Count(IterableDataset):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


def test_tensor_dataset_items_and_len():
    x = cr.arange(12).reshape(4, 3).float()
    y = cr.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4 and ds.tensors[0] is x and ds.tensors[1] is y
    xi, yi = ds[2]
    assert xi.tolist() == [6.0, 7.0, 8.0] and yi.item() == 0
    assert ds[1:3][0].shape == (2, 3)


@pytest.mark.torch
def test_tensor_dataset_size_mismatch_names_the_sizes():
    with pytest.raises(AssertionError):  # torch's type
        tud.TensorDataset(torch.zeros(4, 3), torch.zeros(5))
    raises_with(AssertionError, lambda: TensorDataset(cr.zeros(4, 3), cr.zeros(5)),
                "TensorDataset", "[4, 5]", "(4, 3)", "(5,)")
    raises_with(IndexError, lambda: TensorDataset(cr.zeros(4), cr.tensor(1.0)), "0-d")


def test_subset_maps_indices():
    sub = Subset(Squares(10), [7, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [49, 4, 25]
    assert sub.__getitems__([2, 0]) == [25, 49]
    ds = TensorDataset(cr.arange(10))
    assert Subset(ds, [3, 1])[[1, 0]][0].tolist() == [1, 3]  # a list index goes through


def test_subset_subclass_overriding_getitem_only_is_an_error():
    class Bad(Subset):
        def __getitem__(self, idx):
            return 0

    with pytest.raises(NotImplementedError, match="__getitems__"):
        Bad(Squares(3), [0])


@pytest.mark.torch
def test_concat_dataset_and_add_match_torch():
    class TSquares(tud.Dataset):
        def __init__(self, n):
            self.n = n

        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return self.n

    assert isinstance(Squares(3) + Squares(4), ConcatDataset)
    assert (Squares(3) + Squares(4)).cumulative_sizes == [3, 7]
    ours = ConcatDataset([Squares(3), Squares(0), Squares(4)])
    theirs = tud.ConcatDataset([TSquares(3), TSquares(0), TSquares(4)])
    assert ours.cumulative_sizes == theirs.cumulative_sizes == [3, 3, 7]
    assert [ours[i] for i in range(-7, 7)] == [theirs[i] for i in range(-7, 7)]
    with pytest.raises(ValueError):
        ours[-8]
    with pytest.raises(IndexError):
        ours[7]
    with pytest.raises(AssertionError):
        ConcatDataset([])
    with pytest.raises(AssertionError):
        ConcatDataset([Count(0, 2)])


def test_iterable_datasets_chain_with_add():
    chained = Count(0, 3) + Count(10, 12)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 2, 10, 11] and len(chained) == 5
    with pytest.raises(NotImplementedError):
        Dataset()[0]


LENGTHS = [
    (10, [3, 7]), (10, [10, 0]), (7, [0.5, 0.5]), (10, [0.3, 0.3, 0.4]), (11, [0.3, 0.3, 0.4]),
    (5, [0.1, 0.1, 0.8]), (3, [1 / 3, 1 / 3, 1 / 3]), (100, [0.7, 0.2, 0.1]), (2, [0.25] * 4),
    (1, [1.0]), (0, [0.5, 0.5]), (9, [0.6, 0.4]),
]


@pytest.mark.torch
@pytest.mark.parametrize(("n", "lengths"), LENGTHS)
def test_random_split_lengths_match_torch_and_partition(n, lengths):
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = tud.random_split(range(n), lengths)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = random_split(range(n), lengths, generator=cr.Generator(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]
    assert all(isinstance(s, Subset) for s in ours)
    assert sorted(i for s in ours for i in s.indices) == list(range(n))
    assert sorted(x for s in ours for x in (s[i] for i in range(len(s)))) == list(range(n))


@pytest.mark.torch
@pytest.mark.parametrize(("n", "lengths"), [(10, [3, 6]), (10, [0.5, 0.4]), (10, [1.2, -0.2]),
                                            (5, [0.6, 0.6]), (10, [11, -1])])
def test_random_split_bad_lengths_are_value_errors_as_in_torch(n, lengths):
    try:
        tud.random_split(range(n), lengths)
    except ValueError:
        pass
    else:  # torch takes negative integer lengths; we refuse them
        assert min(lengths) < 0 and all(float(x).is_integer() for x in lengths)
    with pytest.raises(ValueError):
        random_split(range(n), lengths)


def test_random_split_is_reproducible_from_a_generator():
    a = random_split(range(50), [0.8, 0.2], generator=cr.Generator(7))
    b = random_split(range(50), [0.8, 0.2], generator=cr.Generator(7))
    c = random_split(range(50), [0.8, 0.2], generator=cr.Generator(8))
    assert [s.indices for s in a] == [s.indices for s in b] != [s.indices for s in c]
    cr.manual_seed(3)
    d = random_split(range(50), [40, 10])
    cr.manual_seed(3)
    assert [s.indices for s in random_split(range(50), [40, 10])] == [s.indices for s in d]


def test_random_split_of_a_tensor_dataset():
    ds = TensorDataset(cr.arange(20).float(), cr.arange(20))
    train, test = random_split(ds, [15, 5], generator=cr.Generator(1))
    xs = np.array([train[i][0].item() for i in range(15)] + [test[i][0].item() for i in range(5)])
    assert sorted(xs.tolist()) == list(range(20))
