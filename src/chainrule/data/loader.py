"""DataLoader and collation (PyTorch's torch.utils.data.dataloader and its default_collate).

A loader reads indices from a sampler, fetches the samples and merges each batch with
``collate_fn``. Everything runs in the calling process: there are no worker processes.
"""

from __future__ import annotations

import collections.abc
import copy
import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from chainrule.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from chainrule.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from chainrule.tensor import backend
from chainrule.tensor.creation import as_tensor
from chainrule.tensor.ops.movement import stack
from chainrule.tensor.tensor import Generator, Tensor, tensor

__all__ = ["DataLoader", "default_collate", "default_convert"]

_NP_STR_OBJ = re.compile(r"[SaUO]")  # NumPy dtype codes of bytes, str and object arrays
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                  "lists; found {}")


# ----- collation -----------------------------------------------------------------------------
def _is_numpy(obj: Any) -> bool:
    t = type(obj)
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "string_")


def default_convert(data: Any) -> Any:
    """NumPy arrays and scalars inside ``data`` become tensors (sharing memory); tensors and
    other leaves stay; mappings, namedtuples and sequences are rebuilt around the converted
    elements (a plain tuple becomes a list). The loader's collate_fn without batching."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if backend.is_array(data) and _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    return _rebuild(data, default_convert)


def _rebuild(data: Any, fn: Callable[[Any], Any]) -> Any:
    """``data`` (a mapping, namedtuple or sequence) with ``fn`` applied to each element."""
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: fn(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(fn(d) for d in data))
    if isinstance(data, tuple):
        return [fn(d) for d in data]  # PyTorch's rule: tuples come back as lists
    if isinstance(data, collections.abc.Sequence):
        return _same_sequence(data, [fn(d) for d in data])
    return data


def _same_mapping(like: Any, items: dict) -> Any:
    """``items`` in a mapping of ``like``'s type where that can be made, else a dict."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _same_sequence(like: Any, items: list) -> Any:
    """``items`` in a sequence of ``like``'s type where that can be made, else a list."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _collate_tensors(batch: Sequence[Tensor]) -> Tensor:
    shape = batch[0].shape
    for i, t in enumerate(batch):
        if t.shape != shape:
            raise RuntimeError(
                "default_collate: the samples of a batch must have one shape to be stacked, "
                f"but got {tuple(shape)} at entry 0 and {tuple(t.shape)} at entry {i}")
    return stack(batch, 0)


def _collate_arrays(batch: Sequence[Any]) -> Tensor:
    if _NP_STR_OBJ.search(batch[0].dtype.str) is not None:
        raise TypeError(_COLLATE_ERROR.format(batch[0].dtype))
    return _collate_tensors([as_tensor(b) for b in batch])


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, by the type of the first sample:

    - Tensor -> the samples stacked along a new dim 0 (equal shapes, else RuntimeError);
    - NumPy array -> tensors, stacked; NumPy scalar -> a 1-d tensor of its dtype;
    - float -> float64 tensor; int -> int64 tensor; bool -> bool tensor;
    - str, bytes -> the batch unchanged (a tuple of them inside sequences);
    - mapping -> the same keys, each collated; namedtuple -> the same type, field by field;
    - tuple or list -> a list (a list subclass keeps its type) of the collated positions
      (the samples must have equal lengths, else RuntimeError).

    Anything else is a TypeError.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, backend.ndarray):
        return _collate_arrays(batch)
    if isinstance(elem, (backend.xp.bool_, backend.xp.number, backend.xp.object_)):
        # NumPy scalars (np.float64 before float: it is a float too), keeping their dtype
        return as_tensor(backend.xp.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float)
    if isinstance(elem, int):  # bool is an int: a list of bools gives a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch])
                                    for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch, strict=False)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # each position's samples as a tuple: a column of strings stays a tuple (PyTorch's)
        columns = [default_collate(s) for s in zip(*batch, strict=True)]
        return columns if isinstance(elem, tuple) else _same_sequence(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _tensor_batch(dataset: Any, indices: list[int]) -> list[Tensor] | None:
    """The fast path of ``default_collate([dataset[i] for i in indices])`` for a TensorDataset
    (or a Subset of one): one fancy index per tensor. None where it does not apply."""
    while type(dataset) is Subset:
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if not (isinstance(dataset, TensorDataset)
            and type(dataset).__getitem__ is TensorDataset.__getitem__
            and all(isinstance(t, Tensor) for t in dataset.tensors)):
        return None
    index = backend.xp.asarray(indices)
    if index.ndim != 1 or index.dtype.kind not in "iu" or len(index) == 0:
        return None  # keys that are not a list of integers: the generic path decides
    return [t[index] for t in dataset.tensors]


# ----- the loader ----------------------------------------------------------------------------
class _InfiniteConstantSampler(Sampler[None]):
    """None forever: the index stream of an iterable dataset (which ignores indices)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader:
    """Batches of a dataset: ``for batch in DataLoader(ds, batch_size=32, shuffle=True)``.

    - ``sampler`` (indices) or ``shuffle`` (a RandomSampler, reshuffled each epoch, drawn with
      ``generator``), else a SequentialSampler; ``batch_size`` indices at a time (the last
      batch shorter, or dropped with ``drop_last``), merged by ``collate_fn``
      (``default_collate``). ``batch_sampler`` gives whole batches of indices instead, and
      ``batch_size=None`` turns batching off (each sample passes through ``default_convert``).
    - An ``IterableDataset`` is read in its own order (no sampler or shuffle).
    - A TensorDataset (or a Subset of one) with the default collate_fn is batched by one
      index per tensor, not by stacking samples: the same values, dtypes and graph.
    - ``num_workers > 0`` is accepted but loads in this process (no worker processes, so
      ``worker_init_fn`` is never called); ``pin_memory`` has no effect (no accelerator).

    The argument checks and their errors are PyTorch's.
    """

    _INITIALIZED_ONLY = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                         "persistent_workers")

    def __init__(self, dataset: Dataset | Iterable, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler[list] | Iterable[list] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[Any], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={num_workers}")

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.persistent_workers = persistent_workers
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self._len_reported: int | None = None  # len() of an IterableDataset, when asked
        self._initialized = True

    def __setattr__(self, attr: str, val: Any) -> None:
        if getattr(self, "_initialized", False) and attr in self._INITIALIZED_ONLY:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    def __iter__(self) -> _LoaderIter:
        return _LoaderIter(self)

    def __len__(self) -> int:
        """The number of batches: the index sampler's length; for an IterableDataset an
        estimate from ``len(dataset)`` and batch_size."""
        if self._iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            self._len_reported = n
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)  # type: ignore[arg-type]

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self.batch_sampler is not None else self.sampler


