"""A pytest plugin for the project's own tests: ``-p tests.meta_profile``.

Variants of the derandomized ``trainstate-ci`` profile, so that CI stays well
under 15 minutes:

- ``trainstate-ci-quick``, ten drawn examples per property, for the meta run of
  every bundled correct implementation through every property (nine
  implementations, most of them eager, and the longest of the project's tests)
  and for the runs that test the plugin's machinery (ids, reports, known
  deviations, corpus, the command line, tampering) rather than a verdict's
  strength.  Most of such a run's time is the compilation of every new shape
  drawn, in the judge and in each host.  Every ``@example`` pin still runs, and
  the search for false failures at full strength is the soak's job
  (``benchmarks/soak.py``: 100 examples per property and a fresh seed per run);
- ``trainstate-ci-pins``, the ``@example`` pins and two draws (every edge
  input, and a property without pins still runs), no shrinking, for the runs
  that judge many implementations on what the pins show (the real TrainState
  classes, most of the emulated precisions), so that each adds seconds, not
  minutes, and for the command line's whole runs, which test its exit code and
  the files it writes, not what a draw can find: they ask which properties
  fail, not for the smallest input that fails each;
- ``trainstate-ci-kill``, no shrinking, for the runs that only ask whether a
  mutant is killed: one failure is enough, the smallest is not needed.  It
  keeps ``trainstate-ci``'s 25 draws and every pin: the kill matrix is measured at the
  strength a gate uses.

Outside the checkout (a ``pytester`` directory, a grading run's working
directory) this module is loaded from a copy: ``-p meta_profile`` with the
copy's directory on ``PYTHONPATH`` (the ``quick_profile`` fixture).
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import Phase, settings

from conformance.properties.profiles import CI_PROFILE

QUICK_PROFILE = "trainstate-ci-quick"
QUICK_EXAMPLES = 10
QUICK_ARGS = ("-p", "meta_profile", f"--hypothesis-profile={QUICK_PROFILE}")
"""pytest arguments for the quick profile, loaded from the copy of this module that the
``quick_profile`` fixture puts on ``PYTHONPATH``."""
KILL_PROFILE = "trainstate-ci-kill"
PINS_PROFILE = "trainstate-ci-pins"
PINS_ARGS = ("-p", "meta_profile", f"--hypothesis-profile={PINS_PROFILE}")
"""pytest arguments for the pins profile, loaded as :data:`QUICK_ARGS` is."""


def pythonpath(copy_dir: Path) -> str:
    """``PYTHONPATH`` for a subprocess that loads the copy of this module in ``copy_dir``."""
    return os.pathsep.join(filter(None, [str(copy_dir), os.environ.get("PYTHONPATH")]))


# A meta run asks for verdicts, and a verdict shows a property's first failure: Hypothesis
# need not run every other pin of a failing property to report each distinct failure.
_FIRST_FAILURE = settings(settings.get_profile(CI_PROFILE), report_multiple_bugs=False)

_NO_SHRINKING = [phase for phase in _FIRST_FAILURE.phases if phase is not Phase.shrink]

settings.register_profile(QUICK_PROFILE, _FIRST_FAILURE, max_examples=QUICK_EXAMPLES)
settings.register_profile(PINS_PROFILE, _FIRST_FAILURE, max_examples=2, phases=_NO_SHRINKING)
settings.register_profile(KILL_PROFILE, _FIRST_FAILURE, phases=_NO_SHRINKING)
