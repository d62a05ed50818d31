"""``device``: where a tensor lives. chainrule computes on the CPU only, so ``device('cpu')`` is
the one usable device; naming another (``'cuda'``, ``'mps'``, ``'cuda:0'``) is allowed, and using
one raises a RuntimeError that says so."""

from __future__ import annotations

from typing import Any

# PyTorch's device types (any of them makes a device object; only 'cpu' can hold tensors)
_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)


class device:
    """A device: ``device('cpu')``, ``device('cuda', 0)``, ``device('cuda:0')``.

    Prints as PyTorch's (``device(type='cpu')``); equal to a device of the same type and index,
    and (unlike PyTorch's) to its own string, so ``t.device == 'cpu'`` holds.
    """

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device: an index cannot be given with a device")
            kind, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):  # an index alone: cuda's
            kind, index = "cuda", type
        elif isinstance(type, str):
            kind, sep, idx = type.partition(":")
            if sep:
                if index is not None:
                    raise RuntimeError(f"device: type (string) '{type}' must not include an "
                                       f"index because index was passed explicitly: {index}")
                if not idx.isdigit():
                    raise RuntimeError(f"Invalid device string: '{type}'")
                index = int(idx)
            if kind not in _TYPES:
                raise RuntimeError(
                    f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
                    f"{type}"
                )
        else:
            raise TypeError(f"device() received an invalid argument: {type!r} (expected a "
                            f"string such as 'cpu', a device or an int)")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index!r}")
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"device: attribute '{name}' is read-only")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple[Any, ...]:
        return device, (self.type, self.index)


cpu = device("cpu")


def check_device(where: Any, op: str) -> None:
    """Refuse any device but the CPU (None means the default, the CPU)."""
    if where is None or where is cpu:
        return
    d = where if isinstance(where, device) else device(where)
    if d.type != "cpu":
        raise RuntimeError(
            f"{op}: device '{d}' is not available: chainrule runs on the CPU only "
            f"(use device='cpu' or leave the device out)"
        )
