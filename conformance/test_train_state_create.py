"""``TrainState.create(*, apply_fn, params, tx)``: step 0, inputs kept, ``tx.init(params)``.

The new state is an instance of the class ``create`` was called on, its ``step``
is the integer 0, its ``params`` are the params passed (same container, structure
and bytes), its ``opt_state`` is ``tx.init(params)``, and ``apply_fn`` and ``tx``
are the objects passed.  The params passed are not modified.  ``apply_fn`` may be
``None`` (drawn and pinned): Flax keeps whatever it is given and never calls it, and
code that applies its model elsewhere passes ``None``.  ``create`` also traces: under
``jax.eval_shape``, as ``jax.jit(create_train_state)`` and sharded initialisation call it,
it returns a state, where a create that checks its params' values in Python raises.

``params`` may also be a single array, a pytree of one leaf: Flax's ``create``
keeps it and calls ``tx.init`` on it (it guards the fp8 lookup with
``isinstance(params, jax.Array)`` since 0.12.7; older releases raise, a known
deviation of theirs), so this is drawn here (``bare``) and pinned.  Only
here: Flax's ``apply_gradients`` raises on a bare-array ``grads``
(``Array.__contains__: unsupported operand type <class 'str'>``, from the
same fp8 lookup, unguarded there), a known deviation of the reference that
the README names.

The values are judged here against ``tx.init`` run by the judge; the class of
the state and the identity of ``apply_fn`` and ``tx`` can only be seen in the
implementation's process.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.strategies.train_state_cases import APPLY_FN_KINDS

BARE_PINS = 3
"""How many of the TrainState pins are also pinned with their first leaf as bare params."""


@ts.property(
    pins=[
        *ts.pins((0,), bare=False, apply_fn="a"),
        *ts.pins((0,), bare=True, apply_fn="a")[:BARE_PINS],
        *ts.pins((0,), bare=False, apply_fn="none")[:1],
    ],
    updates=False,
    case=ts.cases(),
    bare=st.booleans(),
    apply_fn=st.sampled_from(APPLY_FN_KINDS),
)
def test_create_starts_at_step_zero_and_keeps_its_inputs(
    impl: ts.Implementation, case: ts.Case, bare: bool, apply_fn: str
) -> None:
    cls = ts.train_state_class(impl)
    opt = case.tx
    params: Any = case.params.tree
    shown = str(case.params.spec)
    if bare:
        params = jnp.asarray(jax.tree_util.tree_leaves(params)[0])
        shown = f"a bare array f32{list(params.shape)}"
    given = "None" if apply_fn == "none" else "a function"
    ctx = ts.Context(impl, {"tx": opt, "params": shown, "apply_fn": given})
    passed = ts.expected_tree(params)
    seen = ts.observe(ctx, "create", tx=opt, params=ts.Tree(params), apply_fn=apply_fn)

    assert seen["is_cls"], (
        f"{impl.name}: TrainState.create returned a {seen['type']}, expected an instance of "
        f"the class it was called on ({cls.name}) {ctx}"
    )
    ts.check_step(ctx, ts.leaf(seen["step"]), 0, "right after create")
    diff = ts.bitwise_difference(ts.tree(seen["params"]), passed)
    assert diff is None, (
        f"{impl.name}: create did not keep params as given: {diff} (Flax stores the params "
        f"object itself; the container type, structure and values must be unchanged) {ctx}"
    )
    diff = ts.bitwise_difference(ts.tree(seen["opt_state"]), ts.expected_tree(opt.tx.init(params)))
    assert diff is None, f"{impl.name}: opt_state after create is not tx.init(params): {diff} {ctx}"
    assert seen["apply_fn_kept"], (
        f"{impl.name}: create did not keep apply_fn: state.apply_fn is {seen['apply_fn']}, "
        f"not the {given} passed (Flax keeps any apply_fn, None included, and never calls it) "
        f"{ctx}"
    )
    assert seen["tx_kept"], (
        f"{impl.name}: create did not keep tx: state.tx is {seen['tx']}, not the "
        f"GradientTransformation passed {ctx}"
    )
    diff = ts.bitwise_difference(ts.tree(seen["params_passed_after"]), passed)
    assert diff is None, f"{impl.name}: create modified the params passed to it: {diff} {ctx}"
    traced = seen["traced"]
    assert "raised" not in traced, (
        f"{impl.name}: jax.eval_shape(lambda p: TrainState.create(apply_fn=..., params=p, "
        f"tx=...), params) raised {ts.exception_text(traced.get('raised') or {})}; Flax's "
        f"create traces, as jax.jit(create_train_state) and sharded initialisation (the "
        f"state's shapes from jax.eval_shape) need {ctx}"
    )
