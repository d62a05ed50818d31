"""The recurrent layers' math: Elman RNN (tanh or relu), GRU and LSTM over whole sequences, and
their one-step cells, as PyTorch's ``torch.rnn_tanh``, ``torch.gru``, ``torch.lstm``,
``torch.gru_cell`` ... (same arguments, same flat weight lists, same results).

A layer's input projection ``x W_ih^T + b_ih`` for every time step is one matrix product before
the recurrence. The recurrence of one layer and direction is one primitive Function, for speed
(a composition records ~12 nodes per step; see bench/bench_nn_rnn.py): its forward loops over
time on arrays, writing each h_t into a preallocated output; its rule loops back over time
(backpropagation through time), with everything that does not depend on the carried gradient
computed for a block of steps at once, and the weight gradient one matrix product per block.
The rule is written once, in NumPy's vocabulary: bare arrays in a plain backward pass, Tensors
under create_graph (docs/design.md). It reads the gates the forward computed; under
create_graph it recomputes them from its inputs and its output instead (one product over all
steps, since every h_{t-1} is known), so that its result is differentiable again.

Both directions of a layer in one Function would halve the ops per step (measured: 18% fewer
instructions for hidden 6) but needs time-reversed copies of the sequences (13% more for hidden
128, and slower there): not done.

Shapes inside: time first; ``gi`` (T, B, G*H) for G gates; states (B, H).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule.autograd.grad_mode import _GradMode
from chainrule.nn.functional.dropout import dropout as _dropout
from chainrule.nn.functional.linear import linear, sum_rows
from chainrule.tensor.backend import xp
from chainrule.tensor.function import Function, Node
from chainrule.tensor.ops._util import data, primitive
from chainrule.tensor.ops.elementwise import Sigmoid
from chainrule.tensor.ops.movement import cat, stack
from chainrule.tensor.tensor import Tensor, zeros

__all__ = [
    "gru", "gru_cell", "lstm", "lstm_cell", "rnn_relu", "rnn_relu_cell", "rnn_tanh",
    "rnn_tanh_cell",
]


def _const(a: Any) -> Tensor:
    return Tensor._make(a, False, None)


def _rows(w_hh: Tensor) -> Any:
    """W_hh^T as a C-contiguous array: h_{t-1} W_hh^T per step runs on a row-major operand."""
    return xp.ascontiguousarray(w_hh._data.T)


def _steps(n: int, reverse: bool) -> range:
    """Time steps in the order the recurrence visits them."""
    return range(n - 1, -1, -1) if reverse else range(n)


def _previous(h0: Any, out: Any, reverse: bool) -> Any:
    """h_{t-1} for every step t (T, B, H): h0, then the outputs shifted by one step."""
    if reverse:
        return xp.concatenate([out[1:], h0[None]])
    return xp.concatenate([h0[None], out[:-1]])


def _join(ds: list[Any]) -> Any:
    """Per-step (B, n) arrays as one (S, B, n) (one join, not S reshapes)."""
    return xp.concatenate(ds).reshape(len(ds), *ds[0].shape)


def _sigmoid(a: Any) -> Any:
    return primitive(Sigmoid, a)  # NumPy has no sigmoid: chainrule's, on arrays or Tensors


# The rules work back through time in blocks of steps whose temporaries (S, B, H) stay in cache
# (about 256 KB of float32; measured 13% faster than whole-sequence temporaries for hidden 128):
# a small layer (MNIST-1D's hidden 6) is one block, the fewest ops.
_BLOCK = 1 << 16


def _blocks(steps: int, width: int, reverse: bool) -> list[tuple[int, int]]:
    """[lo, hi) time blocks of about _BLOCK elements of ``width`` each, in the order the rule
    visits them (the last steps of the recurrence first)."""
    size = max(1, _BLOCK // width)
    spans = [(lo, min(lo + size, steps)) for lo in range(0, steps, size)]
    return spans if reverse else spans[::-1]


def _part(t: Any, lo: int, hi: int) -> Any:
    return t if lo == 0 and hi == t.shape[0] else t[lo:hi]


def _in_time_order(pieces: list[tuple[int, Any]]) -> Any:
    if len(pieces) == 1:
        return pieces[0][1]
    return xp.concatenate([p for _, p in sorted(pieces, key=_first)])


def _first(piece: tuple[int, Any]) -> int:
    return piece[0]


def _bptt(g: Any, coef: Any, w_hh: Any, reverse: bool, gates: int, keep: Any, carry: Any
          ) -> tuple[list[Any], list[Any], Any]:
    """Backpropagation through time over a block of steps, for h_t = f(gh_t, h_{t-1}),
    gh_t = h_{t-1} W_hh^T + b_hh.

    With dh_t = g_t + what step t+1 sends back (``carry`` into the block): dL/dgh_t =
    [dh_t]*gates * coef_t, and step t sends back dL/dgh_t W_hh (+ dh_t * keep_t, the direct path
    from h_{t-1} to h_t). Returns dL/dgh_t and dh_t per step (time order) and what the block
    sends back.
    """
    n = g.shape[0]
    dgh: list[Any] = [None] * n
    dhs: list[Any] = [None] * n
    for t in _steps(n, not reverse):
        dh = g[t] if carry is None else g[t] + carry
        d = (xp.concatenate([dh] * gates, 1) if gates > 1 else dh) * coef[t]
        dgh[t], dhs[t] = d, dh
        carry = d @ w_hh if keep is None else dh * keep[t] + d @ w_hh
    return dgh, dhs, carry


def _add_weight_grads(ctx: Node, i: int, grads: list[Any], dgh: Any, h_prev: Any) -> None:
    """grads (of W_hh, b_hh: the Function's arguments i, i + 1) += sum_t dgh_t^T h_{t-1} and
    sum_t dgh_t over a block of steps at once."""
    need = ctx.needs_input_grad
    n, m = h_prev.shape[-1], dgh.shape[-1]
    new = [dgh.reshape(-1, m).T @ h_prev.reshape(-1, n) if need[i] else None,
           sum_rows(dgh) if need[i + 1] else None]
    for j, d in enumerate(new):
        if d is not None:
            grads[j] = d if grads[j] is None else grads[j] + d


# ----- Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) -------------------------
class _ElmanSeq(Function):
    """The Elman recurrence of one layer and direction over all steps (a primitive for speed).
    act' is read off the output: tanh' = 1 - h^2, relu' = [h > 0]."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, gi: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                reverse: bool, relu: bool) -> Any:
        x, h, w = gi._data, h0._data, _rows(w_hh)
        out = xp.empty(x.shape, x.dtype)
        for t in _steps(x.shape[0], reverse):
            o = out[t]
            xp.matmul(h, w, out=o)
            o += x[t]
            if b_hh is not None:
                o += b_hh._data
            if relu:
                xp.maximum(o, 0, out=o)
            else:
                xp.tanh(o, out=o)
            h = o
        if ctx.needs_input_grad:
            ctx.save_for_backward(h0, w_hh)
            ctx.reverse, ctx.relu = reverse, relu
        return out

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Any, ...]:
        h0, w_hh = ctx.saved_tensors
        out = ctx.output
        y = data(out)
        slope = (y > 0).astype(y.dtype) if ctx.relu else 1 - out * out  # relu': a constant
        dgh, _, carry = _bptt(g, slope, w_hh, ctx.reverse, 1, None, None)
        dgh = _join(dgh)
        grads: list[Any] = [None, None]
        _add_weight_grads(ctx, 2, grads, dgh, _previous(h0, out, ctx.reverse))
        return dgh, carry, *grads, None, None


