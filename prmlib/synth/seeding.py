"""Content-keyed random streams: the same text and seed always give the same draws.

The policy and the judges seed a ``random.Random`` from a hash of what they are looking at, so a
given prefix or solution gets the same continuation or verdict whichever batch or call it is in.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence


def content_rng(header: str, texts: Sequence[str]) -> random.Random:
    """A ``random.Random`` seeded by blake2b over ``header`` then each text, NUL-separated."""
    h = hashlib.blake2b(digest_size=8)
    h.update(header.encode())
    for s in texts:
        h.update(s.encode())
        h.update(b"\x00")
    return random.Random(int.from_bytes(h.digest(), "little"))
