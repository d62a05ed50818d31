"""Linear algebra: matmul (1-D, 2-D, batched with broadcast batch dims) and einsum.

Primitives: Matmul and Einsum. dot, mv, mm, bmm are matmul with PyTorch's shape checks; outer is
a broadcast product.
"""

from __future__ import annotations

import functools
import string
from typing import Any

from chainrule.tensor import backend
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import check_operand
from chainrule.tensor.ops.index import IndexGrad, _put_into_zeros
from chainrule.tensor.tensor import Tensor, tensor_method


class Matmul(Function):
    @staticmethod
    def forward(ctx: Node, a: Tensor, b: Tensor) -> Any:
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
            ctx.vectors = (a._data.ndim == 1, b._data.ndim == 1)
        return a._data @ b._data

    array_rule = True  # the rule below runs on arrays too

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # C = A B:  dA = G B^T,  dB = A^T G.  A 1-D operand is a matrix with one row (A) or one
        # column (B) whose size-1 dimension was dropped from C; restore it, then drop it again.
        a, b = ctx.saved_tensors
        a_vec, b_vec = ctx.vectors
        if b_vec:
            g, b = g[..., None], b[..., None]
        if a_vec:
            g, a = g[..., None, :], a[..., None, :]
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g @ b.mT
            ga = ga[..., 0, :] if a_vec else ga
        if ctx.needs_input_grad[1]:
            gb = a.mT @ g
            gb = gb[..., 0] if b_vec else gb
        return ga, gb


