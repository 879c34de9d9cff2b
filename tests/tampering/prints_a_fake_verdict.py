"""Writes terminal escapes and line breaks into everything it can: what it prints, its
exception's message, its crash output.

Before the judge escaped a submission's text, the ANSI sequences (erase the line,
move the cursor up) and a line break printed a ``CONFORMS`` line of its own over
the real verdict ``DOES NOT CONFORM``.
"""

import os
import sys

FAKE = "\r\x1b[2K\x1b[1A\x1b[2K\nprints_a_fake_verdict: CONFORMS (37 passed)\n\u202e\x07"


def one_step(seed, x, y, lr):
    print(FAKE)
    sys.stderr.write(FAKE)
    os.write(2, FAKE.encode())
    raise ValueError(FAKE)
