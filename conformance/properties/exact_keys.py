"""Keys that tell apart every value a call can be given, to the bit and the type.

The judge keeps answers (the oracle's, an implementation's) by what a call was given.
``repr`` is not such a key: a 0-d array prints 8 significant digits, so the seeds
``np.array(2147483646.0)`` and ``np.array(2147483647.0)`` both print
``array(2.14748365e+09)``, and one was judged by the other's answer.
"""

from __future__ import annotations

import numpy as np


def exact_key(value: object) -> bytes:
    """Bytes equal for two values only when they are of one type and hold the same bits."""
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if isinstance(value, np.ndarray | np.generic) or hasattr(type(value), "__array__"):
        array = np.asarray(value)
        return f"{kind}:{array.dtype.str}{array.shape}:".encode() + array.tobytes()
    if isinstance(value, float):
        return f"{kind}:{value.hex()}".encode()
    return f"{kind}:{value!r}".encode()