class _LoaderIter:
    """One epoch of a DataLoader (in this process)."""

    def __init__(self, loader: DataLoader) -> None:
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        self._loader = loader
        self._dataset = loader.dataset
        self._batched = loader.batch_sampler is not None
        self._collate = loader.collate_fn
        self._indices = iter(loader._index_sampler)
        self._stream = iter(loader.dataset) if loader._iterable else None
        self._ended = False
        self._yielded = 0

    def __iter__(self) -> _LoaderIter:
        return self

    def __len__(self) -> int:
        return len(self._loader._index_sampler)

    def __next__(self) -> Any:
        index = next(self._indices)
        data = self._fetch_stream(index) if self._stream is not None else self._fetch(index)
        self._yielded += 1
        reported = self._loader._len_reported
        if reported is not None and self._yielded > reported:
            warnings.warn(f"Length of IterableDataset {self._dataset} was reported to be "
                          f"{reported} (when accessing len(dataloader)), but {self._yielded} "
                          "samples have been fetched. ", stacklevel=2)
        return data

    def _fetch(self, index: Any) -> Any:
        if not self._batched:
            return self._collate(self._dataset[index])
        if self._collate is default_collate:
            fast = _tensor_batch(self._dataset, index)
            if fast is not None:
                return fast
        getitems = getattr(self._dataset, "__getitems__", None)
        samples = getitems(index) if getitems else [self._dataset[i] for i in index]
        return self._collate(samples)

    def _fetch_stream(self, index: Any) -> Any:
        if self._ended:
            raise StopIteration
        if not self._batched:
            return self._collate(next(self._stream))  # type: ignore[arg-type]
        samples = []
        for _ in index:
            try:
                samples.append(next(self._stream))  # type: ignore[arg-type]
            except StopIteration:
                self._ended = True
                break
        if not samples or (self._loader.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self._collate(samples)
