"""Data sets that need no network: generated, or read from files that installed packages ship."""

from __future__ import annotations

from importlib import resources

from chainrule._extras import install_hint

__all__ = ["names"]


def names() -> list[str]:
    """First names for character-level models (makemore's path), lowercase, sorted, unique.

    The US census 1990 lists of male and female first names that the public-domain ``names``
    package ships (5,163 names of 2 to 11 letters a-z).
    """
    try:
        package = resources.files("names")
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"chainrule.data.names needs the names package: {install_hint('data', 'names')}"
        ) from None
    words: set[str] = set()
    for file in ("dist.male.first", "dist.female.first"):
        for line in package.joinpath(file).read_text(encoding="ascii").splitlines():
            if line.strip():
                words.add(line.split()[0].lower())
    return sorted(words)
