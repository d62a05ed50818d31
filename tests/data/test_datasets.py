"""The offline data sets: shapes, dtypes, splits, the MNIST-1D recipe, the global RNGs."""

from __future__ import annotations

import random
import sys
from collections import Counter

import numpy as np
import pytest

import chainrule as cr
import chainrule.data as data
from chainrule.data import Splits, TensorDataset, datasets


def _check(splits: Splits, n_train: int, n_test: int, width: int, classes: tuple) -> None:
    assert isinstance(splits, Splits) and splits.classes == classes
    train, test, names = splits  # a NamedTuple of three
    assert names == classes
    for ds, n in ((train, n_train), (test, n_test)):
        assert isinstance(ds, TensorDataset) and len(ds) == n
        x, y = ds.tensors
        assert x.dtype == cr.float32 and x.shape == (n, width)
        assert y.dtype == cr.int64 and y.shape == (n,)
        assert y.min().item() >= 0 and y.max().item() < len(classes)


def test_moons():
    sklearn = pytest.importorskip("sklearn.datasets")
    splits = data.moons(n_samples=200, noise=0.2, seed=3, test_fraction=0.25)
    _check(splits, 150, 50, 2, ("0", "1"))
    x, _ = sklearn.make_moons(n_samples=200, noise=0.2, random_state=3)
    rows = {tuple(r) for r in x.astype(np.float32).tolist()}
    both = cr.cat([splits.train.tensors[0], splits.test.tensors[0]]).tolist()
    assert {tuple(r) for r in both} == rows
    assert Counter(splits.test.tensors[1].tolist()) == {0: 25, 1: 25}  # stratified
    again = data.moons(n_samples=200, noise=0.2, seed=3, test_fraction=0.25)
    assert cr.equal(again.train.tensors[0], splits.train.tensors[0])
    other = data.moons(n_samples=200, noise=0.2, seed=4, test_fraction=0.25)
    assert not cr.equal(other.train.tensors[0], splits.train.tensors[0])


def test_digits():
    pytest.importorskip("sklearn")
    splits = data.digits()
    _check(splits, 1437, 360, 64, tuple("0123456789"))
    x = cr.cat([splits.train.tensors[0], splits.test.tensors[0]])
    assert x.min().item() == 0.0 and x.max().item() == 1.0
    everything = Counter(cr.cat([splits.train.tensors[1], splits.test.tensors[1]]).tolist())
    test = Counter(splits.test.tensors[1].tolist())
    for label, count in everything.items():  # each class is 20% of the test set, within 1
        assert abs(test[label] - 0.2 * count) <= 1, (label, test[label], count)
    assert cr.equal(data.digits().test.tensors[0], splits.test.tensors[0])  # a fixed split
    assert len(data.digits(test_fraction=0.5).test) == 899


def test_mnist1d_is_make_dataset_and_leaves_the_global_rngs_alone():
    mnist1d = pytest.importorskip("mnist1d.data")
    reference = mnist1d.make_dataset(mnist1d.get_dataset_args())
    datasets._mnist1d_arrays.cache_clear()
    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), np.random.rand())
    random.seed(123)
    np.random.seed(123)
    splits = data.mnist1d()
    assert (random.random(), np.random.rand()) == expected
    _check(splits, 4000, 1000, 40, tuple("0123456789"))
    np.testing.assert_array_equal(splits.train.tensors[0][:5].numpy(),
                                  reference["x"][:5].astype(np.float32))
    np.testing.assert_array_equal(splits.train.tensors[1].numpy(), reference["y"])
    np.testing.assert_array_equal(splits.test.tensors[0].numpy(),
                                  reference["x_test"].astype(np.float32))
    np.testing.assert_array_equal(splits.test.tensors[1].numpy(), reference["y_test"])


def test_mnist1d_gives_fresh_tensors_from_one_cached_copy():
    pytest.importorskip("mnist1d")
    first = data.mnist1d()
    first.train.tensors[0][0] = 100.0
    second = data.mnist1d()
    assert second.train.tensors[0][0, 0].item() != 100.0
    assert datasets._mnist1d_arrays.cache_info().currsize == 1


@pytest.mark.parametrize(("fn", "module", "package"), [
    (data.moons, "sklearn.datasets", "scikit-learn"),
    (data.digits, "sklearn.model_selection", "scikit-learn"),
    (data.mnist1d, "mnist1d.data", "mnist1d"),
])
def test_missing_packages_say_what_to_install(monkeypatch, fn, module, package):
    datasets._mnist1d_arrays.cache_clear()
    monkeypatch.setitem(sys.modules, module, None)  # import of it fails
    with pytest.raises(ModuleNotFoundError, match=f"pip install {package}"):
        fn()
    datasets._mnist1d_arrays.cache_clear()


def test_names():
    pytest.importorskip("names")
    words = data.names()
    assert len(words) > 5000 and words == sorted(set(words))
    assert all(w.isalpha() and w.islower() for w in words)


def test_utils_data_is_chainrule_data():
    import chainrule.utils.data as utils_data
    from chainrule.utils.data import DataLoader, random_split

    assert utils_data is data and DataLoader is data.DataLoader
    assert random_split is data.random_split
    assert set(data.__all__) >= {"Dataset", "IterableDataset", "TensorDataset", "Subset",
                                 "ConcatDataset", "random_split", "Sampler", "SequentialSampler",
                                 "RandomSampler", "SubsetRandomSampler", "BatchSampler",
                                 "DataLoader", "default_collate", "moons", "digits", "mnist1d"}
    assert all(hasattr(data, name) for name in data.__all__)