@tensor_method(["matmul", "__matmul__"])
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch rules for 1-D, 2-D and batched operands."""
    a = check_operand(a, "matmul")
    b = check_operand(b, "matmul")
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul: both operands must be tensors")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: {tuple(a.shape)} @ {tuple(b.shape)}: inner sizes {k_a} and {k_b} differ"
        )
    _same_dtype("matmul", a, b)
    try:
        return Matmul.apply(a, b)
    except ValueError:
        raise RuntimeError(
            f"matmul: {tuple(a.shape)} @ {tuple(b.shape)}: batch dimensions "
            f"{tuple(a.shape[:-2])} and {tuple(b.shape[:-2])} cannot be broadcast"
        ) from None


@tensor_method("__rmatmul__")
def _rmatmul(a: Tensor, b: Any) -> Tensor:
    return matmul(check_operand(b, "matmul"), a)


def _need_tensors(op: str, *xs: Any) -> None:
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected Tensor arguments, got {type(x).__name__}")


def dot(a: Tensor, b: Tensor) -> Tensor:
    """sum_i a_i b_i of two 1-D tensors of one size."""
    _need_tensors("dot", a, b)
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D "
                           f"tensors (shapes {tuple(a.shape)} and {tuple(b.shape)})")
    if a._data.shape != b._data.shape:
        raise RuntimeError(f"dot: inconsistent tensor size: {tuple(a.shape)} and "
                           f"{tuple(b.shape)} must have the same number of elements")
    _same_dtype("dot", a, b)
    return Matmul.apply(a, b)


def _same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    """Matrix products do not promote (PyTorch): both operands need one dtype."""
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got "
                           f"{a.dtype!r} and {b.dtype!r}")


def mv(a: Tensor, v: Tensor) -> Tensor:
    """(A v)_i = sum_j A_ij v_j for a matrix A and a vector v."""
    _need_tensors("mv", a, v)
    if a._data.ndim != 2 or v._data.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {tuple(a.shape)} and "
                           f"{tuple(v.shape)}")
    return matmul(a, v)


def mm(a: Tensor, b: Tensor) -> Tensor:
    """(A B)_ik = sum_j A_ij B_jk for two matrices."""
    _need_tensors("mm", a, b)
    if a._data.ndim != 2 or b._data.ndim != 2:
        raise RuntimeError(f"mm: both arguments must be matrices, got shapes {tuple(a.shape)} "
                           f"and {tuple(b.shape)}")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """(A B)_bik = sum_j A_bij B_bjk for two batches of matrices of one batch size."""
    _need_tensors("bmm", a, b)
    if a._data.ndim != 3 or b._data.ndim != 3:
        raise RuntimeError(f"bmm: both arguments must be 3D tensors, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a._data.shape[0] != b._data.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {tuple(a.shape)} @ {tuple(b.shape)}")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """(a b^T)_ij = a_i b_j of two 1-D tensors."""
    _need_tensors("outer", a, b)
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D arguments, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    return a.reshape(-1, 1) * b


for _name, _fn in (("dot", dot), ("mv", mv), ("mm", mm), ("bmm", bmm), ("outer", outer)):
    tensor_method(_name)(_fn)


# ----- einsum --------------------------------------------------------------------------------
_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # implicit output order: A..Z a..z


class Einsum(Function):
    """out = einsum(subs_0, ..., subs_n -> out) in canonical form (no ellipsis, no size-1
    broadcasting: einsum() takes those away). The gradient of operand i is an einsum of g with
    the other operands giving operand i's subscripts, broadcast over the subscripts only operand
    i has (summed in the forward) and placed on the diagonal for subscripts repeated in it."""

    array_rule = True

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        ins, out, _ = args[-1]
        arrays = [t._data for t in args[:-1]]
        needs = ctx.needs_input_grad
        if needs:
            # operand j enters the gradient of every other operand
            ctx.spec = args[-1]
            ctx.save_for_backward(*(
                t if any(needs[i] for i in range(len(arrays)) if i != j) else None
                for j, t in enumerate(args[:-1])))
        return _einsum(ins, out, arrays)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, ...]:
        ops = ctx.saved_tensors
        ins, out, sizes = ctx.spec
        on_arrays = not isinstance(g, Tensor)
        grads: list[Tensor | None] = []
        for i, needed in enumerate(ctx.needs_input_grad[:-1]):
            if not needed:
                grads.append(None)
                continue
            subs = ins[i]
            unique = "".join(dict.fromkeys(subs))
            elsewhere = set(out).union(*(ins[j] for j in range(len(ins)) if j != i))
            target = "".join(c for c in unique if c in elsewhere)
            others = [ops[j] for j in range(len(ins)) if j != i]
            g_ins = (out, *(ins[j] for j in range(len(ins)) if j != i))
            if on_arrays:
                gi = _einsum(g_ins, target, [g, *others])
            else:
                gi = Einsum.apply(g, *others, (g_ins, target, sizes))
            if target != unique:  # summed in the forward: every element got the same gradient
                gi = gi.reshape(tuple(sizes[c] if c in target else 1 for c in unique))
                full = tuple(sizes[c] for c in unique)
                gi = xp.broadcast_to(gi, full) if on_arrays else gi.expand(full)
            if unique != subs:  # a repeated subscript read the diagonal: write it back there
                m = len(unique)
                axes = {c: xp.arange(sizes[c]).reshape(
                    tuple(sizes[c] if k == unique.index(c) else 1 for k in range(m)))
                    for c in unique}
                shape, key = tuple(sizes[c] for c in subs), tuple(axes[c] for c in subs)
                if on_arrays:
                    gi = _put_into_zeros(shape, key, gi, False, False)
                else:
                    gi = IndexGrad.apply(shape, key, gi, False, False)
            grads.append(gi)
        return (*grads, None)


def _einsum(ins: tuple[str, ...], out: str, arrays: list[Any]) -> Any:
    """einsum(ins_0, ..., ins_n -> out) of arrays: an array that never aliases its operand."""
    eq = ",".join(ins) + "->" + out
    res = xp.einsum(eq, *arrays, optimize=len(arrays) > 2 or any(x.size > 4096 for x in arrays))
    res = xp.asarray(res)
    if len(arrays) == 1 and xp.may_share_memory(res, arrays[0]):
        res = res.copy()  # a permutation or diagonal is a NumPy view: never alias the input
    return res


def _einsum_error(msg: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {msg}")


def _parse(equation: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[list[str], str]:
    """Subscripts per operand and of the output, with '...' spelled out in unused letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise _einsum_error(f"the equation {equation!r} has {len(terms)} operand subscripts but "
                            f"{len(shapes)} operands were given")
    for k, ch in enumerate(eq.replace("...", "").replace("->", "").replace(",", "")):
        if ch not in _LETTERS:
            raise _einsum_error(f"invalid subscript {ch!r} in the equation {equation!r} (at "
                                f"index {k} without ellipses, arrow and commas); subscripts "
                                f"must be in [a-zA-Z]")
    unused = [c for c in _LETTERS if c not in eq]
    n_ell = []
    for i, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = len(t.replace("...", ""))
        if "..." in t:
            if t.count("...") > 1 or named + 3 != len(t):
                raise _einsum_error(f"more than one ellipsis, or a stray '.', for operand {i} in "
                                    f"{equation!r}")
            if named > len(shape):
                raise _einsum_error(f"operand {i} has {len(shape)} dimensions (shape {shape}) "
                                    f"but its subscripts {t!r} name {named}")
            n_ell.append(len(shape) - named)
        else:
            if named != len(shape):
                raise _einsum_error(f"the number of subscripts in {t!r} ({named}) does not match "
                                    f"the number of dimensions ({len(shape)}, shape {shape}) of "
                                    f"operand {i} and no ellipsis was given")
            n_ell.append(0)
    ell = "".join(unused[: max(n_ell)])  # ellipsis dims, right-aligned (they broadcast)
    terms = [t.replace("...", ell[len(ell) - n:]) for t, n in zip(terms, n_ell, strict=True)]
    if arrow:
        if out.count("...") > 1:
            raise _einsum_error(f"more than one ellipsis in the output of {equation!r}")
        out = out.replace("...", ell)  # ellipsis dims left out of the output are summed
        seen = "".join(terms)
        for c in out:
            if out.count(c) > 1:
                raise _einsum_error(f"output subscript {c} appears more than once in the output")
            if c not in seen:
                raise _einsum_error(f"output subscript {c} does not appear in the equation for "
                                    f"any input operand")
    else:
        joined = "".join(terms)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell))
    return terms, out