# ----- GRU -------------------------------------------------------------------------------------
# r = s(x W_ir^T + b_ir + h W_hr^T + b_hr), z = s(... _iz ... _hz), n = tanh(x W_in^T + b_in
# + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h = n + z (h - n)
def _gru_forward(x: Any, h: Any, w: Any, b: Any, reverse: bool) -> tuple[Any, ...]:
    steps, batch, n3 = x.shape
    n = n3 // 3
    out = xp.empty((steps, batch, n), x.dtype)
    gh_all = xp.empty(x.shape, x.dtype)  # h W_hh^T + b_hh per step
    rz_all = xp.empty((steps, batch, 2 * n), x.dtype)
    n_all = xp.empty((steps, batch, n), x.dtype)
    for t in _steps(steps, reverse):
        gh = gh_all[t]
        xp.matmul(h, w, out=gh)
        if b is not None:
            gh += b
        rz = rz_all[t]
        xp.add(x[t, :, :2 * n], gh[:, :2 * n], out=rz)
        xp.negative(rz, out=rz)  # s(a) = 1 / (1 + e^-a), as chainrule.sigmoid (e^-a overflows
        # to inf for a << 0 and s(a) is 0: silently, as apply runs forwards with warnings off)
        xp.exp(rz, out=rz)
        rz += 1
        xp.reciprocal(rz, out=rz)
        nt = n_all[t]
        xp.multiply(rz[:, :n], gh[:, 2 * n:], out=nt)
        nt += x[t, :, 2 * n:]
        xp.tanh(nt, out=nt)
        o = out[t]
        xp.subtract(h, nt, out=o)
        o *= rz[:, n:]
        o += nt
        h = o
    return out, rz_all, n_all, gh_all[..., 2 * n:]


