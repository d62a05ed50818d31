"""The error function and its relatives on arrays (NumPy has none; no SciPy dependency).

erf and erfc: W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
for the error function", Math. Comp. 23 (1969) 631-637; the coefficients of his SPECFUN routine
CALERF), evaluated in float64 on three intervals of |x|:

- |x| <= 0.46875:     erf(x) = x P(x^2) / Q(x^2)
- 0.46875 < |x| <= 4: erfc(|x|) = exp(-x^2) P(|x|) / Q(|x|)
- |x| > 4:            erfc(|x|) = exp(-x^2) / |x| (1/sqrt(pi) + x^-2 P(x^-2) / Q(x^-2))

exp(-x^2) is taken as exp(-s^2) exp(-(x - s)(x + s)) with s = x rounded down to a multiple of
1/16, so that s^2 is exact: a rounding error in x^2 would be multiplied by x^2 (hundreds) in the
result. erf = 1 - erfc and erfc = 2 - erfc(-x) on the other intervals, erfc = 1 - erf on the
first. Relative error a few units in the last place over the whole real line.

erfinv: an initial guess from M. Giles' single-precision approximation ("Approximating the erfinv
function", GPU Computing Gems, 2011; from the asymptotic series of erfc beyond its range, where
1 - |y| < 1e-7), refined by two Halley steps on erf(x) = y (on
erfc(x) = 1 - |y| where |y| > 1/2, so that the tail keeps its relative accuracy): Halley's cubic
convergence takes Giles' ~1e-7 to rounding level. For f(x) = erf(x) - y, f''/f' = -2x, so the
step is u / (1 + x u) with u = f / f'.
"""

from __future__ import annotations

from typing import Any

from chainrule.tensor.backend import xp

_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875
# Cody's coefficients, highest index first in each tuple's use below
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)


def _erf_small(x: Any) -> Any:
    """erf(x) for |x| <= 0.46875."""
    z = x * x
    num, den = _A[4] * z, z
    for i in range(3):
        num, den = (num + _A[i]) * z, (den + _B[i]) * z
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_large(y: Any) -> Any:
    """erfc(y) for y > 0.46875 (0 beyond 27.3, where erfc underflows)."""
    y = xp.minimum(y, 30.0)  # inf -> 30: the result is 0 either way, without inf - inf
    out = xp.empty_like(y)
    mid = y <= 4.0
    ym = y[mid]
    num, den = _C[8] * ym, ym
    for i in range(7):
        num, den = (num + _C[i]) * ym, (den + _D[i]) * ym
    out[mid] = (num + _C[7]) / (den + _D[7])
    far = ~mid
    yf = y[far]
    z = 1 / (yf * yf)
    num, den = _P[5] * z, z
    for i in range(4):
        num, den = (num + _P[i]) * z, (den + _Q[i]) * z
    out[far] = (_SQRPI - z * (num + _P[4]) / (den + _Q[4])) / yf
    s = xp.trunc(y * 16) / 16  # s^2 exact; exp(-y^2) = exp(-s^2) exp(-(y - s)(y + s))
    return xp.exp(-s * s) * xp.exp(-(y - s) * (y + s)) * out


def _as_float64(x: Any) -> Any:
    """x as a flat float64 array (1-d even for a 0-d x: NumPy gives scalars, not 0-d arrays,
    from operations on 0-d arrays)."""
    return xp.asarray(x, dtype=xp.float64).reshape(-1)


def _like(out: Any, x: Any) -> Any:
    """out in x's shape and dtype."""
    x = xp.asarray(x)
    return out.reshape(x.shape).astype(x.dtype, copy=False)


def erf(x: Any) -> Any:
    """erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt, elementwise, in x's floating dtype."""
    d = _as_float64(x)
    y = xp.abs(d)
    out = xp.empty_like(d)
    small = y <= _THRESH
    out[small] = _erf_small(d[small])
    big = ~small
    e = (0.5 - _erfc_large(y[big])) + 0.5
    out[big] = xp.copysign(e, d[big])
    return _like(out, x)


def erfc(x: Any) -> Any:
    """erfc(x) = 1 - erf(x), elementwise, accurate where it is tiny (x >> 0)."""
    d = _as_float64(x)
    y = xp.abs(d)
    out = xp.empty_like(d)
    small = y <= _THRESH
    out[small] = 1 - _erf_small(d[small])
    big = ~small
    c = _erfc_large(y[big])
    out[big] = xp.where(d[big] < 0, 2 - c, c)
    return _like(out, x)


def _giles(y: Any) -> Any:
    """Giles' single-precision erfinv (relative error ~4e-7) for |y| < 1."""
    w = -xp.log((1 - y) * (1 + y))
    near = w < 5
    t = xp.where(near, w - 2.5, xp.sqrt(w) - 3)
    p_near = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p_near = c + p_near * t
    p_far = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p_far = c + p_far * t
    return xp.where(near, p_near, p_far) * y


def _tail_guess(c: Any) -> Any:
    """erfc^-1(c) for tiny c (Giles' range ends near c = 1e-7) from the asymptotic series
    erfc(x) ~ exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4)), solved for x^2 by fixed-point
    iteration: relative error ~1e-5 for c < 1e-7."""
    L = -xp.log(c)
    x = xp.sqrt(L)
    for _ in range(4):
        z = 1 / (x * x)
        x = xp.sqrt(L - xp.log(x / _SQRPI) + xp.log1p(-z / 2 + 0.75 * z * z))
    return x


def erfinv(y: Any) -> Any:
    """The x with erf(x) = y, elementwise: +-inf at +-1, NaN outside [-1, 1]."""
    d = _as_float64(y)
    a = xp.abs(d)
    inside = a < 1
    x = _giles(xp.where(inside, a, 0.0))  # on |y|; the sign is put back at the end
    tail = a > 0.5
    c = 1 - a  # exact for |y| in [0.5, 1]
    far = inside & (c < 1e-7)
    x[far] = _tail_guess(c[far])
    for _ in range(2):
        # f = erf(x) - |y| (or -(erfc(x) - (1 - |y|)) in the tail: the same f, computed where
        # it has relative accuracy); f' = 2/sqrt(pi) exp(-x^2)
        f = xp.where(tail, c - erfc(x), erf(x) - a)
        u = f / (2 * _SQRPI * xp.exp(-x * x))
        x = x - u / (1 + x * u)
    x = xp.where(inside, x, xp.where(a == 1, xp.inf, xp.nan))
    return _like(xp.copysign(x, d), y)