@functools.lru_cache(maxsize=512)
def _plan(equation: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[Any, ...]:
    """Canonical subscripts, output, sizes, and the squeezed shape of each operand (or None)."""
    terms, out = _parse(equation, shapes)
    sizes: dict[str, int] = {}
    for i, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        mine: dict[str, int] = {}
        for c, n in zip(t, shape, strict=True):
            if mine.setdefault(c, n) != n:
                raise _einsum_error(f"subscript {c} is repeated for operand {i} but the sizes "
                                    f"don't match, {mine[c]} != {n} (shape {shape})")
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise _einsum_error(f"subscript {c} has size {n} for operand {i} which does not "
                                    f"broadcast with previously seen size {sizes[c]} (equation "
                                    f"{equation!r}, shapes {', '.join(map(str, shapes))})")
    # a size-1 dimension broadcast against a larger one is squeezed away (its gradient sums)
    squeezed = []
    for i, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        keep = [k for k, (c, n) in enumerate(zip(t, shape, strict=True))
                if n != 1 or sizes[c] == 1]
        if len(keep) == len(t):
            squeezed.append(None)
        else:
            squeezed.append(tuple(shape[k] for k in keep))
            terms[i] = "".join(t[k] for k in keep)
    return (tuple(terms), out, sizes), tuple(squeezed)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation: out[out_subs] = sum over the other subscripts of prod_i x_i[subs_i]
    (implicit output: the subscripts seen once, sorted; '...' broadcasts)."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    _need_tensors("einsum", *operands)
    if not operands:
        raise _einsum_error("must provide at least one operand")
    spec, squeezed = _plan(equation, tuple(x._data.shape for x in operands))
    ops = [x if s is None else x.reshape(s) for x, s in zip(operands, squeezed, strict=True)]
    return Einsum.apply(*_promote_operands(ops), spec)


def _promote_operands(ops: list[Tensor]) -> list[Tensor]:
    """einsum promotes its operands (PyTorch's promote_types), unlike matmul."""
    dtypes = {x._data.dtype for x in ops}
    if len(dtypes) == 1:
        return ops
    target = functools.reduce(backend.promote_np, dtypes)
    return [x if x._data.dtype == target else x.to(dtype=target) for x in ops]


__all__ = ["bmm", "dot", "einsum", "matmul", "mm", "mv", "outer"]
