"""``apply_gradients(grads=..., **kwargs)`` also replaces the fields named in ``kwargs``.

Flax's ``apply_gradients`` returns ``self.replace(step=..., params=...,
opt_state=..., **kwargs)``: a keyword such as ``apply_fn=`` (or a subclass's
extra field, e.g. ``batch_stats=``) is set on the new state, which is still
the updated one, and the old state keeps its own value.  The update's values
are judged here against the Optax loop; which objects the fields hold is
seen in the implementation's process.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.properties.plain_update import block_if_the_plain_update_differs


@ts.property(
    pins=ts.pins((1,), extra_values=ts.EDGE_EXTRA_VALUES),
    case=ts.cases(k=st.just(1)),
    extra_values=ts.extra_values(),
)
def test_apply_gradients_kwargs_replace_fields(
    impl: ts.Implementation, case: ts.Case, extra_values: ts.ExtraValues
) -> None:
    cls = ts.train_state_class(impl)
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    extras: dict[str, Any] = extra_values.for_fields(cls.keyword_fields)
    ctx = ts.Context(
        impl, {"tx": opt, "params": p.spec, "kwargs": ", ".join(["apply_fn", *extras])}
    )
    expected = ts.expected_loop(opt, p.tree, [g])
    p_scale, s_scale = expected.scales
    want_params, want_opt_states = expected.described
    seen = ts.observe(
        ctx,
        "update_with_fields",
        tx=opt,
        params=ts.Tree(p.tree),
        grads=ts.Tree(g),
        extra={name: ts.Tree(value) for name, value in extras.items()},
    )
    apply_fn = seen["fields"]["apply_fn"]
    assert apply_fn["identical"], (
        f"{impl.name}: apply_gradients(grads=..., apply_fn=...) did not set apply_fn on the new "
        f"state: it is {apply_fn['text']}, expected the function passed; **kwargs must replace "
        f"fields as in Flax's self.replace(..., **kwargs) {ctx}"
    )
    for name, value in extras.items():
        got = seen["fields"][name]
        assert ts.same_value(got, value), (
            f"{impl.name}: apply_gradients(grads=..., {name}=...) did not set {name} on the new "
            f"state: it is {got['text']}, expected {value!r:.60}; **kwargs must replace fields "
            f"as in Flax's self.replace(..., **kwargs) {ctx}"
        )
    # Counted from create's step: the create property owns step == 0, and the step property
    # its type.
    start = ts.counted_from(ts.leaf(seen["start"]))
    ts.check_step(
        ctx,
        ts.leaf(seen["step"]),
        start + 1,
        "after apply_gradients(grads=..., **kwargs)",
        integral=False,
    )
    for name, want, scale in (
        ("params", want_params[1], p_scale),
        ("opt_state", want_opt_states[1], s_scale),
    ):
        diff = ts.close_difference(ts.tree(seen["after"][name]), want, scale, 1)
        if diff is not None:
            block_if_the_plain_update_differs(ctx, opt, p.tree, [g], "without keyword fields")
        assert diff is None, (
            f"{impl.name}: with extra **kwargs, apply_gradients did not update {name} as "
            f"tx.update + optax.apply_updates do: {diff} {ctx}"
        )
    assert seen["tx_kept"], (
        f"{impl.name}: apply_gradients(grads=..., **kwargs) did not keep tx {ctx}"
    )
    ts.check_each(
        ctx,
        seen["old_kept"],
        lambda name: (
            f"apply_gradients(grads=..., {name}=...) changed {name} of the old state; "
            "only the returned state may carry the new value"
        ),
    )


@ts.property(
    # Each edge with one of the three keywords, so that each keyword is pinned twice.
    pins=[
        {**pin, "keyword": ts.REJECTED_KEYWORDS[i % len(ts.REJECTED_KEYWORDS)]}
        for i, pin in enumerate(ts.pins((1,), new_step=7))
    ],
    case=ts.cases(k=st.just(1)),
    keyword=st.sampled_from(ts.REJECTED_KEYWORDS),
    new_step=st.integers(1, 1000),
)
def test_keyword_fields_replace_after_the_update(
    impl: ts.Implementation, case: ts.Case, keyword: str, new_step: int
) -> None:
    """``apply_gradients(grads=g, tx=other)`` updates with the state's own ``tx`` and
    ``opt_state`` and only then sets the keywords (Flax: ``tx.update``, then
    ``self.replace(step=..., params=..., opt_state=..., **kwargs)``), so a class that
    merges the keywords first and steps with the new optimizer fails; ``params=``,
    ``opt_state=`` or ``step=`` among the keywords (``keyword``, one per example: each
    such call costs a whole update before it raises) reach ``replace`` twice, and a field
    the class does not have (``not_a_field=``) is one ``replace`` does not know: Flax's
    ``TypeError`` either way, where a class that sets any attribute it is given takes a
    typo silently."""
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "kwargs": "tx", "keyword": keyword})
    p_scale, s_scale = ts.expected_loop(opt, p.tree, [g]).scales
    seen = ts.observe(
        ctx,
        "update_then_replace",
        tx=opt,
        params=ts.Tree(p.tree),
        grads=ts.Tree(g),
        keyword=keyword,
        new_step=new_step,
    )
    # Against the class's own update without keywords: whether that one is the Optax loop's
    # is params_and_opt_state_follow_the_optax_loop's to judge, once.
    for name, scale in (("params", p_scale), ("opt_state", s_scale)):
        diff = ts.close_difference(ts.tree(seen[name]), ts.tree(seen["plain"][name]), scale, 1)
        assert diff is None, (
            f"{impl.name}: apply_gradients(grads=..., tx=other_tx) gave another {name} than "
            f"apply_gradients(grads=...) on the same state: {diff}; Flax updates with the "
            f"state's own tx first, then replaces the fields named by the keywords {ctx}"
        )
    assert seen["tx_set"], (
        f"{impl.name}: apply_gradients(grads=..., tx=other_tx) did not set tx on the new state "
        f"{ctx}"
    )
    ts.check_raised(
        ctx,
        seen["twice"],
        "TypeError",
        f"apply_gradients(grads=..., {keyword}=...)",
        "Flax's replace takes only the class's fields"
        if keyword == ts.NOT_A_FIELD
        else f"Flax's apply_gradients passes {keyword} to replace itself, so the keyword gives "
        "it twice",
    )
