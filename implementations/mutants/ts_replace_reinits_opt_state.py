"""Mutant: ``replace(tx=new_tx)`` without ``opt_state`` re-initialises ``opt_state`` with
``new_tx.init(params)`` "so that the state stays consistent". Flax's ``replace`` only swaps the
field: the old optimizer's momentum is kept, and the next ``apply_gradients`` uses it.

Exposed by: ``replace(tx=...)`` on a state whose ``opt_state`` has moved past ``tx.init``, with
an optimizer that has state (momentum, Adam).
Caught by: the replace property (the copy's opt_state, not replaced, is wrong).
"""

from flax.training import train_state


class TrainState(train_state.TrainState):
    pass


_replace = TrainState.replace


def _reinitialising_replace(self, **updates):
    if "tx" in updates and "opt_state" not in updates:
        # BUG: the old optimizer's state is thrown away
        updates["opt_state"] = updates["tx"].init(updates.get("params", self.params))
    return _replace(self, **updates)


# Set after the class is made: Flax's struct dataclass sets replace on every subclass.
TrainState.replace = _reinitialising_replace
