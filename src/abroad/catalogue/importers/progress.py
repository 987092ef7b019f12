"""A tqdm progress bar on stderr for the commands, off when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm import tqdm

from abroad.catalogue.importers.tables import Progress, no_progress

T = TypeVar("T")


def terminal_progress(*, quiet: bool = False) -> Progress:
    """A tqdm bar on stderr, or no bar when ``quiet`` or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return no_progress

    def bar(iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
        return tqdm(iterable, total=total, desc=desc, unit="row", file=sys.stderr, leave=False)

    return bar
