"""dtypes as PyTorch's: names and aliases, attributes, finfo/iinfo, the default dtype."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

pytestmark = pytest.mark.torch

NAMES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
         "float16", "float32", "float64"]
ALIASES = ["float", "double", "half", "long", "int", "short", "bool"]


def _pair(name: str) -> tuple[cr.DType, torch.dtype]:
    return getattr(cr, "bool_" if name == "bool" else name), getattr(torch, name)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name: str) -> None:
    ours, theirs = _pair(name)
    assert repr(ours) == f"chainrule.{name}" and ours.name == name
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed
    assert ours.itemsize == theirs.itemsize


@pytest.mark.parametrize("alias", ALIASES)
def test_aliases(alias: str) -> None:
    assert repr(getattr(cr, alias)) == repr(getattr(torch, alias)).replace("torch", "chainrule")
    assert cr.zeros(1, dtype=getattr(cr, alias)).dtype is getattr(cr, alias)


def test_aliases_do_not_shadow_builtins_in_star_imports() -> None:
    scope: dict = {}
    exec("from chainrule import *", scope)
    assert "float" not in scope and "bool" not in scope and "int" not in scope


def test_python_types_as_dtypes() -> None:
    for t in (float, int, bool):
        assert cr.zeros(1, dtype=t).dtype.name == str(torch.zeros(1, dtype=t).dtype)[6:]


@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_wide_unsigned_creation_conversion_comparison(name: str) -> None:
    ours, theirs = _pair(name)
    big = int(np.iinfo(name).max)
    t = cr.tensor([0, 7, big], dtype=ours)
    assert t.tolist() == torch.tensor([0, 7, big], dtype=theirs).tolist()
    assert t.to(cr.float64).tolist() == [0.0, 7.0, float(big)]
    assert cr.tensor([-1]).to(ours).tolist() == torch.tensor([-1]).to(theirs).tolist()  # wraps
    assert (t == 7).tolist() == [False, True, False]
    assert (t * 2).dtype is ours and (t * 2).tolist() == (torch.tensor([0, 7, big],
                                                                       dtype=theirs) * 2).tolist()
    assert (t + 1.5).dtype is cr.float32
    assert cr.zeros(2, dtype=ours).dtype is ours
    assert repr(cr.tensor([1], dtype=ours)) == "tensor([1], dtype=chainrule." + name + ")"


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name: str) -> None:
    ours, theirs = cr.finfo(_pair(name)[0]), torch.finfo(_pair(name)[1])
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)


def test_finfo_default_is_the_default_dtype() -> None:
    assert cr.finfo().dtype == "float32"
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.finfo().dtype == "float64"
    finally:
        cr.set_default_dtype(cr.float32)


@pytest.mark.parametrize("name", ["uint8", "uint16", "uint32", "uint64", "int8", "int16",
                                  "int32", "int64"])
def test_iinfo(name: str) -> None:
    ours, theirs = cr.iinfo(_pair(name)[0]), torch.iinfo(_pair(name)[1])
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)


@pytest.fixture
def float64_default():
    cr.set_default_dtype(cr.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        cr.set_default_dtype(cr.float32)
        torch.set_default_dtype(torch.float32)


DEFAULT_CASES = {
    "tensor(1.5)": lambda m: m.tensor(1.5),
    "tensor([1, 2.5])": lambda m: m.tensor([1, 2.5]),
    "tensor(np.float32)": lambda m: m.tensor(np.float32(1.5)),
    "tensor(float32 array)": lambda m: m.tensor(np.ones(2, np.float32)),
    "zeros": lambda m: m.zeros(2),
    "ones": lambda m: m.ones(2),
    "empty": lambda m: m.empty(2),
    "eye": lambda m: m.eye(2),
    "rand": lambda m: m.rand(2),
    "randn": lambda m: m.randn(2),
    "arange float": lambda m: m.arange(0, 1, 0.5),
    "arange int": lambda m: m.arange(3),
    "linspace": lambda m: m.linspace(0, 1, 3),
    "full float": lambda m: m.full((2,), 1.5),
    "full int": lambda m: m.full((2,), 1),
    "int + 1.5": lambda m: m.tensor([1]) + 1.5,
    "int / int": lambda m: m.tensor([1]) / m.tensor([2]),
    "exp of int": lambda m: m.tensor([1]).exp(),
    "f32 + 1.5 stays f32": lambda m: m.tensor([1.0], dtype=m.float32) + 1.5,
    "where(c, 1.0, 0)": lambda m: m.where(m.tensor([True]), 1.0, 0),
    "result_type(2, 2.5)": lambda m: m.result_type(2, 2.5),
}


@pytest.mark.parametrize("name", list(DEFAULT_CASES))
def test_default_dtype_float64(name: str, float64_default: None) -> None:
    ours, theirs = DEFAULT_CASES[name](cr), DEFAULT_CASES[name](torch)
    d_ours = ours if isinstance(ours, cr.DType) else ours.dtype
    d_theirs = theirs if isinstance(theirs, torch.dtype) else theirs.dtype
    assert d_ours.name == str(d_theirs)[6:]
    assert cr.get_default_dtype() is cr.float64


def test_default_dtype_is_float32_and_only_floating() -> None:
    assert cr.get_default_dtype() is cr.float32 and cr.tensor(1.5).dtype is cr.float32
    with pytest.raises(TypeError, match="floating"):
        cr.set_default_dtype(cr.int64)
    assert cr.get_default_dtype() is cr.float32


def test_unsupported_dtypes_name_themselves() -> None:
    for bad, fragment in ((complex, "complex"), (np.complex64, "complex64"), (object, "object"),
                          ("datetime64[s]", "datetime64"), (str, "str")):
        with pytest.raises(TypeError, match=fragment):
            cr.zeros(2, dtype=bad)
    with pytest.raises(TypeError, match="complex128"):
        cr.tensor(np.ones(2, dtype=complex))
