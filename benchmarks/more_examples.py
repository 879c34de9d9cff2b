"""A pytest plugin for ``speed.py``: the ``dev`` profile with more examples per property.

Loaded with ``-p more_examples`` (``benchmarks/`` on ``PYTHONPATH``); registers
``dev-more``, which is ``dev`` with ``MORE_EXAMPLES`` (an environment variable)
examples per property.  The speed benchmark runs the suite at both counts to
tell the cost of each further example from the cost of a run.
"""

from __future__ import annotations

import os

from hypothesis import settings

from conformance.properties.profiles import LOCAL_PROFILE

PROFILE = "dev-more"

settings.register_profile(
    PROFILE,
    settings.get_profile(LOCAL_PROFILE),
    max_examples=int(os.environ.get("MORE_EXAMPLES", "300")),
)
