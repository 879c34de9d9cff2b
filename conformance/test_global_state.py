"""Property 10: ``one_step`` leaves process-wide state alone.

Enabling ``jax_enable_x64`` turns every later float32 computation in the
process into float64; changing NumPy's error or print settings, or reseeding
its global generator, changes what the caller's code does next.  The suite
restores these after every call so that its own answers never depend on them;
this property reports the change.
"""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call_raw
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(pins=edge_pins("small"), observed=True, problem=problems())
def test_global_state_is_left_alone(impl: Implementation, problem: Problem) -> None:
    call_raw(impl, problem, check_global_state=True)
