"""Has Flax's TrainState tested in place of its own wrong one: at import it rewrites, in its
own process, the scenario runner and the recipe that builds ``one_step`` from a class.

Its own class's ``apply_gradients`` does nothing.  This stays possible: the
suite's code that observes a TrainState runs in the implementation's process,
where the implementation can change it.  So it may be judged ``CONFORMS``, and
every verdict that rests on that process is marked so (``*``,
``"evidence": "implementation-process"``): every TrainState property and every
one-step property of its built ``one_step``.  ``tests/test_tampering.py`` holds
the suite to that label, and the README's trust model names the attack.
"""

from flax.training import train_state

import conformance.properties.train_state_scenarios as _scenarios
import conformance.reference.recipe as _recipe


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        return self


_run = _scenarios.run
_build = _recipe.one_step_from_train_state


def _run_flax(cls, *args, **kwargs):
    return _run(train_state.TrainState, *args, **kwargs)


def _build_flax(cls, *args, **kwargs):
    return _build(train_state.TrainState, *args, **kwargs)


_scenarios.run = _run_flax
_recipe.one_step_from_train_state = _build_flax
