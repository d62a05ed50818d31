"""Every notebook in notebooks/ runs top to bottom in a fresh kernel and prints the numbers its
prose quotes.

A notebook reports the numbers worth checking as lines ``RESULT name=value`` on stdout; the test
re-executes it (nothing is written back), parses those lines from the fresh outputs, checks them
against the values derived by hand below, and checks that the outputs stored in the file (which a
code host renders) carry the same numbers, so the stored outputs cannot go stale.

The kernel is this interpreter's own: ipykernel's built-in ``python3`` spec with
``sys.executable``, never a kernelspec found in the user's Jupyter directories, so the notebooks
import the chainrule that the test suite is testing.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from itertools import pairwise
from pathlib import Path

import nbformat
import numpy as np
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets import default

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
# Each notebook runs in well under 60 s on two idle cores; the limit leaves room for a loaded
# machine (the whole suite in parallel) and still stops a hung kernel.
NOTEBOOK_TIMEOUT_S = 300
MAX_FILE_BYTES = 1_000_000

_RESULT = re.compile(r"^RESULT (\w+)=(\S+)$", re.M)

# the lecture's neuron o = tanh(x1*w1 + x2*w2 + b) at x1=2, x2=0, w1=-3, w2=1, b=6.88137...
NEURON = {"o": math.sqrt(0.5), "x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}


def _close(got: float, want: float, tol: float = 1e-9) -> bool:
    return math.isclose(got, want, rel_tol=tol, abs_tol=tol)


def _check_derivatives(r: dict[str, float]) -> None:
    assert _close(r["slope"], 14.0)  # d/dx (3x^2 - 4x + 5) = 6x - 4 at x = 3


def _check_worked_example(r: dict[str, float]) -> None:
    # L = (a*b + c) * f at a=2, b=-3, c=10, f=-2, gradients derived by hand in the notebook
    want = {"L": -8.0, "grad_a": 6.0, "grad_b": -4.0, "grad_c": -2.0, "grad_e": -2.0,
            "grad_d": -2.0, "grad_f": 4.0, "grad_L": 1.0}
    for name, value in want.items():
        assert _close(r[name], value), (name, r[name], value)


def _check_backprop(r: dict[str, float]) -> None:
    for name in ("x1", "x2", "w1", "w2", "b"):
        assert _close(r[name], NEURON[name]), (name, r[name])


def _check_neuron(r: dict[str, float]) -> None:
    for name, value in NEURON.items():
        ours, theirs = r[f"chainrule_{name}"], r[f"torch_{name}"]
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-15), (name, ours, theirs)
        assert _close(ours, value), (name, ours, value)


def _check_mlp(r: dict[str, float]) -> None:
    assert r["accuracy"] == 1.0
    assert abs(r["final_loss"] - 0.005286) < 2e-6  # the prose quotes 0.0053


def _check_moons(r: dict[str, float]) -> None:
    assert r["accuracy"] == 1.0  # the prose: all 100 points separated


def _check_makemore(r: dict[str, float]) -> None:
    # the prose quotes 26.54 and 3.309; a uniform guess over 27 characters costs ln 27 = 3.296
    assert abs(r["init_loss_bad"] - 26.54) < 0.01
    assert abs(r["init_loss_fixed"] - math.log(27)) < 0.05
    # trained: the prose quotes train 2.03 and val 2.09 (N(0, 1) init reached only 2.24 / 2.42)
    assert r["final_train_loss"] < 2.1
    assert r["final_val_loss"] < 2.15
    assert 0.0 < r["final_val_loss"] - r["final_train_loss"] < 0.15


def _check_values_to_tensors(r: dict[str, float]) -> None:
    # the Tensor MLP starts from the Value MLP's weights: the same loss and gradients, to rounding
    assert r["loss_diff"] < 1e-12
    assert r["max_grad_diff"] < 1e-12


def _bigrams() -> tuple[list[str], np.ndarray, np.ndarray]:
    """The names, every (current, next) token pair of them with '.' = 0 at both ends, and the
    27 x 27 count table, computed here with NumPy alone."""
    from chainrule.data import names

    words = names()
    pairs = []
    for w in words:
        ids = [0, *(ord(c) - ord("a") + 1 for c in w), 0]
        pairs += pairwise(ids)
    pairs_array = np.array(pairs)
    counts = np.zeros((27, 27))
    np.add.at(counts, (pairs_array[:, 0], pairs_array[:, 1]), 1)
    return words, pairs_array, counts


def _nll(counts: np.ndarray, pairs: np.ndarray) -> float:
    p = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return float(-np.log(p[pairs[:, 0], pairs[:, 1]]).mean())


def _check_bigram(r: dict[str, float]) -> None:
    words, pairs, counts = _bigrams()
    assert r["n_names"] == len(words) == 5163
    assert r["n_bigrams"] == len(pairs) == sum(len(w) + 1 for w in words)
    smoothed = _nll(counts + 1, pairs)
    assert _close(r["count_nll"], smoothed), (r["count_nll"], smoothed)
    # trained from 3.66: no bigram model beats the raw counts on their own data, and a working
    # loop ends within 0.01 of the smoothed count model (the notebook says "less than a hundredth")
    assert _nll(counts, pairs) < r["net_loss"] < smoothed + 0.01, r["net_loss"]


def _check_tiny_gpt(r: dict[str, float]) -> None:
    # small initial weights: every character about equally likely
    assert abs(r["initial_loss"] - math.log(27)) < 0.01, r["initial_loss"]
    # the context must beat every bigram model (best on its own training names: the raw counts'
    # NLL), on held-out names too; far lower would mean the mask lets a position see its target
    _, pairs, counts = _bigrams()
    best_bigram = _nll(counts, pairs)
    for name in ("final_train_loss", "final_val_loss"):
        assert 1.8 < r[name] < best_bigram - 0.1, (name, r[name], best_bigram)


CHECKS = {
    "01_derivatives": _check_derivatives,
    "02_values_and_graphs": _check_worked_example,
    "03_backpropagation": _check_backprop,
    "04_neuron": _check_neuron,
    "05_mlp": _check_mlp,
    "06_two_moons": _check_moons,
    "07_values_to_tensors": _check_values_to_tensors,
    "08_makemore_bigram": _check_bigram,
    "09_makemore_mlp": _check_makemore,
    "10_tiny_gpt": _check_tiny_gpt,
}


def _results(nb: nbformat.NotebookNode) -> dict[str, float]:
    """name -> value of every ``RESULT name=value`` line the notebook printed (last one wins)."""
    out: dict[str, float] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                for name, value in _RESULT.findall(output["text"]):
                    out[name] = float(value)
    return out


class _ThisPythonKernel(AsyncKernelManager):
    """Finds no kernelspec on disk, so "python3" is ipykernel's built-in spec, which launches
    sys.executable."""

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return KernelSpecManager(kernel_dirs=[])


# The suite runs two workers on two cores: a kernel's BLAS gets one thread, not a second
# spinning one per worker (the results are the same with any thread count; the time is not).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _execute(nb: nbformat.NotebookNode) -> None:
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=_ThisPythonKernel,
                            timeout=NOTEBOOK_TIMEOUT_S, shutdown_kernel="immediate",
                            record_timing=False, resources={"metadata": {"path": str(NOTEBOOKS)}})
    # a limit per cell (the client's timeout) and for the whole notebook (wait_for); the client
    # owns its kernel manager, so it kills the kernel however execution ends
    start = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(client.async_execute(), NOTEBOOK_TIMEOUT_S))
    except (TimeoutError, DeadKernelError):
        # wait_for's cancellation kills the kernel mid-cell, which the client reports as a death
        if time.monotonic() - start >= NOTEBOOK_TIMEOUT_S:
            pytest.fail(f"the notebook did not finish within {NOTEBOOK_TIMEOUT_S} s")
        raise


def test_every_checked_notebook_exists():
    assert set(CHECKS) <= {p.stem for p in PATHS}


USES_TORCH = {"04_neuron"}
PARAMS = [pytest.param(p, id=p.stem, marks=[pytest.mark.torch] if p.stem in USES_TORCH else [])
          for p in PATHS]


@pytest.mark.parametrize("path", PARAMS)
def test_notebook_runs_and_prints_its_numbers(path: Path):
    assert path.stat().st_size < MAX_FILE_BYTES, f"{path.name}: keep stored outputs small"
    stored = nbformat.read(path, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    # stored as run top to bottom, once, from a fresh kernel
    assert [c.get("execution_count") for c in code] == list(range(1, len(code) + 1)), path.name

    nb = nbformat.read(path, as_version=4)
    _execute(nb)  # raises CellExecutionError, naming the cell, when a cell raises
    fresh = _results(nb)
    check = CHECKS.get(path.stem)
    if check is not None:
        check(fresh)

    kept = _results(stored)
    assert kept.keys() == fresh.keys(), f"{path.name}: stored outputs are stale; re-run it"
    for name, value in kept.items():
        assert math.isclose(value, fresh[name], rel_tol=1e-9, abs_tol=1e-12), (
            f"{path.name}: stored {name}={value}, a fresh run gives {fresh[name]}; re-run it"
        )
