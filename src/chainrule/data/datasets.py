"""Data sets that need no network: generated, or read from files that installed packages ship."""

from __future__ import annotations

import functools
import importlib
import random
from importlib import resources
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from chainrule._extras import install_hint
from chainrule.data.dataset import TensorDataset
from chainrule.tensor import backend
from chainrule.tensor.tensor import tensor

__all__ = ["Splits", "digits", "mnist1d", "moons", "names"]

_DIGITS = tuple(str(d) for d in range(10))


class Splits(NamedTuple):
    """A data set's fixed training and test splits, each a ``TensorDataset(x, y)`` (x float32,
    y int64 class indices), and the class names (``classes[y]``)."""

    train: TensorDataset
    test: TensorDataset
    classes: tuple[str, ...]


def _import(module: str, package: str, caller: str) -> ModuleType:
    """``module``, or ModuleNotFoundError saying which package ``caller`` needs and how to get
    it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        ours = e.name is not None and (module + ".").startswith(e.name + ".")
        missing = "" if ours else f" (its import failed: {e})"
        raise ModuleNotFoundError(
            f"chainrule.data.{caller} needs the {package} package{missing}: "
            f"{install_hint('data', package)}"
        ) from None


def _splits(x: Any, y: Any, x_test: Any, y_test: Any, classes: tuple[str, ...]) -> Splits:
    """Fresh tensors (x float32, y int64) on each call: a caller may change them in place."""
    def pair(x: Any, y: Any) -> TensorDataset:
        return TensorDataset(tensor(x, dtype=backend.float32), tensor(y, dtype=backend.int64))
    return Splits(pair(x, y), pair(x_test, y_test), classes)


def moons(n_samples: int = 1000, noise: float = 0.1, seed: int = 0,
          test_fraction: float = 0.2) -> Splits:
    """Two interleaving half circles in the plane (scikit-learn's ``make_moons``): x (N, 2),
    y in {0, 1}. Drawn with ``random_state=seed``, then split in fixed, stratified parts
    (``train_test_split(stratify=y, random_state=seed)``, ``test_fraction`` of them for test).
    """
    sk_data = _import("sklearn.datasets", "scikit-learn", "moons")
    sk_split = _import("sklearn.model_selection", "scikit-learn", "moons")
    x, y = sk_data.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    x, x_test, y, y_test = sk_split.train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed)
    return _splits(x, y, x_test, y_test, ("0", "1"))


def digits(test_fraction: float = 0.2) -> Splits:
    """The 8x8 handwritten digits scikit-learn ships (1,797 images, classes "0".."9"): x the
    64 pixels / 16 in [0, 1], (N, 64); a fixed stratified split (``random_state=0``)."""
    sk_data = _import("sklearn.datasets", "scikit-learn", "digits")
    sk_split = _import("sklearn.model_selection", "scikit-learn", "digits")
    bunch = sk_data.load_digits()
    x, x_test, y, y_test = sk_split.train_test_split(
        bunch.data / 16.0, bunch.target, test_size=test_fraction, stratify=bunch.target,
        random_state=0)
    return _splits(x, y, x_test, y_test, _DIGITS)


@functools.cache
def _mnist1d_arrays() -> tuple[Any, Any, Any, Any]:
    """MNIST-1D's default arrays (x, y, x_test, y_test), made once per process, read-only.

    ``make_dataset`` reseeds Python's ``random`` and NumPy's global generator: both states are
    put back afterwards, so the caller's random streams are untouched."""
    data = _import("mnist1d.data", "mnist1d", "mnist1d")
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        d = data.make_dataset(data.get_dataset_args())
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    arrays = (d["x"].astype(np.float32), d["y"].astype(np.int64),
              d["x_test"].astype(np.float32), d["y_test"].astype(np.int64))
    for a in arrays:
        a.setflags(write=False)
    return arrays


def mnist1d() -> Splits:
    """MNIST-1D (Greydanus, 2020): the ten digits as 1-d signals of length 40, x (N, 40),
    made by ``mnist1d.data.make_dataset`` with its default arguments (seed 42): 4,000
    training and 1,000 test samples, in its order. Made once per process; fresh tensors on
    each call. The global ``random`` and NumPy generators are left as they were."""
    return _splits(*_mnist1d_arrays(), _DIGITS)


def names() -> list[str]:
    """First names for character-level models (makemore's path), lowercase, sorted, unique.

    The US census 1990 lists of male and female first names that the public-domain ``names``
    package ships (5,163 names of 2 to 11 letters a-z).
    """
    try:
        package = resources.files("names")
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"chainrule.data.names needs the names package: {install_hint('data', 'names')}"
        ) from None
    words: set[str] = set()
    for file in ("dist.male.first", "dist.female.first"):
        for line in package.joinpath(file).read_text(encoding="ascii").splitlines():
            if line.strip():
                words.add(line.split()[0].lower())
    return sorted(words)