def _gru_gates(gi: Any, h_prev: Any, w_hh: Any, b_hh: Any) -> tuple[Any, Any, Any]:
    """(r|z, n, h W_hn^T + b_hn) for every step at once, from every h_{t-1}."""
    k = h_prev.shape[-1]
    gh = h_prev @ w_hh.T
    if b_hh is not None:
        gh = gh + b_hh
    rz = _sigmoid(gi[..., :2 * k] + gh[..., :2 * k])
    hn = gh[..., 2 * k:]
    return rz, xp.tanh(gi[..., 2 * k:] + rz[..., :k] * hn), hn


class _GRUSeq(Function):
    """The GRU recurrence of one layer and direction over all steps (a primitive for speed)."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, gi: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                reverse: bool) -> Any:
        out, rz, n, hn = _gru_forward(gi._data, h0._data, _rows(w_hh),
                                      None if b_hh is None else b_hh._data, reverse)
        if ctx.needs_input_grad:
            ctx.save_for_backward(gi, h0, w_hh, b_hh, _const(rz), _const(n), _const(hn))
            ctx.reverse = reverse
        return out

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Any, ...]:
        gi, h0, w_hh, b_hh, rz, n, hn = ctx.saved_tensors
        out = ctx.output
        h_prev = _previous(h0, out, ctx.reverse)
        if _GradMode.enabled:  # create_graph: the gates as functions of the inputs
            rz, n, hn = _gru_gates(gi, h_prev, w_hh, b_hh)
        k, rev = n.shape[-1], ctx.reverse
        carry, grads, ggi = None, [None, None], []
        for lo, hi in _blocks(g.shape[0], data(h0).size, rev):
            r, z = _part(rz, lo, hi)[..., :k], _part(rz, lo, hi)[..., k:]
            nb, hp = _part(n, lo, hi), _part(h_prev, lo, hi)
            z1 = 1 - z
            dn = z1 * (1 - nb * nb)  # dh'/d(n's argument)
            dgn = dn * r  # dh'/d(h W_hn^T + b_hn)
            dr = dgn * _part(hn, lo, hi) * (1 - r)  # dh'/d(r's argument): s' = r (1 - r)
            dz = (hp - nb) * z * z1
            dgh, dhs, carry = _bptt(_part(g, lo, hi), xp.concatenate([dr, dz, dgn], -1), w_hh,
                                    rev, 3, z, carry)
            dgh = _join(dgh)
            _add_weight_grads(ctx, 2, grads, dgh, hp)
            if ctx.needs_input_grad[0]:  # as dL/dgh, but r does not scale x W_in^T + b_in
                ggi.append((lo, xp.concatenate([dgh[..., :2 * k], _join(dhs) * dn], -1)))
        return (_in_time_order(ggi) if ggi else None, carry, *grads, None)


# ----- LSTM ------------------------------------------------------------------------------------
# i, f, o = s(.), g = tanh(.) of x W_i*^T + b_i* + h W_h*^T + b_h* (PyTorch's gate order i, f,
# g, o); c' = f c + i g, h' = o tanh(c'). The Function's one output holds [h_t | c_t].
def _lstm_forward(x: Any, h: Any, c: Any, w: Any, b: Any, reverse: bool) -> tuple[Any, ...]:
    steps, batch, n4 = x.shape
    n = n4 // 4
    out = xp.empty((steps, batch, 2 * n), x.dtype)  # [h | c]
    gates = xp.empty(x.shape, x.dtype)  # i, f, g, o after their nonlinearities
    tc = xp.empty((steps, batch, n), x.dtype)  # tanh(c_t)
    for t in _steps(steps, reverse):
        a = gates[t]
        xp.matmul(h, w, out=a)
        a += x[t]
        if b is not None:
            a += b
        for s in (a[:, :2 * n], a[:, 3 * n:]):
            xp.negative(s, out=s)
            xp.exp(s, out=s)
            s += 1
            xp.reciprocal(s, out=s)
        xp.tanh(a[:, 2 * n:3 * n], out=a[:, 2 * n:3 * n])
        ct = out[t, :, n:]
        xp.multiply(a[:, n:2 * n], c, out=ct)
        ct += a[:, :n] * a[:, 2 * n:3 * n]
        xp.tanh(ct, out=tc[t])
        xp.multiply(a[:, 3 * n:], tc[t], out=out[t, :, :n])
        h, c = out[t, :, :n], ct
    return out, gates, tc


class _LSTMSeq(Function):
    """The LSTM recurrence of one layer and direction over all steps (a primitive for speed);
    its output is [h_t | c_t] (T, B, 2H)."""

    save_output = True

    @staticmethod
    def forward(ctx: Node, gi: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor,
                b_hh: Tensor | None, reverse: bool) -> Any:
        out, gates, tc = _lstm_forward(gi._data, h0._data, c0._data, _rows(w_hh),
                                       None if b_hh is None else b_hh._data, reverse)
        if ctx.needs_input_grad:
            ctx.save_for_backward(gi, h0, c0, w_hh, b_hh, _const(gates), _const(tc))
            ctx.reverse = reverse
        return out

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Any, ...]:
        gi, h0, c0, w_hh, b_hh, gates, tc = ctx.saved_tensors
        out, rev = ctx.output, ctx.reverse
        k = tc.shape[-1]
        h_prev = _previous(h0, out[..., :k], rev)
        c_prev = _previous(c0, out[..., k:], rev)
        if _GradMode.enabled:  # create_graph: the gates as functions of the inputs
            a = gi + h_prev @ w_hh.T
            if b_hh is not None:
                a = a + b_hh
            s = _sigmoid(a)
            gates = xp.concatenate([s[..., :2 * k], xp.tanh(a[..., 2 * k:3 * k]),
                                    s[..., 3 * k:]], -1)
            tc = xp.tanh(out[..., k:])
        gh, gc = g[..., :k], g[..., k:]
        carry_h = carry_c = None
        grads: list[Any] = [None, None]
        ggi = []
        for lo, hi in _blocks(g.shape[0], data(h0).size, rev):
            gt, tcb = _part(gates, lo, hi), _part(tc, lo, hi)
            i, f, gg, o = (gt[..., j * k:(j + 1) * k] for j in range(4))
            dhc = o * (1 - tcb * tcb)  # dh'/dc'
            # dc'/d(i, f, g), dh'/d(o)
            coef = xp.concatenate([gg * i * (1 - i), _part(c_prev, lo, hi) * f * (1 - f),
                                   i * (1 - gg * gg), tcb * o * (1 - o)], -1)
            ghb, gcb = _part(gh, lo, hi), _part(gc, lo, hi)
            ds: list[Any] = [None] * (hi - lo)
            for t in _steps(hi - lo, not rev):
                dh = ghb[t] if carry_h is None else ghb[t] + carry_h
                dc = gcb[t] + dh * dhc[t] if carry_c is None else gcb[t] + carry_c + dh * dhc[t]
                d = xp.concatenate([dc, dc, dc, dh], 1) * coef[t]
                ds[t] = d
                carry_c = dc * f[t]
                carry_h = d @ w_hh
            dgh = _join(ds)
            _add_weight_grads(ctx, 3, grads, dgh, _part(h_prev, lo, hi))
            ggi.append((lo, dgh))
        ggi = _in_time_order(ggi) if ctx.needs_input_grad[0] else None
        return (ggi, carry_h, carry_c, *grads, None)


# ----- layers: several layers and directions --------------------------------------------------
def _check_hidden(op: str, h: Tensor, shape: tuple[int, ...], what: str = "hidden") -> None:
    if tuple(h.shape) != shape:
        raise RuntimeError(f"{op}: expected {what} size {shape}, got {list(h.shape)}")


def _stack_layers(op: str, input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool,
                  num_layers: int, dropout: float, train: bool, bidirectional: bool,
                  batch_first: bool) -> tuple[Tensor, ...]:
    """The layers of ``op`` one after another, each direction one recurrence; returns the last
    layer's output and the final states (for lstm: h_n, c_n)."""
    if input.dim() != 3:
        raise RuntimeError(f"{op}: expected a 3-D input, got shape {tuple(input.shape)}")
    dirs = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    if len(params) != num_layers * dirs * per:
        raise RuntimeError(f"{op}: expected {num_layers * dirs * per} weights for {num_layers} "
                           f"layer(s), {dirs} direction(s), got {len(params)}")
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if steps == 0:
        raise RuntimeError(f"{op}: expected sequence length to be larger than 0, got input of "
                           f"shape {tuple(input.shape)}")
    n = params[1].shape[1]
    is_lstm = op == "lstm"
    state = (num_layers * dirs, batch, n)
    if is_lstm:
        h0, c0 = hx if hx is not None else (None, None)
        if c0 is None:
            c0 = zeros(state, dtype=input.dtype)
        _check_hidden(op, c0, state, "cell")
    else:
        h0 = hx
    if h0 is None:
        h0 = zeros(state, dtype=input.dtype)
    _check_hidden(op, h0, state)
    x = input
    finals: list[Tensor] = []
    for layer in range(num_layers):
        ys = []
        for d in range(dirs):
            j = layer * dirs + d
            w_ih, w_hh = params[j * per], params[j * per + 1]
            b_ih, b_hh = (params[j * per + 2], params[j * per + 3]) if has_biases else (None,) * 2
            gi = linear(x, w_ih, b_ih)  # the input projection of every step at once
            if batch_first:
                gi = gi.transpose(0, 1)
            rev = d == 1
            if op == "gru":
                y = _GRUSeq.apply(gi, h0[j], w_hh, b_hh, rev)
            elif is_lstm:
                y = _LSTMSeq.apply(gi, h0[j], c0[j], w_hh, b_hh, rev)
            else:
                y = _ElmanSeq.apply(gi, h0[j], w_hh, b_hh, rev, op == "rnn_relu")
            finals.append(y[0 if rev else -1])
            ys.append(y[..., :n] if is_lstm else y)
        x = ys[0] if dirs == 1 else cat(ys, -1)
        if batch_first:
            x = x.transpose(0, 1)
        if dropout and train and layer < num_layers - 1:
            x = _dropout(x, dropout)
    if not is_lstm:
        return x, stack(finals)
    hc = stack(finals)
    return x, hc[..., :n], hc[..., n:]


