"""DataLoader against torch.utils.data.DataLoader: batches, lengths, argument errors; shuffling;
the TensorDataset fast path against the generic path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from chainrule.data.loader import _tensor_batch
from tests.data.same import assert_same

N = 10


def _tensor_datasets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 3, 2)).astype(np.float32)
    y = rng.integers(0, 5, N)
    w = rng.standard_normal(N)
    return (TensorDataset(cr.tensor(x), cr.tensor(y), cr.tensor(w)),
            tud.TensorDataset(torch.tensor(x), torch.tensor(y), torch.tensor(w)))


class Records(Dataset):
    """Samples of mixed types: dicts of tuples, numbers, NumPy arrays and strings."""

    def __init__(self, tensor_fn):
        self.t = tensor_fn

    def __getitem__(self, i):
        return {"pair": (self.t([i, -i]), 0.5 * i), "label": i, "mask": i % 2 == 0,
                "pixels": np.full((2, 2), i, dtype=np.float32), "name": f"item{i}"}

    def __len__(self):
        return 7


class TRecords(tud.Dataset):
    def __init__(self):
        self.inner = Records(torch.tensor)

    def __getitem__(self, i):
        return self.inner[i]

    def __len__(self):
        return len(self.inner)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.torch
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11, None])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    if batch_size is None and drop_last:
        return
    ours, theirs = _tensor_datasets()
    a = DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    b = tud.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(a) == len(b)
    assert_same(list(a), list(b))


@pytest.mark.torch
@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, None])
@pytest.mark.parametrize("drop_last", [False, True])
def test_mixed_samples_batches_match_torch(batch_size, drop_last):
    if batch_size is None and drop_last:
        return
    a = DataLoader(Records(cr.tensor), batch_size=batch_size, drop_last=drop_last)
    b = tud.DataLoader(TRecords(), batch_size=batch_size, drop_last=drop_last)
    assert len(a) == len(b)
    assert_same(list(a), list(b))


@pytest.mark.torch
def test_samplers_and_batch_samplers_match_torch():
    ours, theirs = _tensor_datasets()
    order = [3, 1, 4, 1, 5, 9, 2, 6]
    assert_same(list(DataLoader(ours, batch_size=3, sampler=order)),
                list(tud.DataLoader(theirs, batch_size=3, sampler=order)))
    batches = [[0, 1], [5], [9, 2, 2]]
    a = DataLoader(ours, batch_sampler=batches)
    b = tud.DataLoader(theirs, batch_sampler=batches)
    assert len(a) == len(b) == 3
    assert_same(list(a), list(b))
    a = DataLoader(Records(cr.tensor), batch_sampler=BatchSampler(range(7), 4, False))
    b = tud.DataLoader(TRecords(), batch_sampler=tud.BatchSampler(range(7), 4, False))
    assert_same(list(a), list(b))


@pytest.mark.torch
@pytest.mark.parametrize("batch_size", [1, 3, 5, None])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_matches_torch(batch_size, drop_last):
    if batch_size is None and drop_last:
        return
    a = DataLoader(Stream(5), batch_size=batch_size, drop_last=drop_last)
    b = tud.DataLoader(TStream(5), batch_size=batch_size, drop_last=drop_last)
    assert len(a) == len(b)
    assert_same(list(a), list(b))


@pytest.mark.torch
def test_iterable_dataset_longer_than_its_len_warns_as_torch():
    class Liar(Stream):
        def __len__(self):
            return 2

    class TLiar(TStream):
        def __len__(self):
            return 2

    for loader in (DataLoader(Liar(3), batch_size=None),
                   tud.DataLoader(TLiar(3), batch_size=None)):
        assert len(loader) == 2
        with pytest.warns(UserWarning, match="was reported to be 2"):
            list(loader)


@pytest.mark.torch
def test_custom_collate_fn_and_getitems():
    class Batched(Dataset):
        def __getitems__(self, indices):
            return [10 * i for i in indices]

        def __len__(self):
            return 5

    batches = list(DataLoader(Batched(), batch_size=2, collate_fn=lambda b: b))
    assert batches == [[0, 10], [20, 30], [40]]
    ours, theirs = _tensor_datasets()
    assert_same(list(DataLoader(ours, batch_size=4, collate_fn=lambda b: len(b))),
                list(tud.DataLoader(theirs, batch_size=4, collate_fn=lambda b: len(b))))


BAD_ARGUMENTS = [
    {"shuffle": True, "sampler": [0, 1]},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"batch_size": 0},
    {"batch_size": -3},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"num_workers": 2, "prefetch_factor": -1},
    {"persistent_workers": True},
    {"multiprocessing_context": "fork"},
]


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", BAD_ARGUMENTS)
def test_bad_arguments_raise_as_torch(kwargs):
    ours, theirs = _tensor_datasets()
    with pytest.raises(Exception) as expected:
        tud.DataLoader(theirs, **kwargs)
    with pytest.raises(expected.type) as got:
        DataLoader(ours, **kwargs)
    assert str(got.value) == str(expected.value)


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]},
                                    {"batch_sampler": [[0]]}])
def test_iterable_dataset_rejects_sampling_options_as_torch(kwargs):
    with pytest.raises(ValueError) as expected:
        tud.DataLoader(TStream(3), **kwargs)
    with pytest.raises(ValueError) as got:
        DataLoader(Stream(3), **kwargs)
    assert str(got.value).split(" but got")[0] == str(expected.value).split(" but got")[0]


@pytest.mark.torch
def test_attributes_are_frozen_after_init_as_torch():
    ours, theirs = _tensor_datasets()
    with pytest.raises(ValueError) as expected:
        tud.DataLoader(theirs).batch_size = 3
    with pytest.raises(ValueError) as got:
        DataLoader(ours).batch_size = 3
    assert str(got.value) == str(expected.value)
    loader = DataLoader(ours)
    loader.num_workers = 0  # others may change


def test_workers_load_in_process_and_pin_memory_warns():
    ours, _ = _tensor_datasets()
    plain = list(DataLoader(ours, batch_size=4))
    calls = []
    workers = DataLoader(ours, batch_size=4, num_workers=3, worker_init_fn=calls.append,
                         persistent_workers=True)
    assert workers.prefetch_factor == 2
    for a, b in zip(plain, workers, strict=True):
        assert all(cr.equal(s, t) for s, t in zip(a, b, strict=True))
    assert calls == []
    with pytest.warns(UserWarning, match="pin_memory"):
        list(DataLoader(ours, pin_memory=True))


def _order(loader):
    return [i for batch in loader for i in batch[0].tolist()]


def test_shuffle_epochs_are_permutations_reproducible_and_different():
    ds = TensorDataset(cr.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator(3))
    epochs = [_order(loader) for _ in range(3)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]
    again = DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator(3))
    assert [_order(again) for _ in range(3)] == epochs
    assert len(loader) == 7 and [len(b[0]) for b in loader][-1] == 2


def test_shuffle_is_reproducible_from_manual_seed():
    ds = TensorDataset(cr.arange(30))
    cr.manual_seed(21)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    first = [_order(loader), _order(loader)]
    cr.manual_seed(21)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    assert [_order(loader), _order(loader)] == first and first[0] != first[1]
    assert sorted(first[0]) == list(range(30))


class Rows(Dataset):
    """The same samples as a TensorDataset, through the generic path (stack per batch)."""

    def __init__(self, ds):
        self.ds = ds

    def __getitem__(self, i):
        return self.ds[i]

    def __len__(self):
        return len(self.ds)


@pytest.mark.parametrize("batch_size", [1, 3, 10])
@pytest.mark.parametrize("shuffle", [False, True])
def test_fast_path_equals_generic_path(batch_size, shuffle):
    ds, _ = _tensor_datasets()
    subset = random_split(ds, [0.7, 0.3], generator=cr.Generator(0))[0]
    for fast_ds, slow_ds in ((ds, Rows(ds)), (subset, Subset(Rows(ds), subset.indices))):
        fast = list(DataLoader(fast_ds, batch_size=batch_size, shuffle=shuffle,
                               generator=cr.Generator(4)))
        slow = list(DataLoader(slow_ds, batch_size=batch_size, shuffle=shuffle,
                               generator=cr.Generator(4)))
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow, strict=True):
            assert type(a) is type(b) is list and len(a) == len(b) == 3
            for s, t in zip(a, b, strict=True):
                assert s.dtype == t.dtype and s.shape == t.shape and cr.equal(s, t)


def test_fast_path_is_taken_only_where_it_equals_default_collate():
    ds, _ = _tensor_datasets()
    assert _tensor_batch(ds, [2, 0]) is not None
    assert _tensor_batch(Subset(Subset(ds, [5, 6, 7]), [2, 0]), [1])[1].tolist() == \
        [ds[5][1].item()]
    assert _tensor_batch(Rows(ds), [0]) is None

    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return tuple(2 * t[i] for t in self.tensors)

    doubled = Doubled(cr.arange(4))
    assert _tensor_batch(doubled, [1]) is None
    assert next(iter(DataLoader(doubled, batch_size=4)))[0].tolist() == [0, 2, 4, 6]


def test_fast_path_keeps_the_graph():
    x = cr.arange(6.0).reshape(3, 2).requires_grad_()
    grads = []
    for ds in (TensorDataset(x), Rows(TensorDataset(x))):
        x.grad = None
        batch = next(iter(DataLoader(ds, batch_size=2, sampler=[2, 0, 2])))[0]
        (batch * cr.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]


def test_default_collate_is_the_default():
    ds, _ = _tensor_datasets()
    assert DataLoader(ds).collate_fn is default_collate
    assert isinstance(DataLoader(ds).sampler, SequentialSampler)
    assert len(iter(DataLoader(ds, batch_size=3))) == 4


def test_fast_path_takes_integer_keys_of_any_kind():
    ds = TensorDataset(cr.arange(10) * 10)
    keys = cr.tensor([7, 2, 4])  # SubsetRandomSampler(tensor) yields 0-d tensors
    batches = list(DataLoader(ds, batch_size=2, sampler=list(keys)))
    assert [b[0].tolist() for b in batches] == [[70, 20], [40]]
    batches = list(DataLoader(ds, batch_size=2, sampler=[np.int32(1), -1]))
    assert [b[0].tolist() for b in batches] == [[10, 90]]
    with pytest.raises(IndexError):  # an empty batch: default_collate's error, as torch's
        list(DataLoader(ds, batch_sampler=[[]]))
