"""Samplers against torch.utils.data; shuffled orders: permutations, reproducible by seed."""

from __future__ import annotations

import pytest
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)


@pytest.mark.torch
@pytest.mark.parametrize("n", [0, 1, 5])
def test_sequential_sampler_matches_torch(n):
    assert list(SequentialSampler(range(n))) == list(tud.SequentialSampler(range(n)))
    assert len(SequentialSampler(range(n))) == n


@pytest.mark.torch
@pytest.mark.parametrize("n", [0, 1, 7, 9, 10])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    # any iterable of indices works as the inner sampler
    assert list(BatchSampler(range(n), batch_size, drop_last)) == list(theirs)


@pytest.mark.torch
@pytest.mark.parametrize(("batch_size", "drop_last"), [(0, False), (-1, False), (True, False),
                                                       (2.0, False), (2, 1), (2, None)])
def test_batch_sampler_bad_arguments_as_torch(batch_size, drop_last):
    with pytest.raises(ValueError) as theirs:
        tud.BatchSampler(range(3), batch_size, drop_last)
    with pytest.raises(ValueError) as ours:
        BatchSampler(range(3), batch_size, drop_last)
    assert str(ours.value) == str(theirs.value)


def test_random_sampler_epochs_are_permutations_that_differ():
    sampler = RandomSampler(range(20), generator=cr.Generator(0))
    epochs = [list(sampler) for _ in range(3)]
    assert all(sorted(e) == list(range(20)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]
    assert len(sampler) == 20


def test_random_sampler_reproducible_from_generator_and_manual_seed():
    a = [list(RandomSampler(range(30), generator=cr.Generator(5))) for _ in range(2)]
    assert a[0] == a[1]
    cr.manual_seed(11)
    s = RandomSampler(range(30))
    first = [list(s), list(s)]
    cr.manual_seed(11)
    s = RandomSampler(range(30))
    assert [list(s), list(s)] == first and first[0] != first[1]


def test_random_sampler_num_samples_and_replacement():
    g = cr.Generator(0)
    more = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(more) == 10
    assert sorted(more[:4]) == sorted(more[4:8]) == [0, 1, 2, 3]  # whole permutations first
    assert len(set(more[8:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2} and len(set(drawn)) == 3
    assert len(RandomSampler(range(3), replacement=True, num_samples=50)) == 50


@pytest.mark.torch
@pytest.mark.parametrize(("kwargs", "error"), [
    ({"num_samples": 0}, ValueError), ({"num_samples": -2}, ValueError),
    ({"num_samples": 2.5}, ValueError), ({"replacement": 1}, TypeError),
])
def test_random_sampler_bad_arguments_as_torch(kwargs, error):
    with pytest.raises(error) as theirs:
        tud.RandomSampler(range(3), **kwargs)
    with pytest.raises(error) as ours:
        RandomSampler(range(3), **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.torch
def test_random_sampler_of_empty_data_is_an_error_as_in_torch():
    with pytest.raises(ValueError):
        tud.RandomSampler(range(0))
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler(range(0))


def test_subset_random_sampler_permutes_the_indices():
    indices = [3, 9, 4, 12, 0]
    sampler = SubsetRandomSampler(indices, generator=cr.Generator(2))
    orders = [list(sampler) for _ in range(4)]
    assert all(sorted(o) == sorted(indices) for o in orders)
    assert len({tuple(o) for o in orders}) > 1 and len(sampler) == 5
    assert list(SubsetRandomSampler(indices, generator=cr.Generator(2))) == orders[0]


def test_sampler_base_class():
    with pytest.raises(NotImplementedError):
        iter(Sampler())
