"""The tensor engine's modules import one way: tensor.py <- function.py (the node protocol) <-
backward.py (the backward pass). No module-level import cycle, and nothing injected."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import chainrule as cr

SRC = pathlib.Path(cr.__file__).parent


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter where the packages ``chainrule`` and ``chainrule.tensor``
    are stood up empty (their __init__ imports every module), so that importing one module loads
    only what that module imports."""
    prelude = f"""
import sys, types
for name, path in (("chainrule", {str(SRC)!r}), ("chainrule.tensor", {str(SRC / "tensor")!r})):
    pkg = types.ModuleType(name); pkg.__path__ = [path]; sys.modules[name] = pkg
def loaded():
    return sorted(m for m in sys.modules if m.startswith("chainrule.tensor."))
"""
    env = dict(os.environ, PYTHONPATH=str(SRC.parent))
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                          text=True, env=env, check=False)


def test_tensor_module_imports_neither_function_nor_backward():
    out = _fresh("""
import chainrule.tensor.tensor as t
print(loaded())
import chainrule.tensor.ops  # the ops register Tensor's methods (and import function.py)
x = t.Tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()  # Tensor.backward imports backward.py on its first call
print(x.grad.tolist(), "chainrule.tensor.backward" in sys.modules)
""")
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.splitlines()
    mods = ast.literal_eval(first)
    assert "chainrule.tensor.tensor" in mods
    assert "chainrule.tensor.function" not in mods and "chainrule.tensor.backward" not in mods
    assert not any(m.startswith("chainrule.tensor.ops") for m in mods), mods
    assert second == "[2.0, 4.0] True"


def test_function_module_does_not_import_backward():
    out = _fresh("""
import chainrule.tensor.function as f
from chainrule.tensor.tensor import Tensor
assert f.Tensor is Tensor and not hasattr(f, "_Tensor")
print(loaded())
""")
    assert out.returncode == 0, out.stderr
    mods = ast.literal_eval(out.stdout)
    assert "chainrule.tensor.function" in mods and "chainrule.tensor.tensor" in mods
    assert "chainrule.tensor.backward" not in mods, mods
    # nor lazily, anywhere in the file
    tree = ast.parse((SRC / "tensor" / "function.py").read_text())
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if n and "backward" in n], names


def test_backward_module_loads_alone_and_works():
    out = _fresh("""
import chainrule.tensor.backward as b
import chainrule.tensor.ops  # the ops register Tensor's methods
from chainrule.tensor.tensor import Tensor
x = Tensor([1.0, 2.0], requires_grad=True)
(g,) = b.grad((x * x).sum(), x)
print(g.tolist())
""")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[2.0, 4.0]"
