"""``apply_gradients(*, grads)`` and ``create(*, apply_fn, params, tx)`` are keyword-only.

Flax declares both with a bare ``*``; a positional call raises ``TypeError``.
A class that accepts ``state.apply_gradients(g)`` invites code that passes
the wrong tree in the wrong slot and will break on Flax's class.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    Context,
    apply_fn_a,
    bitwise_difference,
    create,
    describe,
    raised,
    snapshot,
    train_state_class,
)
from strategies.optimizers import optimizers
from strategies.pytrees import grads, params

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_positional_grads_raise_type_error(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    g = data.draw(grads(p.spec), label="grads")
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    state = create(ctx, cls, params=p.tree, tx=opt.tx)
    before = snapshot((state.step, state.params, state.opt_state))
    try:
        result = state.apply_gradients(g.tree)
    except TypeError:
        pass
    except Exception as exc:
        raise AssertionError(
            f"{impl.name}: apply_gradients(grads) with grads positional raised {raised(exc)}, "
            f"expected TypeError: grads must be keyword-only, as in Flax's "
            f"apply_gradients(self, *, grads, **kwargs) {ctx}"
        ) from exc
    else:
        raise AssertionError(
            f"{impl.name}: apply_gradients(grads) accepted grads positionally and returned "
            f"{describe(result)}, expected TypeError: grads must be keyword-only, as in Flax's "
            f"apply_gradients(self, *, grads, **kwargs) {ctx}"
        )
    diff = bitwise_difference((state.step, state.params, state.opt_state), before)
    assert diff is None, (
        f"{impl.name}: the rejected positional apply_gradients call changed the state: {diff} {ctx}"
    )


@suite_settings()
@given(data=st.data())
def test_positional_create_raises_type_error(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    try:
        result = cls.create(apply_fn_a, p.tree, opt.tx)
    except TypeError:
        return
    except Exception as exc:
        raise AssertionError(
            f"{impl.name}: TrainState.create(apply_fn, params, tx) with positional arguments "
            f"raised {raised(exc)}, expected TypeError: Flax's create(cls, *, apply_fn, params, "
            f"tx, **kwargs) is keyword-only {ctx}"
        ) from exc
    raise AssertionError(
        f"{impl.name}: TrainState.create(apply_fn, params, tx) accepted positional arguments "
        f"and returned {describe(result)}, expected TypeError: Flax's create(cls, *, apply_fn, "
        f"params, tx, **kwargs) is keyword-only {ctx}"
    )
