"""Submissions the project's tests grade: a correct one that is cheap to host, and wrong ones
built on it.

``CORRECT`` is the bundled closed-form NumPy implementation.  Its host compiles only Linen's
initialisation, once per ``D``; a module that re-exports the reference would compile the
whole jitted step for every new shape drawn, in every host, which was about a quarter of the
time of the tests that grade submissions through the command line.
"""

from __future__ import annotations

from pathlib import Path

CORRECT = (
    Path(__file__).resolve().parent.parent / "implementations/correct/numpy_float64.py"
).read_text()


def built_on_correct(body: str) -> str:
    """A submission whose ``one_step`` is ``body``, which may call the correct one as ``_correct``
    (and use ``np``)."""
    return f"{CORRECT}\n\n_correct = one_step\n\n\n{body}"


WRONG_STEP = built_on_correct(
    "def one_step(seed, x, y, lr):\n    return np.array([2.0, _correct(seed, x, y, lr)[1]])\n"
)
"""Right loss, but ``step_after`` is 2."""
