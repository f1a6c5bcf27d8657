"""Is a configured secret plausibly random? A cheap test against typed-in and placeholder values.

Outside development the service refuses secrets a person made up (issue 9, item 4:
``changeme-changeme-changeme`` was accepted as the admin token and an all-zero KEK as the
key-encryption key). A generated secret passes every rule below with a wide margin; the rules
are chosen so that no honest output of the generators in ``app.core.config`` (``TOKEN_HINT``,
``KEK_HINT``) can fail them, not to rate passwords:

1. **No repeated pattern**: the value is not a shorter unit repeated (``abcabcab…``,
   ``changeme-changeme-…``, ``00…``, a two-byte KEK pattern), i.e. it has no period of at
   most half its length, not even with a character added or changed here and there
   (``changeme-changeme-changeme!``): at most a fifth of the positions may break the
   period. Nor is it a run (``abcdef…``, ``0123…``, bytes ``00 01 02 …``): the steps
   from one symbol to the next must not repeat a pattern either. Random values almost never
   agree with themselves at one period in more than a few positions (one in 64 per position
   for ``token_urlsafe``, one in 16 for hex), let alone four in five.
2. **Enough distinct symbols**: at least 8 distinct characters (bytes, for the KEK). 32
   random bytes show ~30 distinct values, a 43-character ``token_urlsafe(32)`` ~31, even 64
   hex digits from ``openssl rand -hex 32`` all 16.
3. **Shannon estimate**: ``len × H``, where ``H`` is the entropy of the value's own symbol
   frequencies, is at least 80 bits for the admin token (``token_urlsafe(32)`` gives ~200, a
   random 24-character token ~100, ``changeme-changeme-changeme`` ~77) and 128 bits for the
   KEK's 32 bytes (random: ~150).
   The estimate over-rates structured text (``password1234567890abcdefgh`` passes), which is
   why this is a floor against placeholders, not a proof of randomness.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections import Counter
from collections.abc import Sequence

MIN_TOKEN_BITS = 80.0
MIN_KEK_BITS = 128.0
MIN_DISTINCT = 8


MAX_PATTERN_MISMATCH = 0.2
"""The share of positions that may break a period and still make it a repeated pattern."""
PATTERN_SPAN = 1024
"""Only this many leading symbols are searched for a pattern (the search is quadratic)."""


def _period(value: Sequence[object]) -> int:
    """The smallest ``p`` ≤ ``len / 2`` with ``value[i] == value[i + p]`` for all but a fifth
    (:data:`MAX_PATTERN_MISMATCH`) of the ``i``; ``len`` if none."""
    head = value[:PATTERN_SPAN]
    n = len(head)
    for p in range(1, n // 2 + 1):
        agree = sum(map(operator.eq, head, head[p:]))
        if agree >= (1 - MAX_PATTERN_MISMATCH) * (n - p):
            return p
    return len(value)


def _steps(value: Sequence[object]) -> list[int]:
    """The differences between neighbouring symbols (code points or bytes, modulo 256)."""
    codes = list(value) if isinstance(value, bytes) else [ord(str(c)) for c in value]
    modulus = 256 if isinstance(value, bytes) else 0x110000
    return [(b - a) % modulus for a, b in itertools.pairwise(codes)]


def shannon_bits(value: Sequence[object]) -> float:
    """``len(value) × H``, ``H`` the entropy of the value's own symbol frequencies (bits)."""
    n = len(value)
    if n == 0:
        return 0.0
    counts = Counter(value)
    per_symbol = -sum(c / n * math.log2(c / n) for c in counts.values())
    return n * per_symbol


def weakness(value: Sequence[object], *, min_bits: float, unit: str = "character") -> str | None:
    """Why ``value`` (a string or bytes) does not look random, or None when it does."""
    n = len(value)
    period = _period(value)
    if period <= n // 2:
        return f"it repeats a pattern of {period} {unit}(s)"
    steps = _steps(value)
    if len(steps) >= 2 and _period(steps) <= len(steps) // 2:
        return f"it is a run of {unit}s with a regular step (like abcd… or 0123…)"
    distinct = len(set(value))
    if distinct < MIN_DISTINCT:
        return f"it uses only {distinct} distinct {unit}(s)"
    bits = shannon_bits(value)
    if bits < min_bits:
        return f"its estimated entropy is {bits:.0f} bits, below {min_bits:.0f}"
    return None
