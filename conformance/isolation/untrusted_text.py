"""Text that comes from an implementation, made safe to print: data, never control.

Everything a host sends (exception messages, reprs, what a call printed, class and
field names, a crash report) ends up on the grader's terminal, in JUnit and in the
reports.  A submission that could put an escape sequence there could move the
cursor, erase a line, or print a fake verdict line over the real one; a newline
in a message could start a line of its own that reads like ``x: CONFORMS``.  So
the judge escapes every control, format and line-separator character of every
string it receives, as Python writes it in a literal (``\\x1b``, ``\\n``,
``\\u202e``), before anything else sees it; only what a call printed keeps its
line breaks, and each of its lines is shown behind a prefix that names the
implementation (:func:`printed_lines`).
"""

from __future__ import annotations

import unicodedata
from typing import Any

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (bidirectional overrides), surrogate, private-use, unassigned, and line and
paragraph separator characters."""


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def escape(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character (but those in ``keep``) written as an escape."""
    if text.isprintable() or not any(_unsafe(c) and c not in keep for c in text):
        return text
    return "".join(
        c
        if c in keep or not _unsafe(c)
        else (repr(c)[1:-1] if c.isascii() or ord(c) > 0xFFFF else f"\\u{ord(c):04x}")
        for c in text
    )


def sanitize(value: Any) -> Any:
    """``value`` (decoded from the wire) with every string in it, dict keys included, escaped;
    what a call printed (``"output"``) keeps its line breaks and tabs."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {
            escape(str(k)): escape(v, keep="\n\t") if k == "output" and isinstance(v, str)
            else sanitize(v)
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [sanitize(item) for item in value]
    if isinstance(value, tuple):
        return tuple(sanitize(item) for item in value)
    return value


def printed_lines(name: str, output: str) -> str:
    """What ``name``'s call printed, each line behind ``"name | "``, so that none of them can
    pass for a line of the suite's own."""
    return "".join(f"{name} | {line}\n" for line in escape(output, keep="\n\t").splitlines())
