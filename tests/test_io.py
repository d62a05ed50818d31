"""chainrule.save / chainrule.load: safetensors checkpoints, atomic writes, validated loads that
never unpickle."""

from __future__ import annotations

import json
import math
import os
import pathlib
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn

st = pytest.importorskip("safetensors.numpy")

SRC = pathlib.Path(cr.__file__).parents[1]


# ----- helpers ---------------------------------------------------------------------------------
def assert_same(a, b, where="obj"):
    """``b`` is ``a`` as load should give it back: same types (a dict subclass comes back as a
    dict, a Parameter as a Tensor), dict keys and order, tensors' dtypes, shapes and bytes."""
    if isinstance(a, cr.Tensor):
        assert type(b) is cr.Tensor, where
        assert b.dtype == a.dtype and b.shape == a.shape, where
        assert not b.requires_grad and b.grad_fn is None, where
        assert np.ascontiguousarray(a._data).tobytes() == b._data.tobytes(), where
    elif isinstance(a, dict):
        assert type(b) is dict, where
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert type(b) is type(a) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert type(b) is float, where
        assert (math.isnan(a) and math.isnan(b)) or (a == b and
                                                     math.copysign(1, a) == math.copysign(1, b))
    else:
        assert type(b) is type(a) and b == a, where


def round_trip(obj, tmp_path, name="ckpt.safetensors"):
    path = tmp_path / name
    cr.save(obj, path)
    return cr.load(path)


def st_file(header: dict, data: bytes = b"", raw_header: bytes | None = None) -> bytes:
    """A safetensors file made by hand: the 8-byte little-endian header size, the header, data."""
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


