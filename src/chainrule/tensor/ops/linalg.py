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
from chainrule.tensor.ops._util import check_operand, data, wrap_dim
from chainrule.tensor.tensor import Tensor, tensor_method


class Matmul(Function):
    """C = A B (NumPy's matmul: 1-D, 2-D, batched). Rule: dA = G B^T, dB = A^T G."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, b: Tensor) -> Any:
        needs = ctx.needs_input_grad
        if needs:
            # dA needs B and dB needs A: keep only what a needed gradient uses (as PyTorch, so a
            # later in-place write to an operand no gradient reads is no error)
            ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
            ctx.vectors = (a._data.ndim == 1, b._data.ndim == 1)
        return a._data @ b._data

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        # A 1-D operand is a matrix with one row (A) or one column (B) whose size-1 dimension
        # was dropped from C; restore it, then drop it again.
        a, b = ctx.saved_tensors  # a is None unless dB is needed, b unless dA is
        a_vec, b_vec = ctx.vectors
        if b_vec:
            g, b = g[..., None], (None if b is None else b[..., None])
        if a_vec:
            g, a = g[..., None, :], (None if a is None else a[..., None, :])
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
    if isinstance(a, Tensor) and isinstance(b, Tensor):  # the checks below on the arrays, once
        x, y = a._data, b._data
        if (x.ndim and y.ndim and x.dtype is y.dtype
                and x.shape[-1] == y.shape[0 if y.ndim == 1 else -2]):
            try:
                return Matmul.apply(a, b)
            except ValueError:
                pass  # batch dimensions that do not broadcast: the message below
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
            gi = xp.einsum(",".join(g_ins) + "->" + target, g, *others,
                           optimize=_optimize([g, *others]))
            if target != unique:  # summed in the forward: every element got the same gradient
                gi = gi.reshape(tuple(sizes[c] if c in target else 1 for c in unique))
                gi = xp.broadcast_to(gi, tuple(sizes[c] for c in unique))
            if unique != subs:  # a repeated subscript read the diagonal: write it back there
                gi = _onto_diagonals(gi, unique, subs, sizes)
            grads.append(gi)
        return (*grads, None)


def _onto_diagonals(gi: Any, unique: str, subs: str, sizes: dict[str, int]) -> Any:
    """gi (subscripts ``unique``) placed on the diagonals of an array with subscripts ``subs``
    (a letter repeated there): out[.., i, .., i', ..] = gi[.., i, ..] delta(i, i'), an einsum of
    gi with one identity matrix per repeat (each repeat named by a fresh letter)."""
    fresh = iter(c for c in _LETTERS if c not in unique)
    spelled, eyes, seen = [], [], set()
    for c in subs:
        if c in seen:
            spelled.append(next(fresh))
            eyes.append(c + spelled[-1])
        else:
            seen.add(c)
            spelled.append(c)
    eq = ",".join((unique, *eyes)) + "->" + "".join(spelled)
    dtype = data(gi).dtype
    return xp.einsum(eq, gi, *(xp.eye(sizes[e[0]], dtype=dtype) for e in eyes))


def _optimize(arrays: list[Any]) -> bool:
    """NumPy's contraction order search pays off for three operands or more, or large ones."""
    return len(arrays) > 2 or any(data(x).size > 4096 for x in arrays)


def _einsum(ins: tuple[str, ...], out: str, arrays: list[Any]) -> Any:
    """einsum(ins_0, ..., ins_n -> out) of arrays: an array that never aliases its operand."""
    eq = ",".join(ins) + "->" + out
    res = xp.einsum(eq, *arrays, optimize=_optimize(arrays))
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


# ----- inverse, det, trace ---------------------------------------------------------------------
def _square_float(a: Tensor, op: str) -> None:
    _need_tensors(op, a)
    shape = a._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions (got shape "
                           f"{tuple(shape)}).")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{a.dtype}")


def _inv(a: Any) -> Any:
    """A^-1 of an array or a Tensor; RuntimeError when A is singular."""
    try:
        return xp.linalg.inv(a)
    except xp.linalg.LinAlgError:
        raise RuntimeError(f"linalg.inv: the input matrix of shape {tuple(a.shape)} is "
                           f"singular: the inversion could not be completed") from None


class Inverse(Function):
    """Y = A^-1 (batched): dA = -Y^T G Y^T."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        return _inv(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        y = ctx.output
        return -(y.mT @ g @ y.mT)


@tensor_method("inverse")
def inverse(input: Tensor) -> Tensor:
    """The inverse of each square matrix in the last two dims (RuntimeError when singular)."""
    _square_float(input, "linalg.inv")
    return Inverse.apply(input)


class Det(Function):
    """d = det(A) (batched): dA = g d A^-T. Uses the inverse: a singular A has no gradient here
    (PyTorch's goes through an SVD)."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return xp.linalg.det(a._data)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        scale = (g * ctx.output)[..., None, None]
        return scale * _inv(a).mT


@tensor_method("det")
def det(input: Tensor) -> Tensor:
    """The determinant of each square matrix in the last two dims."""
    _square_float(input, "linalg.det")
    return Det.apply(input)


@tensor_method("trace")
def trace(input: Tensor) -> Tensor:
    """sum_i A_ii of a matrix (integer inputs give int64, as sum)."""
    _need_tensors("trace", input)
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim} (shape {tuple(input.shape)})")
    return input.diagonal().sum()