def rnn_tanh(input: Tensor, hx: Tensor | None, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """Elman RNN layers, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (torch.rnn_tanh).
    ``params``: w_ih, w_hh[, b_ih, b_hh] per layer and direction. Returns (output, h_n)."""
    return _stack_layers("rnn_tanh", input, hx, params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first)


def rnn_relu(input: Tensor, hx: Tensor | None, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """Elman RNN layers with relu instead of tanh (torch.rnn_relu)."""
    return _stack_layers("rnn_relu", input, hx, params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first)


def gru(input: Tensor, hx: Tensor | None, params: Sequence[Tensor], has_biases: bool,
        num_layers: int, dropout: float, train: bool, bidirectional: bool,
        batch_first: bool) -> tuple[Tensor, Tensor]:
    """GRU layers (torch.gru): r, z = s(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}),
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h. Returns (output, h_n).
    """
    return _stack_layers("gru", input, hx, params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first)


def lstm(input: Tensor, hx: Sequence[Tensor] | None, params: Sequence[Tensor],
         has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool,
         batch_first: bool) -> tuple[Tensor, Tensor, Tensor]:
    """LSTM layers (torch.lstm): i, f, o = s(.), g = tanh(.) of x W_i*^T + b_i* + h W_h*^T +
    b_h*; c' = f c + i g, h' = o tanh(c'). ``hx``: (h0, c0). Returns (output, h_n, c_n)."""
    return _stack_layers("lstm", input, hx, params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first)


# ----- cells: one step --------------------------------------------------------------------------
def _cell(op: str, input: Tensor, hx: Tensor | None, w_ih: Tensor, b_ih: Tensor | None
          ) -> tuple[Tensor, Tensor, bool]:
    """The input projection as one time step (1, B, G*H), the state, and whether unbatched."""
    one = input.dim() == 1
    if one:
        input = input.unsqueeze(0)
        hx = None if hx is None else hx.unsqueeze(0)
    gi = linear(input, w_ih, b_ih)
    n = w_ih.shape[0] // {"gru_cell": 3, "lstm_cell": 4}.get(op, 1)
    if hx is None:
        hx = zeros(input.shape[0], n, dtype=input.dtype)
    _check_hidden(op, hx, (input.shape[0], n))
    return gi.unsqueeze(0), hx, one


def rnn_tanh_cell(input: Tensor, hx: Tensor | None, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (torch.rnn_tanh_cell)."""
    gi, h, one = _cell("rnn_tanh_cell", input, hx, w_ih, b_ih)
    y = _ElmanSeq.apply(gi, h, w_hh, b_hh, False, False)
    return y[0, 0] if one else y[0]


def rnn_relu_cell(input: Tensor, hx: Tensor | None, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with relu (torch.rnn_relu_cell)."""
    gi, h, one = _cell("rnn_relu_cell", input, hx, w_ih, b_ih)
    y = _ElmanSeq.apply(gi, h, w_hh, b_hh, False, True)
    return y[0, 0] if one else y[0]


def gru_cell(input: Tensor, hx: Tensor | None, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step (torch.gru_cell); see ``gru``."""
    gi, h, one = _cell("gru_cell", input, hx, w_ih, b_ih)
    y = _GRUSeq.apply(gi, h, w_hh, b_hh, False)
    return y[0, 0] if one else y[0]


def lstm_cell(input: Tensor, hx: Sequence[Tensor] | None, w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step (torch.lstm_cell); ``hx``: (h, c). Returns (h', c')."""
    h, c = hx if hx is not None else (None, None)
    gi, h, one = _cell("lstm_cell", input, h, w_ih, b_ih)
    if c is None:
        c = zeros(*h.shape, dtype=h.dtype)
    elif one:
        c = c.unsqueeze(0)
    _check_hidden("lstm_cell", c, tuple(h.shape), "cell")
    n = h.shape[-1]
    y = _LSTMSeq.apply(gi, h, c, w_hh, b_hh, False)[0]
    if one:
        y = y[0]
    return y[..., :n], y[..., n:]
