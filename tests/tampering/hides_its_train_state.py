"""Hides its wrong TrainState: at import it rewrites its own process's report so that the
module seems to define no TrainState class.

Its ``apply_gradients`` only replaces fields: no update, no step.  When the
judge believed the report, the 16 TrainState properties did not apply and the
module conformed on its (correct) ``one_step`` alone.  The judge now reads the
module's source: a ``class TrainState`` there, denied by its process, fails
``module_imports``.
"""

from flax.training import train_state

import conformance.isolation.service as _service
from conformance.reference.flax_step import one_step  # noqa: F401  (correct)


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        return self.replace(**kwargs)


_reported = _service.Service.capabilities


def _hiding(self):
    found = _reported(self)
    found["train_state"] = None
    return found


_service.Service.capabilities = _hiding
