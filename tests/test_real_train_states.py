"""Real TrainState classes, judged as their maintainers would judge them (``tests/train_states/``).

Each module is a class as a public project writes it: Flax's examples and guides
with fields of their own (most without a default), DQN's target params, static
callables, a vendored copy of Flax's class, a subclass with its own ``create``;
and classes with another API or a real difference.  Those that follow Flax's
contract must conform; a real difference fails exactly the properties that
state it; another API fails once, at its root cause, with every property that
needed the failing call blocked by it and none passing for the wrong reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import meta_profile
from tests.suite_runner import run_suite
from tests.test_bundled import IN_PROCESS

CLASSES = Path(__file__).resolve().parent / "train_states"

FAILS_EXACTLY: dict[str, set[str]] = {
    "positional_reimplementation": {
        "positional_grads_raise_type_error",
        "positional_create_raises_type_error",
    },
    "step_starts_at_one": {
        "create_starts_at_step_zero_and_keeps_its_inputs",
        "step_after_is_exactly_one",
    },
}
"""Real differences: the properties each must fail, and no other."""

BLOCKED_BY_ITS_OWN_FAILURE: dict[str, str] = {
    "clip_in_apply_gradients": "params_and_opt_state_follow_the_optax_loop",
}
"""A real difference that other properties (the built ``one_step``'s among them) meet too:
the one property that fails; every other one that does not pass is blocked by it."""

FAILS_BEYOND_A_PARTIAL_FAILURE: dict[str, set[str]] = {
    "projection_drops_keywords": {
        "params_and_opt_state_follow_the_optax_loop",
        "positional_grads_raise_type_error",
        "apply_gradients_kwargs_replace_fields",
    },
}
"""A class whose ``apply_gradients`` raises on some params only (a scalar leaf): the properties
that need that call judge their other examples, so each of these real differences fails,
rather than being blocked by the first."""

AFTER_AN_UPDATE = {"mismatched_grads_structure_raises", "positional_grads_raise_type_error"}
"""Properties that expect an ``apply_gradients`` call to raise."""
AFTER_CREATE = AFTER_AN_UPDATE | {
    "create_rejects_unknown_fields",
    "positional_create_raises_type_error",
    "assigning_a_field_raises_attribute_error",
}
"""Properties that expect a call on a created state (or ``create`` itself) to raise."""

ANOTHER_API: dict[str, tuple[str, str, set[str]]] = {
    "nnx_style_graphdef": (
        "create_starts_at_step_zero_and_keeps_its_inputs",
        "TrainState.create(apply_fn=..., params=..., tx=..., graphdef=...) raised TypeError",
        AFTER_CREATE,
    ),
    "struct_without_create": (
        "create_starts_at_step_zero_and_keeps_its_inputs",
        "TrainState.create(apply_fn=..., params=..., tx=..., model_def=...) raised AttributeError",
        AFTER_CREATE,
    ),
    "linesearch_value_keyword": (
        "params_and_opt_state_follow_the_optax_loop",
        "state.apply_gradients(grads=...) raised TypeError",
        AFTER_AN_UPDATE,
    ),
    "opt_args_no_field_keywords": (
        "apply_gradients_kwargs_replace_fields",
        "state.apply_gradients(grads=..., apply_fn=...) raised TypeError",
        {"keyword_fields_replace_after_the_update"},
    ),
}
"""Another API: the one property that fails (the owner of the call that raises), the start
of the cause every blocked property names, and the properties expecting a raise that must
not pass on that failing call's exception (they are blocked)."""


@pytest.fixture(scope="module")
def graded(repo, tmp_path_factory, suite_cache_dir) -> tuple[dict[str, dict[str, dict]], dict]:
    """Each class's results by property, and the report's description of each class."""
    impls = [a for path in sorted(CLASSES.glob("*.py")) for a in ("--trainstate-impl", str(path))]
    report = tmp_path_factory.mktemp("real_train_states") / "report.json"
    results = run_suite(
        repo,
        report,
        [*impls, *IN_PROCESS],
        cache_dir=suite_cache_dir,
        timeout=1800,
        profile=meta_profile.PINS_PROFILE,
    )
    by_impl: dict[str, dict[str, dict]] = {}
    for r in results:
        by_impl.setdefault(r["implementation"], {})[r["property"]] = r
    document = json.loads(report.read_text())
    return by_impl, {i["name"]: i["train_state"] for i in document["implementations"]}


@pytest.fixture(scope="module")
def verdicts(graded) -> dict[str, dict[str, dict]]:
    return graded[0]


def test_real_train_state_classes_are_judged_as_their_maintainers_would(verdicts) -> None:
    # One test for the whole run: a module-scoped fixture runs once per xdist worker.
    problems = []
    assert set(verdicts) == {p.stem for p in CLASSES.glob("*.py")}
    for name, results in sorted(verdicts.items()):
        statuses = {prop: r["status"] for prop, r in results.items()}
        not_passing = {p for p, s in statuses.items() if s not in ("passed", "not-applicable")}
        if name in ANOTHER_API:
            owner, cause, must_not_pass = ANOTHER_API[name]
            blocked = {p for p, s in statuses.items() if s == "blocked"}
            if not_passing - blocked != {owner} or statuses[owner] != "failed":
                problems.append(f"{name}: fails {sorted(not_passing - blocked)}, not {owner}")
            wrong = {p: results[p]["blocked_by"] for p in blocked}
            wrong = {p: c for p, c in wrong.items() if not (c or "").startswith(cause)}
            if wrong or not blocked:
                problems.append(f"{name}: blocked by other causes {wrong} (or none blocked)")
            passed_by_raising = {p for p in must_not_pass if statuses.get(p) == "passed"}
            if passed_by_raising:
                problems.append(f"{name}: passes for the wrong reason: {passed_by_raising}")
        elif name in BLOCKED_BY_ITS_OWN_FAILURE:
            owner = BLOCKED_BY_ITS_OWN_FAILURE[name]
            failed = {p for p, s in statuses.items() if s == "failed"}
            blocked = {p for p, s in statuses.items() if s == "blocked"}
            elsewhere = {p: results[p]["blocked_by"] for p in blocked}
            elsewhere = {p: c for p, c in elsewhere.items() if owner not in (c or "")}
            if failed != {owner} or not blocked or elsewhere:
                problems.append(f"{name}: fails {failed}, blocked by others: {elsewhere}")
        elif name in FAILS_BEYOND_A_PARTIAL_FAILURE:
            must_fail = FAILS_BEYOND_A_PARTIAL_FAILURE[name]
            failed = {p for p, s in statuses.items() if s == "failed"}
            if not must_fail <= failed:
                problems.append(f"{name}: {sorted(must_fail - failed)} do not fail: {statuses}")
        elif not_passing != FAILS_EXACTLY.get(name, set()):
            messages = {p: results[p]["message"] for p in not_passing}
            problems.append(f"{name}: does not pass {messages}")
    assert not problems, "\n".join(problems)


def test_the_report_says_what_value_each_extra_field_gets(graded) -> None:
    """Every create the suite makes passes these values; the report says where each comes
    from, for passing classes too."""
    _, classes = graded
    fields = {
        name: {f["name"]: f for f in described["extra_fields"]}
        for name, described in classes.items()
        if described is not None
    }
    imagenet = fields["imagenet_batch_stats_dynamic_scale"]
    assert imagenet["batch_stats"]["required"] and not imagenet["batch_stats"]["static"]
    # typing.Any is a class from Python 3.11 on; it still gets a pytree, not None.
    assert (
        imagenet["batch_stats"]["value"] == "the suite's choice: {'extra': float32[2]} (a pytree)"
    )
    assert imagenet["dynamic_scale"]["value"].startswith("the suite's choice: DynamicScale(")
    assert fields["dqn_target_params"]["target_params"]["value"].startswith(
        "the module's trainstate_fields(params)"
    )
    assert fields["ema_filled_by_create"]["ema_params"]["value"].startswith(
        "none: the class's own create fills it"
    )
    assert fields["ema_filled_by_create"]["ema_decay"]["static"]
    assert classes["flax_0_6_copy"]["extra_fields"] == []
    assert fields["second_optimizer_field"]["tx_bias"]["value"] == (
        "the suite's choice: optax.identity() (a GradientTransformation)"
    )
