"""What to type when an optional dependency is missing.

chainrule is installed from a checkout, so ``pip install 'chainrule[viz]'`` (which asks PyPI) is
not a command that works: a hint names the packages themselves, and the extra from a checkout.
"""

from __future__ import annotations


def install_hint(extra: str, *packages: str) -> str:
    """``pip install PACKAGES``, or the ``extra`` from a chainrule checkout (or ``make demo``)."""
    return (
        f"pip install {' '.join(packages)} (or, in a chainrule checkout, "
        f"pip install -e '.[{extra}]', or make demo)"
    )