# ----- round trips -----------------------------------------------------------------------------
def test_nested_checkpoint_round_trip(tmp_path):
    cr.manual_seed(0)
    model = mlp()
    w = model[0].weight
    optimizer = {
        "state": {0: {"step": 12, "exp_avg": cr.randn(5, 3), "exp_avg_sq": cr.rand(5, 3)},
                  1: {"step": 12, "exp_avg": cr.zeros(5)}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                          "amsgrad": False, "params": [0, 1, 2, 3], "foreach": None}],
    }
    obj = {
        "model": model.state_dict(),
        "optimizer": optimizer,
        "epoch": 3,
        "floats": [math.nan, math.inf, -math.inf, -0.0, 1e-320, 1.7976931348623157e308, 0.1],
        "strings": ["", "hello", "naïve ✓ 中文", "with \"quotes\" and \\ and \n"],
        "none": None,
        "flags": (True, False),
        "big": 2**100, "negative": -7,
        "empty": {"list": [], "tuple": (), "dict": {}},
        "mixed keys": {"z": 1, 3: "three", "a": 2, -1: None, "10": "ten", 10: "int ten"},
        "rng": cr.get_rng_state(),
        "param": w,
    }
    back = round_trip(obj, tmp_path)
    assert_same(obj, back)
    assert list(back) == list(obj)
    assert list(back["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert isinstance(back["flags"], tuple) and isinstance(back["floats"], list)
    assert list(back["mixed keys"]) == ["z", 3, "a", -1, "10", 10]
    fresh = mlp()
    fresh.load_state_dict(back["model"])
    x = cr.randn(4, 3)
    assert fresh(x).tolist() == model(x).tolist()


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "uint16", "uint32", "uint64"]


def values(dtype: str) -> np.ndarray:
    """Extreme and ordinary values of ``dtype`` (12 of them)."""
    if dtype == "bool":
        return np.array([True, False] * 6)
    if dtype.startswith("float"):
        fi = np.finfo(dtype)
        return np.array([0.0, -0.0, 1.5, -2.25, np.nan, np.inf, -np.inf, fi.max, fi.min,
                         fi.tiny, fi.smallest_subnormal, fi.eps], dtype=dtype)
    ii = np.iinfo(dtype)
    return np.array([0, 1, ii.max, ii.min, ii.max - 1, ii.min + 1, 7, 100, 2, 3, 4, 5],
                    dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_and_shape_exactly(tmp_path, dtype):
    v = values(dtype)
    obj = {
        "vector": cr.from_numpy(v),
        "matrix": cr.from_numpy(v.reshape(3, 4)),
        "scalar": cr.from_numpy(v[2:3].reshape(())),
        "empty": cr.from_numpy(v[:0]),
        "empty 2d": cr.from_numpy(v[:0].reshape(3, 0, 5)),
        "transposed": cr.from_numpy(v.reshape(3, 4)).t(),  # not contiguous
        "strided": cr.from_numpy(v)[::3],
        "broadcast": cr.from_numpy(v[:1]).expand(4, 3),  # stride 0
    }
    assert not obj["transposed"].is_contiguous()
    back = round_trip(obj, tmp_path)
    assert_same(obj, back)
    for name, t in obj.items():
        assert back[name].dtype == getattr(cr, dtype if dtype != "bool" else "bool_"), name
        assert back[name].tolist() == t.tolist() or dtype.startswith("float"), name


def test_loaded_tensors_are_plain_writable_copies(tmp_path):
    p = nn.Parameter(cr.randn(3))
    g = cr.randn(2, requires_grad=True) * 2  # a non-leaf with history
    back = round_trip({"p": p, "g": g}, tmp_path)
    for name in ("p", "g"):
        assert type(back[name]) is cr.Tensor and not back[name].requires_grad
    assert back["p"].tolist() == p.tolist() and back["g"].tolist() == g.tolist()
    back["p"].add_(1)  # writable, and shares nothing with p
    assert back["p"].tolist() != p.tolist()


def test_top_level_values(tmp_path):
    for obj in (cr.arange(5), 3, 2.5, math.nan, "text", None, True, [1, (2,)], ()):
        assert_same(obj, round_trip(obj, tmp_path))


def test_str_and_pathlike_paths(tmp_path):
    cr.save({"a": 1}, str(tmp_path / "s.ckpt"))
    assert cr.load(str(tmp_path / "s.ckpt")) == {"a": 1}
    cr.save({"a": 2}, tmp_path / "p.ckpt")
    assert cr.load(tmp_path / "p.ckpt") == {"a": 2}


def test_pytorch_load_arguments(tmp_path):
    cr.save({"a": cr.ones(2)}, tmp_path / "c.ckpt")
    for where in ("cpu", cr.device("cpu"), None):
        assert cr.load(tmp_path / "c.ckpt", map_location=where)["a"].tolist() == [1.0, 1.0]
    assert cr.load(tmp_path / "c.ckpt", weights_only=True)["a"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="load: device 'cuda' is not available"):
        cr.load(tmp_path / "c.ckpt", map_location="cuda")


def test_a_subclassed_dict_comes_back_a_dict(tmp_path):
    obj = OrderedDict([("b", 1), ("a", cr.ones(2))])
    back = round_trip(obj, tmp_path)
    assert type(back) is dict and list(back) == ["b", "a"]


# ----- tensor names: what other safetensors readers see ----------------------------------------
def test_state_dict_keys_are_the_tensor_names(tmp_path):
    model = mlp()
    cr.save(model.state_dict(), tmp_path / "m.safetensors")
    arrays = st.load_file(tmp_path / "m.safetensors")
    assert set(arrays) == set(model.state_dict())
    for k, v in model.state_dict().items():
        assert np.array_equal(arrays[k], v._data)


def test_nested_tensor_names_are_dotted_and_unique(tmp_path):
    x, y, z = cr.ones(1), cr.zeros(1), cr.full((1,), 2.0)
    obj = {"a.b": x, "a": {"b": y}, "opt": {"state": {0: [z]}}}
    cr.save(obj, tmp_path / "n.safetensors")
    names = set(st.load_file(tmp_path / "n.safetensors"))
    assert names == {"a.b", "a.b~1", "opt.state.0.0"}
    assert_same(obj, cr.load(tmp_path / "n.safetensors"))


@pytest.mark.torch
def test_a_chainrule_state_dict_loads_into_torch(tmp_path):
    torch = pytest.importorskip("torch")
    storch = pytest.importorskip("safetensors.torch")
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2), nn.BatchNorm1d(2))
    model(cr.randn(8, 3))  # BatchNorm's running statistics move off their initial values
    cr.save(model.state_dict(), tmp_path / "model.safetensors")
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2),
                                 torch.nn.BatchNorm1d(2)).double()
    state = storch.load_file(tmp_path / "model.safetensors")
    assert state["3.num_batches_tracked"].dtype == torch.int64
    tmodel.load_state_dict(state)  # strict: every key, shape and dtype fits
    model.eval()
    tmodel.eval()
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    expected = model(cr.from_numpy(x)).detach().numpy()
    got = tmodel.float()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.torch
