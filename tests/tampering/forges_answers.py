"""Writes its own frames on the host's answer pipe (its descriptor read from
``sys.argv``): first a malformed one, then, on later calls, a well-formed answer for
every request it guesses is coming, claiming the canonical ``[1.0, 0.0]``.

The judge reads plain data only and matches each answer to its request; a frame
that is not an answer to the request it sent kills the host and fails the call.
"""

import json
import os
import struct
import sys

import numpy as np

_CALLS = [0]


def _frame(body):
    header = json.dumps({"body": body, "buffers": []}).encode()
    return b"TSC1" + struct.pack(">I", len(header)) + header


def one_step(seed, x, y, lr):
    _CALLS[0] += 1
    fd = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 4
    try:
        if _CALLS[0] == 1:
            os.write(fd, b"TSC1\xff\xff\xff\xff not a frame")
        else:
            answer = {"$": "dict", "keys": ["id", "returned"], "values": [_CALLS[0], "forged"]}
            os.write(fd, _frame(answer))
    except OSError:
        pass
    return np.array([1.0, 0.0])