# ----- addmm and friends: beta * input + alpha * product --------------------------------------
def _add_scaled(op: str, input: Tensor, prod: Tensor, beta: float, alpha: float) -> Tensor:
    """beta * input + alpha * prod, input broadcast to prod's shape; beta = 0 ignores input's
    values (nan and inf too), as PyTorch."""
    _need_tensors(op, input)
    if input._data.dtype != prod._data.dtype:
        raise RuntimeError(f"{op}: self and mat2 must have the same dtype, but got "
                           f"{input.dtype} and {prod.dtype}")
    try:
        xp.broadcast_to(xp.empty(input._data.shape, bool), prod._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} cannot be broadcast to "
                           f"the product's shape {tuple(prod.shape)}") from None
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (input if beta == 1 else input * beta)


def _matrix(x: Any, name: str, op: str, nd: int = 2) -> None:
    _need_tensors(op, x)
    if x._data.ndim != nd:
        what = {1: "a vector", 2: "a matrix", 3: "a 3D tensor"}[nd]
        raise RuntimeError(f"{op}: {name} must be {what}, got {x._data.ndim}-D tensor of shape "
                           f"{tuple(x.shape)}")


def _check_product(a: Tensor, b: Tensor, op: str) -> None:
    if a._data.shape[-1] != b._data.shape[-2 if b._data.ndim > 1 else 0]:
        shown = "x".join(map(str, a._data.shape)), "x".join(map(str, b._data.shape))
        raise RuntimeError(f"{op}: shapes cannot be multiplied ({shown[0]} and {shown[1]})")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}: expected the operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")


@tensor_method("addmm")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1,
          alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to (n, p)."""
    _matrix(mat1, "mat1", "addmm")
    _matrix(mat2, "mat2", "addmm")
    _check_product(mat1, mat2, "addmm")
    return _add_scaled("addmm", input, Matmul.apply(mat1, mat2), beta, alpha)


@tensor_method("addmv")
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1,
          alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec), input broadcast to (n,)."""
    _matrix(mat, "mat", "addmv")
    _matrix(vec, "vec", "addmv", 1)
    _check_product(mat, vec, "addmv")
    return _add_scaled("addmv", input, Matmul.apply(mat, vec), beta, alpha)


def _batches(b1: Tensor, b2: Tensor, op: str) -> None:
    _matrix(b1, "batch1", op, 3)
    _matrix(b2, "batch2", op, 3)
    if b1._data.shape[0] != b2._data.shape[0]:
        raise RuntimeError(f"{op}: batch1 and batch2 must have the same number of batches, got "
                           f"{b1._data.shape[0]} and {b2._data.shape[0]} (shapes "
                           f"{tuple(b1.shape)} and {tuple(b2.shape)})")
    _check_product(b1, b2, op)


@tensor_method("baddbmm")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1,
            alpha: float = 1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for (b, n, m) @ (b, m, p) batches."""
    _batches(batch1, batch2, "baddbmm")
    return _add_scaled("baddbmm", input, Matmul.apply(batch1, batch2), beta, alpha)


@tensor_method("addbmm")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1,
           alpha: float = 1) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], an (n, p) result."""
    _batches(batch1, batch2, "addbmm")
    prod = einsum("bij,bjk->ik", batch1, batch2)
    return _add_scaled("addbmm", input, prod, beta, alpha)


# ----- kron, tensordot ---------------------------------------------------------------------------
@tensor_method("kron")
def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: out[i * m + j] = a[i] b[j] in every dimension (the shorter shape
    padded with leading 1s)."""
    _need_tensors("kron", input, other)
    nd = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + input._data.shape
    sb = (1,) * (nd - other._data.ndim) + other._data.shape
    a = input.reshape(tuple(n for s in sa for n in (s, 1)))
    b = other.reshape(tuple(n for s in sb for n in (1, s)))
    return (a * b).reshape(tuple(p * q for p, q in zip(sa, sb, strict=True)))


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """sum over the paired dims of a * b: dims an int n (a's last n with b's first n) or a pair
    of dim lists; the result has a's free dims, then b's."""
    _need_tensors("tensordot", a, b)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int | xp.integer):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n} "
                               f"(shapes {tuple(a.shape)} and {tuple(b.shape)})")
        da, db = list(range(na - n, na)), list(range(n))
        shown_a, shown_b = [d - na for d in da], db
    else:
        if len(dims) != 2:
            raise RuntimeError(f"tensordot: dims must be an int or a pair of dim lists, got "
                               f"{dims}")
        da, db = ([d] if isinstance(d, int | xp.integer) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"tensordot: both dimension lists should have same length, got "
                               f"{da} and {db}")
        shown_a, shown_b = da, db
        da = [wrap_dim(d, na, "tensordot") for d in da]
        db = [wrap_dim(d, nb, "tensordot") for d in db]
    for i, (p, q) in enumerate(zip(da, db, strict=True)):
        if a._data.shape[p] != b._data.shape[q]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a._data.shape[p]} in dim {shown_a[i]} and second has "
                               f"size {b._data.shape[q]} in dim {shown_b[i]}")
    if len(set(da)) != len(da) or len(set(db)) != len(db):
        raise RuntimeError(f"tensordot: a dim is repeated in dims ({da}, {db})")
    sa = _LETTERS[:na]
    sb = [sa[da[db.index(k)]] if k in db else _LETTERS[na + k] for k in range(nb)]
    out = "".join(c for k, c in enumerate(sa) if k not in da) + "".join(
        c for k, c in enumerate(sb) if k not in db)
    return einsum(f"{sa},{''.join(sb)}->{out}", a, b)


__all__ = [
    "addbmm", "addmm", "addmv", "baddbmm", "bmm", "det", "dot", "einsum", "inverse", "kron",
    "matmul", "mm", "mv", "outer", "tensordot", "trace",
]