def test_loads_a_torch_safetensors_file_as_a_flat_dict(tmp_path):
    torch = pytest.importorskip("torch")
    storch = pytest.importorskip("safetensors.torch")
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    storch.save_file(tmodel.state_dict(), tmp_path / "t.safetensors", metadata={"format": "pt"})
    state = cr.load(tmp_path / "t.safetensors")
    assert type(state) is dict and set(state) == set(tmodel.state_dict())
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.load_state_dict(state)
    x = torch.randn(5, 3)
    np.testing.assert_allclose(model(cr.from_numpy(x.numpy())).detach().numpy(),
                               tmodel(x).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_a_file_without_chainrule_metadata_is_a_flat_dict_in_header_order(tmp_path):
    a = np.arange(6, dtype=np.float32).tobytes()
    b = np.array([1, 2], dtype=np.int64).tobytes()
    header = {"zeta": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
              "alpha": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    (tmp_path / "f.safetensors").write_bytes(st_file(header, a + b))
    state = cr.load(tmp_path / "f.safetensors")
    assert list(state) == ["zeta", "alpha"]
    assert state["alpha"].tolist() == [[0, 1, 2], [3, 4, 5]] and state["zeta"].dtype == cr.int64


# ----- what save refuses -----------------------------------------------------------------------
class Thing:
    pass


def _cycle():
    x: list = [1]
    x.append(x)
    return {"a": x}


@pytest.mark.parametrize("obj, fragments", [
    ({"optimizer": {"state": {0: {"step": {1, 2}}}}},
     ["obj['optimizer']['state'][0]['step'] is a set"]),
    ({"w": np.zeros(3)}, ["obj['w'] is a NumPy array", "from_numpy"]),
    ([1, np.int64(3)], ["obj[1] is an int64", ".item()"]),
    ({"a": (1, Thing())}, ["obj['a'][1] is a Thing"]),
    ({"b": b"bytes"}, ["obj['b'] is a bytes"]),
    ({"c": 1j}, ["obj['c'] is a complex"]),
    ({(1, 2): 3}, ["obj has the key (1, 2)", "str or int"]),
    ({"x": {True: 1}}, ["obj['x'] has the key True", "str or int"]),
    ({"x": {1.5: 1}}, ["obj['x'] has the key 1.5"]),
    (_cycle(), ["obj['a'][1] is a container it is inside of"]),
    (cr.float32, ["obj is a DType"]),
])
def test_unsupported_values_name_their_path(tmp_path, obj, fragments):
    path = tmp_path / "bad.ckpt"
    with pytest.raises(TypeError) as info:
        cr.save(obj, path)
    message = str(info.value)
    assert message.startswith("save: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert os.listdir(tmp_path) == []  # nothing written


# ----- atomic writes ---------------------------------------------------------------------------
WRITER = """
import sys
import chainrule as cr
path, start = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
for i in range(start, start + 50):
    cr.save({"i": i, "w": cr.full((1024, 1024), float(i))}, path)  # 4 MB
print("done", flush=True)
"""


def test_a_writer_killed_at_random_points_leaves_a_whole_checkpoint(tmp_path):
    """SIGKILL a process that saves 50 checkpoints in a row to one path, at random moments;
    after each kill the path holds one whole checkpoint (the old one or a new one)."""
    path = tmp_path / "ckpt.safetensors"
    cr.save({"i": -1, "w": cr.full((1024, 1024), -1.0)}, path)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    rng = random.Random(1234)
    last, start, kills, began = -1, 0, 0, time.monotonic()
    while kills < 10 and time.monotonic() - began < 12:
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills += 1
        ckpt = cr.load(path)
        assert set(ckpt) == {"i", "w"} and ckpt["w"].shape == (1024, 1024)
        i = ckpt["i"]
        assert last <= i < start + 50
        assert (ckpt["w"] == float(i)).all().item(), i
        last, start = i, start + 50
    assert kills >= 3
    # a kill can leave a temporary file beside the target, never a half-written target
    for name in os.listdir(tmp_path):
        assert name == path.name or (name.startswith(f".{path.name}.") and
                                     name.endswith(".tmp")), name


def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    cr.save({"epoch": 1, "w": cr.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):  # serialization fails: the disk is not touched
        cr.save({"epoch": 2, "w": cr.ones(3), "bad": object()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)  # the write fails after the temporary file
    with pytest.raises(OSError, match=f"^save: {re.escape(str(path))}: No space left"):
        cr.save({"epoch": 3, "w": cr.ones(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cr.save({"epoch": 4}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]
    assert cr.load(path)["epoch"] == 1


def test_save_replaces_and_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.ckpt"
    link = tmp_path / "link.ckpt"
    cr.save({"v": 1}, real)
    link.symlink_to(real)
    cr.save({"v": 2}, link)
    assert link.is_symlink() and cr.load(real) == {"v": 2}


def test_unwritable_targets_name_the_path(tmp_path):
    missing = tmp_path / "no such folder" / "c.ckpt"
    with pytest.raises(FileNotFoundError, match=f"^save: {re.escape(str(missing))}: "):
        cr.save({"a": 1}, missing)
    (tmp_path / "file").write_text("x")
    under_a_file = tmp_path / "file" / "c.ckpt"
    with pytest.raises(NotADirectoryError, match=f"^save: {re.escape(str(under_a_file))}: "):
        cr.save({"a": 1}, under_a_file)
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match=f"^save: {re.escape(str(tmp_path / 'folder'))}: "):
        cr.save({"a": 1}, tmp_path / "folder")
    assert sorted(os.listdir(tmp_path)) == ["file", "folder"]
    assert os.listdir(tmp_path / "folder") == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes to read-only folders")
def test_a_read_only_folder_is_a_permission_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match=f"^save: {re.escape(str(folder / 'c.ckpt'))}: "):
            cr.save({"a": 1}, folder / "c.ckpt")
    finally:
        folder.chmod(0o700)


# ----- loads that are not checkpoints ----------------------------------------------------------
def _good() -> bytes:
    arrays = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones(3, np.int64)}
    return st.save(arrays, metadata={"chainrule": json.dumps({"version": 1, "obj": {"dict": [
        ["w", {"tensor": "w"}], ["b", {"tensor": "b"}]]}})})


def _torch_save(**kwargs) -> bytes:
    torch = pytest.importorskip("torch")
    import io

    buffer = io.BytesIO()
    torch.save({"w": torch.ones(3)}, buffer, **kwargs)
    return buffer.getvalue()


def _zip() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    return buffer.getvalue()


def _random_bytes() -> bytes:
    data = bytearray(random.Random(7).randbytes(4096))
    data[0] = 0x41  # not a pickle's 0x80
    return bytes(data)


def _chainrule_file(doc) -> bytes:
    return st.save({"w": np.ones(2, np.float32)}, metadata={"chainrule": json.dumps(doc)})


def _entry(dtype="F32", shape=(2,), offsets=(0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


GOOD_LEN = len(_good())
GOOD_HEADER_END = 8 + struct.unpack("<Q", _good()[:8])[0]

CORRUPT = {
    "empty": (lambda: b"", "empty"),
    "pickle": (lambda: pickle.dumps({"w": [1.0, 2.0]}), "a Python pickle"),
    "zip": (_zip, "zip"),
    "torch.save": (_torch_save, "a PyTorch torch.save file (zip/pickle); chainrule never "
                                "loads pickles: they can run code"),
    "torch legacy": (lambda: _torch_save(_use_new_zipfile_serialization=False),
                     "PyTorch legacy torch.save file (pickle)"),
    "npy": (lambda: b"\x93NUMPY\x01\x00v\x00{'descr': '<f8'}" + bytes(100), "NumPy .npy"),
    "random bytes": (_random_bytes, "not a safetensors file"),
    "shorter than 8 bytes": (lambda: _good()[:5], "truncated"),
    "truncated in the header": (lambda: _good()[:GOOD_HEADER_END - 10], "truncated"),
    "truncated after the header": (lambda: _good()[:GOOD_HEADER_END], "truncated"),
    "truncated in the data": (lambda: _good()[:GOOD_HEADER_END + 20], "truncated"),
    "truncated by 1 byte": (lambda: _good()[:-1], "truncated"),
    "trailing bytes": (lambda: _good() + b"\0" * 8, "8 bytes after the last tensor"),
    "huge header length": (lambda: struct.pack("<Q", 2**62) + b"{}", "header length field"),
    "header not an object": (lambda: st_file({}, raw_header=b"[1, 2]"), "does not start"),
    "invalid JSON": (lambda: st_file({}, raw_header=b'{"w": {"dtype": "F32", '),
                     "not valid JSON"),
    "header not UTF-8": (lambda: st_file({}, raw_header=b'{"\xff": 1}'), "not valid JSON"),
    "duplicate key": (lambda: st_file({}, b"\0" * 8, raw_header=(
        b'{"w": ' + json.dumps(_entry()).encode() + b', "w": '
        + json.dumps(_entry()).encode() + b"}")), "'w' appears twice"),
    "overlapping offsets": (lambda: st_file({"a": _entry(offsets=(0, 8)),
                                             "b": _entry(offsets=(4, 12))}, b"\0" * 12),
                            "overlap"),
    "offsets outside the data": (lambda: st_file({"a": _entry(offsets=(0, 8))}, b"\0" * 4),
                                 "outside the data"),
    "offsets reversed": (lambda: st_file({"a": _entry(offsets=(8, 0))}, b"\0" * 8),
                         "is not [begin, end]"),
    "a gap": (lambda: st_file({"a": _entry(offsets=(4, 12))}, b"\0" * 12), "a gap"),
    "shape lies": (lambda: st_file({"a": _entry(shape=(3,))}, b"\0" * 8),
                   "shape [3] of F32 needs 12"),
    "negative shape": (lambda: st_file({"a": _entry(shape=(-2,))}, b"\0" * 8),
                       "not a list of sizes"),
    "dtype lies": (lambda: st_file({"a": _entry(dtype="F64")}, b"\0" * 8), "needs 16"),
    "unknown dtype": (lambda: st_file({"a": _entry(dtype="F17")}, b"\0" * 8), "unknown dtype"),
    "bfloat16": (lambda: st_file({"a": _entry(dtype="BF16", shape=(4,))}, b"\0" * 8),
                 "BF16: chainrule has no"),
    "entry lacks a field": (lambda: st_file({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8),
                            "exactly dtype, shape and data_offsets"),
    "metadata not strings": (lambda: st_file({"__metadata__": {"chainrule": 1}}),
                             "__metadata__ is not a map of strings"),
    "missing tensor": (lambda: _chainrule_file({"version": 1, "obj": {"tensor": "nope"}}),
                       "tensor 'nope' at obj, which the file does not hold"),
    "unknown version": (lambda: _chainrule_file({"version": 2, "obj": None}),
                        "unknown chainrule checkpoint format version 2"),
    "no version": (lambda: _chainrule_file({"obj": None}), "lacks 'version'"),
    "version not an int": (lambda: _chainrule_file({"version": True, "obj": None}),
                           "format version True"),
    "malformed structure": (lambda: _chainrule_file({"version": 1, "obj": [{"set": [1]}]}),
                            "malformed at obj[0]"),
    "metadata not JSON": (lambda: st.save({}, metadata={"chainrule": "{oops"}),
                          "chainrule metadata is not valid JSON"),
}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupt_file_is_a_clear_value_error(tmp_path, kind):
    make, fragment = CORRUPT[kind]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(make())
    with pytest.raises(ValueError) as info:
        cr.load(path)
    message = str(info.value)
    assert message.startswith(f"load: {path}: "), message
    assert fragment in message, (fragment, message)


def test_the_corrupt_files_start_from_a_good_one(tmp_path):
    """The truncations above cut a file that loads whole."""
    path = tmp_path / "good.safetensors"
    path.write_bytes(_good())
    back = cr.load(path)
    assert list(back) == ["w", "b"] and back["w"].tolist()[2] == [8.0, 9.0, 10.0, 11.0]
    assert GOOD_HEADER_END + 20 < GOOD_LEN


def test_every_truncation_of_a_checkpoint_is_refused(tmp_path):
    data = _good()
    path = tmp_path / "cut.safetensors"
    for n in range(len(data)):
        path.write_bytes(data[:n])
        with pytest.raises(ValueError, match=f"^load: {re.escape(str(path))}: "):
            cr.load(path)


def test_missing_file_and_folder(tmp_path):
    missing = tmp_path / "nope.ckpt"
    with pytest.raises(FileNotFoundError, match=f"^load: {re.escape(str(missing))}: "):
        cr.load(missing)
    with pytest.raises(IsADirectoryError, match=f"^load: {re.escape(str(tmp_path))}: "):
        cr.load(tmp_path)


class _Dropper:
    """Unpickling this creates a file (as a malicious pickle could run any code)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_load_never_unpickles(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"w": _Dropper(str(marker))})
    pickle.loads(payload).get("w").close()  # the payload does what it says ...
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "evil.ckpt"
    path.write_bytes(payload)

    def no_unpickling(*args, **kwargs):
        raise AssertionError("load unpickled")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "Unpickler", no_unpickling)
    with pytest.raises(ValueError, match="never loads pickles"):
        cr.load(path)  # ... but load does not run it
    assert not marker.exists()
    cr.save({"a": cr.ones(2)}, tmp_path / "ok.ckpt")  # nor on a good file
    assert cr.load(tmp_path / "ok.ckpt")["a"].tolist() == [1.0, 1.0]


# ----- the optional dependency -----------------------------------------------------------------
def test_import_chainrule_does_not_import_safetensors():
    code = "import sys, chainrule; print('safetensors' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(SRC)), check=True)
    assert out.stdout.strip() == "False"


def test_missing_safetensors_is_a_module_not_found_error_with_a_hint(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "safetensors" or m.startswith("safetensors.")]:
        monkeypatch.setitem(sys.modules, name, None)
    for call in (lambda: cr.save({"a": 1}, tmp_path / "c.ckpt"),
                 lambda: cr.load(tmp_path / "c.ckpt")):
        with pytest.raises(ModuleNotFoundError, match=r"pip install safetensors .*\[checkpoint\]"):
            (tmp_path / "c.ckpt").write_bytes(st_file({}))
            call()
