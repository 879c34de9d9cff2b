"""Zeroes its input ``x`` and reseeds NumPy's global generator, then rewrites its own
process's reports to hide both.

When the host sent ``x`` and ``y`` back as they were after the call, the
forged report (copies taken before the call) made ``inputs_are_not_modified``
pass.  Now ``x`` lives in the judge's memory, which the judge reads itself: the
mutation fails that property.  The hidden reseeding still passes
``global_state_is_left_alone``, which rests on the implementation's process and
is marked so.
"""

import contextlib

import numpy as np

import conformance.isolation.service as _service
from conformance.reference.flax_step import one_step as _correct


def one_step(seed, x, y, lr):
    out = _correct(seed, x, y, lr)
    if x.flags.writeable:
        x[...] = 0
    np.random.seed(0)
    return out


@contextlib.contextmanager
def _silent(check_rng=False):
    capture = _service.Capture(_service._BoundedSink())
    yield capture
    np.random.set_state(_service._RNG_BASELINE)


_service.captured = _silent
_handle = _service.Service._one_step


def _forged(self, request):
    copies = {name: np.array(request[name]) for name in ("x", "y")}
    answer = _handle(self, request)
    answer["inputs_after"] = copies
    return answer


_service.Service._one_step = _forged
