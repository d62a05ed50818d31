"""The ``chainrule`` command. ``chainrule demo`` runs the lectures' examples end to end."""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chainrule
from chainrule._extras import install_hint
from chainrule.autograd import no_grad
from chainrule.scalar.check import numerical_grad
from chainrule.scalar.nn import MLP
from chainrule.scalar.optim import SGD
from chainrule.scalar.value import Value


class _UsageError(Exception):
    """A mistake in the command line that argparse cannot see: one line, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


_SEED_MAX = 2**32 - 1  # scikit-learn's random_state range


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= n <= _SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be between 0 and {_SEED_MAX}, got {n}")
    return n


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="chainrule: automatic differentiation, from scratch."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {chainrule.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = sub.add_parser(
        "demo",
        help="the worked example, a small MLP trained on two moons, and pictures",
        description="Backprop through the lectures' worked example, train MLP(2, [16, 16, 1]) "
        "on two moons, and write decision_boundary.png, loss.png and neuron.svg.",
    )
    demo.add_argument("--out", default="demo-output", metavar="DIR",
                      help="directory for the pictures (default: %(default)s)")
    demo.add_argument("--steps", type=_positive_int, default=100,
                      help="training steps (default: %(default)s)")
    demo.add_argument("--seed", type=_seed, default=1337,
                      help="seeds the data and the weights (default: %(default)s)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)
    _train_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed usage or help
        return e.code if isinstance(e.code, int) else 2
    try:
        return args.func(args)
    except _UsageError as e:
        print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


# ----- train ---------------------------------------------------------------------------------
TASK_NAMES = ("moons", "digits", "mnist1d", "names")
MODEL_NAMES = ("linear", "mlp", "cnn", "gru", "bigram")  # which fit which data set: train/models
OPTIMIZER_NAMES = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
# the options a resumed run takes from its checkpoint (given again, they must agree)
RUN_OPTIONS = ("model", "optimizer", "lr", "weight_decay", "batch_size", "seed", "shuffle",
               "val_fraction")


def _non_negative_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (x >= 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return x


def _fraction(text: str) -> float:
    x = _non_negative_float(text)
    if x >= 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return x


def _train_parser(sub: Any) -> None:
    train = sub.add_parser(
        "train", help="train a model on a data set (progress bar, plots, checkpoints)",
        description="Train a model on a data set that needs no network. Writes "
        "checkpoint.safetensors (after every epoch), metrics.json and plots into --out. "
        "Options left out take the data set's recipe (mnist1d: the MNIST-1D paper's: Adam, "
        "lr 1e-2, batch 100, 6000 steps in order).")
    train.add_argument("dataset", choices=TASK_NAMES, metavar="DATASET",
                       help=f"one of {', '.join(TASK_NAMES)}")
    train.add_argument("--model", choices=MODEL_NAMES,
                       help="linear, mlp, cnn, gru (mnist1d, digits); linear, mlp (moons); "
                       "bigram, mlp, gru (names); default mlp")
    train.add_argument("--optimizer", choices=OPTIMIZER_NAMES, help="default adam")
    train.add_argument("--lr", type=_non_negative_float, help="learning rate")
    train.add_argument("--weight-decay", type=_non_negative_float, help="default 0")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=_positive_int, help="total optimizer steps")
    length.add_argument("--epochs", type=_positive_int, help="total passes over the data")
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--seed", type=_seed, help="seeds the weights and the batch order "
                       "(default 0)")
    order = train.add_mutually_exclusive_group()
    order.add_argument("--shuffle", dest="shuffle", action="store_const", const=True,
                       help="a new order of the training set each epoch")
    order.add_argument("--no-shuffle", dest="shuffle", action="store_const", const=False,
                       help="batches in the training set's order (mnist1d's default)")
    train.add_argument("--val-fraction", type=_fraction,
                       help="part of the training set held out for validation; 0 validates "
                       "on the test set (mnist1d's default)")
    train.add_argument("--out", default="train-output", metavar="DIR",
                       help="directory for checkpoints, metrics and plots (default: %(default)s)")
    train.add_argument("--resume", metavar="CKPT",
                       help="continue from this checkpoint to --steps/--epochs (default: the "
                       "checkpoint's); the result equals an uninterrupted run, bit for bit")
    train.add_argument("--no-progress", action="store_true", help="no progress output")
    train.add_argument("--no-plots", action="store_true", help="no plots (no matplotlib)")
    train.set_defaults(func=_train)

    def one_line_error(message: str) -> None:
        print(f"chainrule train: error: {message}", file=sys.stderr)
        raise SystemExit(2)

    train.error = one_line_error  # type: ignore[method-assign]


def _train(args: argparse.Namespace) -> int:
    """Check everything that could stop the run (arguments, packages, --out, the checkpoint),
    then train."""
    _check_train_dependencies(args.dataset, plots=not args.no_plots)
    from chainrule.train import DEFAULTS, MODELS, Config, load_checkpoint, load_task, run
    from chainrule.train.loop import steps_per_epoch
    from chainrule.train.tasks import KIND

    given = {k: getattr(args, k) for k in RUN_OPTIONS if getattr(args, k) is not None}
    resume = None
    if args.resume is not None:
        try:
            resume = load_checkpoint(args.resume)
        except (OSError, ValueError) as e:
            raise _UsageError(f"--resume {args.resume}: {e}") from None
        saved = resume["config"]
        if saved["dataset"] != args.dataset:
            raise _UsageError(f"--resume {args.resume}: the checkpoint is of data set "
                              f"{saved['dataset']}, not {args.dataset}")
        for k, v in given.items():
            if saved[k] != v:
                raise _UsageError(f"--resume {args.resume}: the checkpoint was trained with "
                                  f"--{k.replace('_', '-')} {saved[k]}, not {v}")
        options = {k: saved[k] for k in RUN_OPTIONS}
    else:
        options = {"weight_decay": 0.0, "seed": 0} | DEFAULTS[args.dataset] | given
    kind = KIND[args.dataset]
    if options["model"] not in MODELS[kind]:
        raise _UsageError(f"--model {options['model']} does not fit {args.dataset}; choose "
                          f"from {', '.join(MODELS[kind])}")
    out = _output_dir(args.out)
    task = load_task(args.dataset, options["model"], options["val_fraction"])
    per_epoch = steps_per_epoch(task, options["batch_size"])
    if args.steps is not None:
        steps = args.steps
    elif args.epochs is not None:
        steps = args.epochs * per_epoch
    elif resume is not None:
        steps = resume["config"]["steps"]
    else:
        default = DEFAULTS[args.dataset]
        steps = default.get("steps") or default["epochs"] * per_epoch
    if resume is not None and steps < resume["step"]:
        raise _UsageError(f"--resume {args.resume}: the checkpoint is at step "
                          f"{resume['step']}, past --steps {steps}")
    config = Config(dataset=args.dataset, steps=steps,
                    **{k: options[k] for k in RUN_OPTIONS})
    print(f"Training {config.model} on {config.dataset}: {config.optimizer} lr {config.lr:g}, "
          f"batch {config.batch_size}, {steps} steps ({steps / per_epoch:g} epochs), "
          f"seed {config.seed}" + (f", from step {resume['step']}" if resume else ""))
    metrics = run(config, out, resume=resume, progress=not args.no_progress,
                  plots=not args.no_plots, task=task)
    print(f"Final: train loss {metrics['train']['loss']:.4f}, accuracy "
          f"{metrics['train']['accuracy']:.2%}; test loss {metrics['test']['loss']:.4f}, "
          f"accuracy {metrics['test']['accuracy']:.2%} ({metrics['wall_time_s']:.1f} s)")
    if "samples" in metrics:
        print("Samples: " + ", ".join(metrics["samples"][:10]))
    print(f"Wrote checkpoint.safetensors, metrics.json{'' if args.no_plots else ' and plots'}"
          f" to {out}")
    return 0


def _check_train_dependencies(dataset: str, plots: bool) -> None:
    needs = [("safetensors", "safetensors")]
    needs += {"moons": [("sklearn", "scikit-learn")], "digits": [("sklearn", "scikit-learn")],
              "mnist1d": [("mnist1d", "mnist1d")], "names": [("names", "names")]}[dataset]
    if plots:
        needs.append(("matplotlib", "matplotlib"))
    missing = []
    for module, package in needs:
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise ImportError(f"train {dataset} needs {', '.join(missing)}: "
                          f"{install_hint('all', *missing)}")


# ----- demo ----------------------------------------------------------------------------------
def _demo(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    # everything that could stop the demo is checked here, before a minute of training is lost
    out = _output_dir(args.out)
    _check_demo_dependencies()

    print("1. Backprop by hand: the lectures' worked example")
    _worked_example()

    print(f"\n2. Training MLP(2, [16, 16, 1]) on two moons (seed {args.seed})")
    run = _train_moons(args.steps, args.seed, progress=not args.no_progress)

    print("\n3. Pictures")
    written = _pictures(run, out)
    print(f"   in {out}:")
    for path in written:
        print(f"   {path.name}")
    print(f"\nTotal time {time.perf_counter() - start:.1f} s")
    return 0


def _output_dir(text: str) -> Path:
    out = Path(text).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise _UsageError(f"--out {text}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _UsageError(f"--out {text}: cannot create the directory: {e.strerror}") from None
    try:  # permissions alone do not tell (root, read-only mounts, ACLs): try it
        with tempfile.NamedTemporaryFile(dir=out, prefix=".chainrule-write-test-"):
            pass
    except OSError as e:
        raise _UsageError(f"--out {text}: cannot write files there: {e.strerror}") from None
    return out


def _check_demo_dependencies() -> None:
    """The optional packages the demo needs (the ``all`` extra but tqdm, which it can do
    without): ImportError, naming what to install, if one is missing."""
    missing = []
    for module, package in (("sklearn", "scikit-learn"), ("matplotlib", "matplotlib"),
                            ("graphviz", "graphviz")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise ImportError(f"the demo needs {', '.join(missing)}: {install_hint('all', *missing)}")


def _lecture_expression(given: dict[str, Value]) -> dict[str, Value]:
    """L = (a*b + c) * f; a node found in ``given`` is used as it is instead of recomputed."""
    v = dict(given)
    if "e" not in v:
        v["e"] = v["a"] * v["b"]
    if "d" not in v:
        v["d"] = v["e"] + v["c"]
    if "L" not in v:
        v["L"] = v["d"] * v["f"]
    return v


def _worked_example() -> None:
    leaves = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
    nodes = _lecture_expression({k: Value(x, label=k) for k, x in leaves.items()})
    for name, node in nodes.items():
        node.label = name
    L = nodes["L"]
    L.backward()
    print(f"   L = (a*b + c) * f = {L.data:.4f}; gradients dL/dnode:")
    rows = []
    for name in ("a", "b", "c", "e", "d", "f", "L"):
        # dL/dnode numerically: nudge that node alone and recompute everything after it
        free = Value(nodes[name].data)
        given = {k: Value(x) for k, x in leaves.items()} | {name: free}
        (estimate,) = numerical_grad(lambda g=given: _lecture_expression(g)["L"], [free])
        node = nodes[name]
        rows.append((name, f"{node.data:.4f}", f"{node.grad:.4f}", f"{estimate:.4f}"))
    _print_table(("node", "data", "grad", "numerical"), rows)


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        print("   " + "  ".join(cells))


def _moons(seed: int) -> tuple[Any, Any]:
    try:
        from sklearn.datasets import make_moons
    except ImportError:
        raise ImportError(
            f"the demo's data set needs scikit-learn: {install_hint('data', 'scikit-learn')}"
        ) from None
    # micrograd's demo: np.random.seed(1337); make_moons(n_samples=100, noise=0.1)
    X, y = make_moons(n_samples=100, noise=0.1, random_state=seed)
    return X, y * 2 - 1


class _Progress:
    """Training progress: tqdm's bar on a terminal; elsewhere (a log, a pipe, or no tqdm) a
    plain line per tenth of the steps, since a bar's carriage returns make a log unreadable."""

    def __init__(self, steps: int, enabled: bool) -> None:
        self.steps, self.enabled, self.bar = steps, enabled, None
        if enabled and _isatty(sys.stderr):
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                sys.stdout.flush()  # the bar writes to stderr; keep the two in order
                self.bar = tqdm(total=steps, desc="   training", unit="step", leave=True)

    def update(self, step: int, loss: float, acc: float) -> None:
        """Step ``step`` (1-based) is done."""
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.0%}", refresh=False)
            self.bar.update()
        elif self.enabled and step * 10 // self.steps > (step - 1) * 10 // self.steps:
            # the first step into each new tenth of the run: at most ten lines
            print(f"   step {step:>{len(str(self.steps))}}/{self.steps}: loss {loss:.4f}, "
                  f"accuracy {acc:.0%}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@dataclass
class _Run:
    model: MLP
    X: Any
    y: Any
    loss: list[float] = field(default_factory=list)  # per step, before its update
    accuracy: list[float] = field(default_factory=list)
    final_loss: float = 0.0  # after the last update
    final_accuracy: float = 0.0


def _train_moons(steps: int, seed: int, progress: bool = True) -> _Run:
    """micrograd's demo: max-margin loss, L2 1e-4, SGD with lr 1.0 decaying to 0.1."""
    X, y = _moons(seed)
    points = X.tolist()
    labels = [float(t) for t in y]
    random.seed(seed)
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    opt = SGD(params, lr=1.0)

    def loss_and_accuracy() -> tuple[Value, float]:
        scores = [model(p) for p in points]
        margins = [(1.0 - t * s).relu() for t, s in zip(labels, scores, strict=True)]
        data_loss = sum(margins) * (1.0 / len(margins))
        reg_loss = 1e-4 * sum(p * p for p in params)
        correct = sum((s.data > 0) == (t > 0) for t, s in zip(labels, scores, strict=True))
        return data_loss + reg_loss, correct / len(labels)

    run = _Run(model, X, y)
    bar = _Progress(steps, progress)
    try:
        for k in range(steps):
            loss, acc = loss_and_accuracy()
            opt.zero_grad()
            loss.backward()
            opt.lr = 1.0 - 0.9 * k / steps
            opt.step()
            run.loss.append(loss.data)
            run.accuracy.append(acc)
            bar.update(k + 1, loss.data, acc)
    finally:
        bar.close()
    with no_grad():
        loss, acc = loss_and_accuracy()
    print(f"   after {steps} steps: loss {loss.data:.4f}, accuracy {acc:.0%}"
          f" ({round(acc * len(labels))}/{len(labels)})")
    run.final_loss, run.final_accuracy = loss.data, acc
    return run


def _pictures(run: _Run, out: Path) -> list[Path]:
    from chainrule.viz import plot_decision_boundary, plot_loss, save_graph

    def predict(grid: Any) -> list[float]:
        with no_grad():
            return [run.model(p).data for p in grid.tolist()]

    written = [
        plot_decision_boundary(predict, run.X, run.y, out / "decision_boundary.png",
                               title="MLP(2, [16, 16, 1]) on two moons", resolution=80),
        plot_loss(run.loss, out / "loss.png", accuracy=run.accuracy,
                  title="Training: max-margin loss and accuracy"),
        save_graph(_tanh_neuron(), out / "neuron.svg"),
    ]
    return written


def _tanh_neuron() -> Value:
    """The lectures' neuron o = tanh(x1*w1 + x2*w2 + b), after o.backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


if __name__ == "__main__":
    sys.exit(main())
