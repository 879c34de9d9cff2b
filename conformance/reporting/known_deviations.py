"""Known deviations, the array-api-tests way: files of test ids that are expected to fail.

An implementation's repository keeps a plain-text file and passes it with
``--xfails-file PATH`` (the tests are marked xfail) or ``--skips-file PATH``
(they are not run).  One pattern per line, ``#`` starts a comment::

    # our port keeps a float64 step counter on purpose
    test_output_contract.py::test_output_is_a_finite_float_pair[my_port]
    test_metamorphic.py                     # a whole module
    test_step_after_is_exactly_one          # one property, every implementation

A pattern matches a test when it equals its id (from the ``test_*.py`` file on),
the id without its ``[...]`` part, or the test's name with or without it, or
when it is a prefix of the id.  A pattern that matches nothing is reported
with a warning, so that a stale entry does not hide for ever.
``--known-failures-as-skips`` turns the xfails into skips: under Hypothesis an
xfail is slow (shrinking an expected failure) and can be flaky (the failing
input may not be drawn), which is why array-api-tests' users asked for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_PARAMS = re.compile(r"\[.*\]$")

REASON_PREFIX = "known deviation ("
"""How the reason of a known deviation begins: ``known deviation (file:line: pattern)``."""


def reason(pattern: Pattern) -> str:
    """The skip or xfail reason of a test that ``pattern`` matched."""
    return f"{REASON_PREFIX}{pattern.where()}: {pattern.text})"


def is_known_deviation(reason_text: str) -> bool:
    """Whether a skip reason is one :func:`reason` wrote."""
    return REASON_PREFIX in reason_text


class KnownDeviationsError(Exception):
    """A deviations file that cannot be read; the message is one line."""


class UnmatchedDeviationWarning(UserWarning):
    """A pattern in a deviations file matches no collected test."""


@dataclass
class Pattern:
    text: str
    source: str
    line: int
    matched: bool = field(default=False)

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def read_patterns(option: str, path: str) -> list[Pattern]:
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise KnownDeviationsError(
            f"{option} {path}: cannot read it ({type(exc).__name__}: {exc.strerror or exc})"
            if isinstance(exc, OSError)
            else f"{option} {path}: cannot read it ({type(exc).__name__})"
        ) from None
    patterns = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if text:
            patterns.append(Pattern(text, path, number))
    return patterns


def normalized_id(nodeid: str) -> str:
    """The id from the ``test_*.py`` file on, whatever the rootdir or ``--pyargs`` made of it."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


def matches(pattern: str, nodeid: str) -> bool:
    full = normalized_id(nodeid)
    name = full.partition("::")[2]
    candidates = {full, _PARAMS.sub("", full), name, _PARAMS.sub("", name)}
    return pattern in candidates or full.startswith(pattern)
