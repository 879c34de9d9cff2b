"""A pytest plugin for the project's own tests: ``-p tests.meta_profile``.

Registers ``trainstate-ci-meta``: the derandomized ``trainstate-ci`` profile with
fewer drawn examples, for the meta run of every bundled correct implementation
through every property.  That run is the most expensive of the project's tests
(nine implementations, most of them eager), and CI must stay well under 15
minutes; every ``@example`` pin still runs, and the search for false failures
at full strength is the soak's job (``benchmarks/soak.py``, 100 examples per
property and a fresh seed per run).
"""

from __future__ import annotations

from hypothesis import settings

from conformance.profiles import CI_PROFILE

PROFILE = "trainstate-ci-meta"
EXAMPLES = 30

settings.register_profile(PROFILE, settings.get_profile(CI_PROFILE), max_examples=EXAMPLES)
