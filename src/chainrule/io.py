"""Checkpoints: ``save(obj, path)`` and ``load(path)`` in the safetensors format, never pickle.

A checkpoint is one safetensors file. Its tensors are the file's tensors; everything else in
``obj`` (dicts, lists, tuples, ints, floats, strings, bools, None) is JSON in the header's
``__metadata__`` under the key ``"chainrule"``: ``{"version": 1, "obj": <structure>}``, where
the structure names its tensors. JSON objects in the structure are always one-key tags, so
nothing is ambiguous::

    {"dict": [[key, value], ...]}   keys str or int, in order
    {"tuple": [...]}                a list is a JSON array
    {"tensor": "name"}              a tensor of the file
    {"float": "nan" | "inf" | "-inf"}

A flat dict of str -> Tensor (a ``state_dict``) names its tensors by its keys, so
``safetensors.torch.load_file`` hands PyTorch a state dict; nested tensors are named by their
dotted paths (``"optimizer.state.0.exp_avg"``).

Writes are atomic: the bytes are made in memory first (a bad ``obj`` raises before the disk is
touched), written to a hidden temporary file beside the target, fsynced and renamed onto it,
so a crash leaves either the old checkpoint or the new one (and, after a kill, possibly a
``.NAME.*.tmp`` file). Loads read only data: the header is checked before safetensors parses
it, and pickles (PyTorch's ``torch.save`` files) are recognized and refused, since unpickling
can run code.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import struct
from collections.abc import Mapping
from typing import Any

from chainrule._extras import install_hint
from chainrule.tensor import backend
from chainrule.tensor.devices import check_device
from chainrule.tensor.tensor import Tensor

__all__ = ["load", "save"]

VERSION = 1
_KEY = "chainrule"  # the __metadata__ key holding the structure
_MAX_HEADER = 100_000_000  # safetensors' own limit on the header's size

# safetensors dtype -> chainrule dtype (and the itemsize that offsets must agree with)
_DTYPES = {
    "BOOL": backend.bool_, "U8": backend.uint8, "I8": backend.int8, "U16": backend.uint16,
    "I16": backend.int16, "F16": backend.float16, "U32": backend.uint32, "I32": backend.int32,
    "F32": backend.float32, "U64": backend.uint64, "I64": backend.int64, "F64": backend.float64,
}
# dtypes safetensors knows that chainrule tensors cannot hold
_FOREIGN_DTYPES = frozenset((
    "BF16", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F4",
    "F6_E2M3", "F6_E3M2",
))
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _safetensors() -> Any:
    """The safetensors package with its numpy module, imported on first use (``import
    chainrule`` stays light)."""
    try:
        import safetensors.numpy
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(
            "chainrule.save and chainrule.load need the safetensors package: "
            + install_hint("checkpoint", "safetensors"), name=e.name,
        ) from None
    return safetensors


# ----- save ------------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` to ``path`` as a safetensors checkpoint, atomically.

    ``obj`` nests dicts (str or int keys, order kept), lists, tuples, Tensors (any chainrule
    dtype; a Parameter or a tensor that requires grad saves its values, detached), ints, floats
    (nan and inf too), strings, bools and None. Another type is a TypeError naming where it is
    (``obj['optimizer']['state'][0]['step'] is a set``).
    """
    target = os.fsdecode(os.fspath(path))
    payload = _serialize(obj)
    _write_atomic(target, payload)


def _serialize(obj: Any) -> bytes:
    arrays: dict[str, Any] = {}
    structure = _Encoder(arrays).encode(obj, "obj", (), set())
    header = json.dumps({"version": VERSION, "obj": structure}, separators=(",", ":"),
                        allow_nan=False)
    return bytes(_safetensors().numpy.save(arrays, metadata={_KEY: header}))


