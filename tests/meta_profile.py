"""A pytest plugin for the project's own tests: ``-p tests.meta_profile``.

Two variants of the derandomized ``trainstate-ci`` profile, so that CI stays well
under 15 minutes:

- ``trainstate-ci-meta``, fewer drawn examples, for the meta run of every
  bundled correct implementation through every property, the most expensive of
  the project's tests (nine implementations, most of them eager).  Every
  ``@example`` pin still runs, and the search for false failures at full
  strength is the soak's job (``benchmarks/soak.py``, 100 examples per property
  and a fresh seed per run);
- ``trainstate-ci-kill``, no shrinking, for the runs that only ask whether a
  mutant is killed: one failure is enough, the smallest is not needed.
"""

from __future__ import annotations

from hypothesis import Phase, settings

from conformance.profiles import CI_PROFILE

PROFILE = "trainstate-ci-meta"
EXAMPLES = 30
KILL_PROFILE = "trainstate-ci-kill"

settings.register_profile(PROFILE, settings.get_profile(CI_PROFILE), max_examples=EXAMPLES)
settings.register_profile(
    KILL_PROFILE,
    settings.get_profile(CI_PROFILE),
    phases=[
        phase for phase in settings.get_profile(CI_PROFILE).phases if phase is not Phase.shrink
    ],
)
