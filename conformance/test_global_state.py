"""Property 10: ``one_step`` leaves process-wide state, and its caller's array objects, alone.

Enabling ``jax_enable_x64`` turns every later float32 computation in the
process into float64, and JAX's other settings (matmul precision, rank and
dtype promotion, the PRNG) change what later JAX code computes or whether it
runs; changing NumPy's error or print settings, reseeding NumPy's or Python's
global generator, or setting an environment variable changes what the
caller's code does next.  The suite restores these after every call so that
its own answers never depend on them; this property reports the change.  It
also reports a module whose import changes such a setting
(``jax.config.update("jax_enable_x64", True)`` at its top, a habit of research
scripts), and a call that reassigns the shape, strides or dtype of the
caller's ``x`` or ``y``, or clears their writeable flag: no byte changes
(``inputs_are_not_modified`` reads the bytes), but the caller's arrays do.
"""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call_raw
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(pins=edge_pins("small"), observed=True, problem=problems())
def test_global_state_is_left_alone(impl: Implementation, problem: Problem) -> None:
    changed = impl.capabilities().import_state_changes
    assert not changed, (
        f"importing {impl.name} changed process-wide state: {'; '.join(changed)}; a module "
        "must leave its importer's settings as it found them (set them inside the call, "
        "and put them back, or with JAX's context managers such as jax.experimental.enable_x64)"
    )
    call_raw(impl, problem, check_global_state=True)