class _Encoder:
    """The JSON structure of ``obj``; its tensors go into ``arrays`` under unique names."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.arrays = arrays

    def encode(self, x: Any, where: str, keys: tuple[Any, ...], open_ids: set[int]) -> Any:
        if x is None or isinstance(x, bool):
            return x
        if isinstance(x, str):
            return str(x)
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            x = float(x)
            if math.isfinite(x):
                return x
            return {"float": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}
        if isinstance(x, Tensor):
            return {"tensor": self.tensor(x, keys)}
        if not isinstance(x, Mapping | list | tuple):
            raise TypeError(f"save: {where} is {_a(x)}; a checkpoint holds dicts, lists, tuples, "
                            f"Tensors, int, float, str, bool and None{_hint(x)}")
        if id(x) in open_ids:
            raise TypeError(f"save: {where} is a container it is inside of (a reference "
                            f"cycle)")
        open_ids.add(id(x))
        if isinstance(x, Mapping):
            pairs = []
            for k, v in x.items():
                if isinstance(k, bool) or not isinstance(k, str | int):
                    raise TypeError(f"save: {where} has the key {k!r} ({_a(k)}); dict keys must "
                                    f"be str or int")
                k = str(k) if isinstance(k, str) else int(k)
                pairs.append([k, self.encode(v, f"{where}[{k!r}]", (*keys, k), open_ids)])
            out: Any = {"dict": pairs}
        else:
            items = [self.encode(v, f"{where}[{i}]", (*keys, i), open_ids)
                     for i, v in enumerate(x)]
            out = items if isinstance(x, list) else {"tuple": items}
        open_ids.discard(id(x))
        return out

    def tensor(self, t: Tensor, keys: tuple[Any, ...]) -> str:
        """A new name for ``t``: its dotted path (a state_dict's keys as they are), made
        unique with ``~1``, ``~2`` where paths collide (``{"a.b": x, "a": {"b": y}}``)."""
        base = ".".join(str(k) for k in keys) if keys else "tensor"
        name, n = base, 0
        while name in self.arrays or name == "__metadata__":
            n += 1
            name = f"{base}~{n}"
        # safetensors reads raw memory: the array must be C-contiguous (ascontiguousarray would
        # make a 0-d array 1-d)
        array = t._data
        self.arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
        return name


def _a(x: Any) -> str:
    if backend.is_array(x):
        return "a NumPy array"
    name = type(x).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _hint(x: Any) -> str:
    if backend.is_array(x):
        return " (make it a Tensor: chainrule.from_numpy(array))"
    if type(x).__module__ == "numpy":
        return " (make it a Python number: .item())"
    return ""


def _write_atomic(target: str, payload: bytes) -> None:
    """``payload`` into ``target`` by a temporary file in the same folder and a rename, both
    fsynced: a reader (or a crash) sees the old file or the new one, never a part."""
    if os.path.islink(target):  # write where the link points, as open() would
        target = os.path.realpath(target)
    folder, name = os.path.split(os.path.abspath(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise _os_error(e, f"save: {target}: cannot write a file in the folder "
                               f"{folder!r}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _os_error(e, f"save: {target}: {e.strerror or e}") from None
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _os_error(e: OSError, message: str) -> OSError:
    """An exception of ``e``'s type (PermissionError, FileNotFoundError ...) with ``message``."""
    err = type(e)(message)
    err.errno = e.errno  # not filename: str() would then be "[Errno N] strerror: filename"
    return err


# ----- load ------------------------------------------------------------------------------------
def load(path: str | os.PathLike[str], map_location: Any = None, *,
         weights_only: bool | None = None) -> Any:
    """Read a checkpoint written by ``save``: the same structure, with plain (non-grad) Tensors
    and plain dicts. A safetensors file without chainrule's metadata (PyTorch's, Hugging
    Face's) loads as a dict of str -> Tensor, in the header's order.

    Never runs code from the file: a pickle (PyTorch's ``torch.save``) is refused. A file that
    is not a valid checkpoint is a ValueError saying what is wrong, starting ``load: PATH:``.
    ``map_location`` (the CPU only) and ``weights_only`` (loads are data only, always) are
    accepted for PyTorch's code.
    """
    check_device(map_location, "load")
    where = f"load: {os.fsdecode(os.fspath(path))}:"
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _os_error(e, f"{where} {e.strerror or e}") from None
    entries, metadata = _check(data, where)
    st = _safetensors()
    try:
        parsed = dict(st.deserialize(data))
    except Exception as e:  # safetensors' own checks: SafetensorError and the like
        raise ValueError(f"{where} not a valid safetensors file: {e}") from None
    tensors: dict[str, Tensor] = {}
    for name, dtype, shape in entries:
        raw = parsed[name]["data"]
        # safetensors is little-endian; astype makes the writable, native-order copy
        little = dtype.np.newbyteorder("<")
        array = backend.xp.frombuffer(raw, dtype=little).reshape(shape).astype(dtype.np)
        tensors[name] = Tensor._make(array, False, None)
    text = metadata.get(_KEY)
    if text is None:
        return tensors
    return _decode_document(text, tensors, where)


def _check(data: bytes, where: str) -> tuple[list[tuple[str, Any, list[int]]], dict[str, str]]:
    """The header's tensors (name, dtype, shape) in order and its metadata, after checking the
    whole layout, so that an error says what is wrong with the file."""
    n = len(data)
    if n == 0:
        raise ValueError(f"{where} the file is empty (0 bytes), not a checkpoint")
    if data[:4] == b"PK\x03\x04":
        raise ValueError(f"{where} a zip archive: a PyTorch torch.save file (zip/pickle); "
                         f"chainrule never loads pickles: they can run code")
    size = struct.unpack("<Q", data[:8])[0] if n >= 8 else None
    plausible = size is not None and size <= n - 8 and data[8:9] == b"{"
    if not plausible:
        if data[:1] == b"\x80":
            what = ("a PyTorch legacy torch.save file (pickle)" if data[2:3] == b"\x8a"
                    else "a Python pickle")
            raise ValueError(f"{where} {what}; chainrule never loads pickles: they can run code")
        if data[:6] == b"\x93NUMPY":
            raise ValueError(f"{where} a NumPy .npy file, not a safetensors checkpoint")
        if size is None:
            raise ValueError(f"{where} truncated or not a safetensors file: {n} bytes, shorter "
                             f"than the 8-byte header length a safetensors file starts with")
        if size > n - 8:
            raise ValueError(f"{where} the header length field ({size} bytes) exceeds the "
                             f"{n - 8} bytes after it: a truncated file, or not a safetensors "
                             f"file")
        raise ValueError(f"{where} not a safetensors file: its header does not start with '{{'")
    if size > _MAX_HEADER:
        raise ValueError(f"{where} the header length field ({size} bytes) is over safetensors' "
                         f"limit of {_MAX_HEADER} bytes")
    try:
        header = json.loads(data[8:8 + size].decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{where} not a safetensors file: its header is not valid JSON "
                         f"({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where} not a safetensors file: its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{where} the header's __metadata__ is not a map of strings")
    data_size = n - 8 - size
    entries = []
    spans = []
    for name, info in header.items():
        tensor = f"{where} tensor {name!r}:"
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{tensor} its header entry must hold exactly dtype, shape and "
                             f"data_offsets, got {info!r:.200}")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code in _FOREIGN_DTYPES:
            raise ValueError(f"{tensor} dtype {code}: chainrule has no such tensors")
        if code not in _DTYPES:
            raise ValueError(f"{tensor} unknown dtype {code!r:.50}")
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise ValueError(f"{tensor} the shape {shape!r:.200} is not a list of sizes")
        if not isinstance(offsets, list) or len(offsets) != 2 or \
                not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]:
            raise ValueError(f"{tensor} data_offsets {offsets!r:.200} is not [begin, end]")
        begin, end = offsets
        if end > data_size:
            raise ValueError(f"{tensor} data_offsets [{begin}, {end}] lie outside the data "
                             f"({data_size} bytes): the file is truncated or its header wrong")
        dtype = _DTYPES[code]
        need = math.prod(shape) * dtype.itemsize
        if end - begin != need:
            raise ValueError(f"{tensor} data_offsets [{begin}, {end}] hold {end - begin} bytes "
                             f"but shape {shape} of {code} needs {need}")
        entries.append((name, dtype, shape))
        spans.append((begin, end, name))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin < covered:
            raise ValueError(f"{where} tensor {name!r}: data_offsets [{begin}, {end}] overlap "
                             f"another tensor's bytes")
        if begin > covered:
            raise ValueError(f"{where} tensor {name!r}: a gap in the data before its "
                             f"data_offsets [{begin}, {end}]")
        covered = end
    if covered != data_size:
        raise ValueError(f"{where} {data_size - covered} bytes after the last tensor's data "
                         f"(the header's offsets cover {covered} of {data_size})")
    return entries, metadata


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (which of the two would a reader take?)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r:.100} appears twice")
        out[key] = value
    return out


