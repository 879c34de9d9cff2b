"""Verdicts on a GPU or TPU, shown on the CPU by emulation (``implementations/precision/``).

An accelerator computes a float32 matmul at its default precision: TF32 inputs on
a GPU, bfloat16 on a TPU.  The canonical step computed so is correct code there:
it must conform when that precision is declared (``--trainstate-matmul-precision``),
fail when it is not, and the wider tolerance must not let a wrong step through.
"""

from __future__ import annotations

import numpy as np

from conformance.__main__ import build_arguments
from conformance.plugin.options import MATMUL_PRECISION_CHOICES
from conformance.properties.matmul_precision import PRECISIONS
from conformance.reference.oracle import oracle_step
from conformance.reference.tolerance import MATMUL_INPUT_ROUNDOFF, dot_gamma, gamma
from tests import meta_profile
from tests.emulation import emulated
from tests.suite_runner import run_suite

ROUNDING_PROPERTIES = [
    f"conformance/test_{module}.py"
    for module in ("output_contract", "reference_agreement", "zero_learning_rate", "determinism")
]
"""The output contract and the one-step properties that compare with the exact value within
the rounding bound (the metamorphic and monotonicity ones compare with the implementation's
own results; their bounds follow the precision the same way)."""


def precision_run(
    repo,
    tmp_path_factory,
    cache_dir,
    precision: str | None,
    names: list[str],
    profile: str = meta_profile.PINS_PROFILE,
    emulated_in: dict[str, str] | None = None,
) -> dict[str, dict[str, str]]:
    """``{implementation: {property: status}}`` of a run of ``names`` (in
    ``implementations/precision``) and of ``emulated_in`` (bundled implementations,
    ``"correct/eager_recipe"``, each with its matmuls emulated at the precision given) at
    ``precision``."""
    report = tmp_path_factory.mktemp(f"precision-{precision}") / "report.json"
    declared = [] if precision is None else [f"--trainstate-matmul-precision={precision}"]
    paths = [f"implementations/precision/{n}.py" for n in names]
    wrappers = tmp_path_factory.mktemp("emulated")
    for bundled, emulated_precision in (emulated_in or {}).items():
        source = repo / "implementations" / f"{bundled}.py"
        paths.append(str(emulated(source, emulated_precision, wrappers)))
    impls = [a for path in paths for a in ("--trainstate-impl", path)]
    results = run_suite(
        repo,
        report,
        [*ROUNDING_PROPERTIES, *impls, *declared],
        cache_dir=cache_dir,
        timeout=1200,
        profile=profile,
    )
    statuses: dict[str, dict[str, str]] = {}
    for r in results:
        statuses.setdefault(r["implementation"], {})[r["property"]] = r["status"]
    return statuses


def failed(statuses: dict[str, str]) -> set[str]:
    return {p for p, s in statuses.items() if s != "passed"}


def test_float32_bound_is_unchanged_and_the_others_widen_it() -> None:
    assert dot_gamma(7) == gamma(7)
    assert dot_gamma(7, "tensorfloat32") > 2 * MATMUL_INPUT_ROUNDOFF["tensorfloat32"]
    assert dot_gamma(7, "bfloat16") > dot_gamma(7, "tensorfloat32")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=8).astype(np.float32)
    bounds = [oracle_step(1, x, y, 0.1, p).loss_after_error for p in MATMUL_INPUT_ROUNDOFF]
    assert bounds == sorted(bounds) and len(set(bounds)) == 3
    assert oracle_step(1, x, y, 0.1).loss_after_error == bounds[0]


def test_under_tensorfloat32_the_tf32_step_conforms_and_wrong_steps_fail(
    repo, tmp_path_factory, suite_cache_dir
) -> None:
    # One run for the verdicts: a fixture shared by several tests would run once per xdist
    # worker.  Drawn inputs too: the TF32 step's conformance is a claim on every input.  The
    # eager recipe and a bundled mutant, their Flax matmuls emulated in TF32, beside them.
    names = ["tf32_step", "tf32_truncated_step", "tf32_lr_halved", "tf32_mean_over_n_minus_1"]
    emulated_in = {"correct/eager_recipe": "tensorfloat32", "mutants/sum_not_mean": "tensorfloat32"}
    statuses = precision_run(
        repo,
        tmp_path_factory,
        suite_cache_dir,
        "tensorfloat32",
        names,
        meta_profile.QUICK_PROFILE,
        emulated_in,
    )
    for right in ("tf32_step", "tf32_truncated_step", "eager_recipe"):
        assert failed(statuses[right]) == set(), (right, statuses[right])
    for wrong in [*names[2:], "sum_not_mean"]:
        assert "loss_after_agrees_with_reference" in failed(statuses[wrong]), (wrong, statuses)


def test_bf16_step_conforms_when_bfloat16_is_declared(
    repo, tmp_path_factory, suite_cache_dir
) -> None:
    # Rounded to nearest, as a TPU does, and truncated, as masking emulations do.
    names = ["bf16_step", "bf16_truncated_step"]
    statuses = precision_run(repo, tmp_path_factory, suite_cache_dir, "bfloat16", names)
    for name in names:
        assert failed(statuses[name]) == set(), (name, statuses)


def test_tf32_and_bf16_steps_fail_when_nothing_is_declared_on_the_cpu(
    repo, tmp_path_factory, suite_cache_dir
) -> None:
    # The emulation is no no-op: the eager recipe with TF32 matmuls fails as the TF32 step does.
    names = ["tf32_step", "tf32_truncated_step", "bf16_step"]
    emulated_in = {"correct/eager_recipe": "tensorfloat32"}
    statuses = precision_run(
        repo, tmp_path_factory, suite_cache_dir, None, names, emulated_in=emulated_in
    )
    for name in [*names, "eager_recipe"]:
        assert "loss_after_agrees_with_reference" in failed(statuses[name]), statuses


def test_the_command_line_declares_the_device_and_the_precision(tmp_path) -> None:
    assert MATMUL_PRECISION_CHOICES == PRECISIONS
    command = build_arguments(
        ["--device", "accelerator", "--matmul-precision", "tensorfloat32", "m.py"], tmp_path
    )
    assert "--trainstate-device=accelerator" in command
    assert "--trainstate-matmul-precision=tensorfloat32" in command
    default = build_arguments(["m.py"], tmp_path)
    assert "--trainstate-device=cpu" in default
    assert not any(a.startswith("--trainstate-matmul-precision") for a in default)
