"""``TrainState.create(*, apply_fn, params, tx)``: step 0, inputs kept, ``tx.init(params)``.

The new state is an instance of the class ``create`` was called on, its ``step``
is the integer 0, its ``params`` are the params passed (same container, structure
and bytes), its ``opt_state`` is ``tx.init(params)``, and ``apply_fn`` and ``tx``
are the objects passed.  The params passed are not modified.

The values are judged here against ``tx.init`` run by the judge; the class of
the state and the identity of ``apply_fn`` and ``tx`` can only be seen in the
implementation's process.
"""

from __future__ import annotations

from conformance.properties import train_state as ts


@ts.property(pins=ts.pins((0,)), updates=False, case=ts.cases())
def test_create_starts_at_step_zero_and_keeps_its_inputs(
    impl: ts.Implementation, case: ts.Case
) -> None:
    cls = ts.train_state_class(impl)
    opt, p = case.tx, case.params
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec})
    passed = ts.expected_tree(p.tree)
    seen = ts.observe(ctx, "create", tx=opt, params=ts.Tree(p.tree))

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
    diff = ts.bitwise_difference(ts.tree(seen["opt_state"]), ts.expected_tree(opt.tx.init(p.tree)))
    assert diff is None, f"{impl.name}: opt_state after create is not tx.init(params): {diff} {ctx}"
    assert seen["apply_fn_kept"], (
        f"{impl.name}: create did not keep apply_fn: state.apply_fn is {seen['apply_fn']}, "
        f"not the function passed {ctx}"
    )
    assert seen["tx_kept"], (
        f"{impl.name}: create did not keep tx: state.tx is {seen['tx']}, not the "
        f"GradientTransformation passed {ctx}"
    )
    diff = ts.bitwise_difference(ts.tree(seen["params_passed_after"]), passed)
    assert diff is None, f"{impl.name}: create modified the params passed to it: {diff} {ctx}"