def _decode_document(text: str, tensors: dict[str, Tensor], where: str) -> Any:
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise ValueError(f"{where} its chainrule metadata is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or "version" not in doc or "obj" not in doc:
        raise ValueError(f"{where} its chainrule metadata lacks 'version' and 'obj'")
    if type(doc["version"]) is not int or doc["version"] != VERSION:
        raise ValueError(f"{where} unknown chainrule checkpoint format version "
                         f"{doc['version']!r:.50} (this chainrule reads version {VERSION})")
    return _Decoder(tensors, where).decode(doc["obj"], "obj")


class _Decoder:
    """``obj`` from its JSON structure (the inverse of _Encoder)."""

    def __init__(self, tensors: dict[str, Tensor], where: str) -> None:
        self.tensors, self.where = tensors, where

    def decode(self, x: Any, at: str) -> Any:
        if x is None or isinstance(x, bool | int | float | str):
            return x
        if isinstance(x, list):
            return [self.decode(v, f"{at}[{i}]") for i, v in enumerate(x)]
        if isinstance(x, dict) and len(x) == 1:
            (tag, value), = x.items()
            if tag == "tensor" and isinstance(value, str):
                if value not in self.tensors:
                    raise ValueError(f"{self.where} its structure refers to the tensor "
                                     f"{value!r} at {at}, which the file does not hold")
                return self.tensors[value]
            if tag == "float" and value in _NONFINITE:
                return _NONFINITE[value]
            if tag == "tuple" and isinstance(value, list):
                return tuple(self.decode(v, f"{at}[{i}]") for i, v in enumerate(value))
            if tag == "dict" and isinstance(value, list) and all(
                    isinstance(p, list) and len(p) == 2 and isinstance(p[0], str | int)
                    and not isinstance(p[0], bool) for p in value):
                return {k: self.decode(v, f"{at}[{k!r}]") for k, v in value}
        raise ValueError(f"{self.where} its chainrule structure is malformed at {at}: "
                         f"{json.dumps(x)[:100]}")
