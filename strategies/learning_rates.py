"""Learning rates, placed relative to the data's own descent threshold.

For the MSE loss of a linear model the Hessian is ``H = (2/N) A^T A`` with
``A = [x | 1]``, and one SGD step changes the loss by
``-lr |g|^2 + (lr^2 / 2) g^T H g``.  With ``t = 1 / lambda_max(H)``:

- ``zero``: ``lr == 0``, the step changes nothing;
- ``small``: ``0 < lr <= t``, the loss falls by at least ``lr |g|^2 / 2``;
- ``moderate``: ``t < lr < 2t``, the loss still falls, by less;
- ``large``: ``2t <= lr <= 20t``, the step overshoots and the loss grows by up
  to ``(lr * lambda_max - 1)^2 = 361`` times;
- ``diverging``: ``20t < lr <= 10^4 t``, a learning rate far too large for the
  data (``lr = 100`` on unscaled features): the loss grows up to ``10^8``
  times in one step, where code that rejects or damps a step it finds
  diverging, or clips large residuals, departs from the canonical step.
  Still finite in float32 at every data scale drawn (up to ``10^28``);
- ``absolute``: a round value a user would type (0.5, 1.0, ...), capped at
  ``20t``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.strategies.cached import choice

LR_KINDS = ("zero", "small", "moderate", "large", "diverging", "absolute")
LARGE_FACTOR = 20.0
DIVERGING_FACTOR = 1e4
ABSOLUTE_VALUES = (1e-3, 0.01, 0.1, 0.5, 0.75, 1.0, 2.0)


_FACTORS = {
    "small": st.floats(1e-3, 1.0) | st.just(1.0),
    "moderate": st.floats(1.0, 2.0, exclude_min=True, exclude_max=True),
    "large": st.floats(2.0, LARGE_FACTOR),
    "diverging": st.floats(LARGE_FACTOR, DIVERGING_FACTOR, exclude_min=True),
}


def draw_learning_rate(
    draw: st.DrawFn, threshold: float, kinds: tuple[str, ...] = LR_KINDS
) -> tuple[float, str]:
    """``(lr, kind)`` for data whose descent threshold ``1/lambda_max`` is ``threshold``."""
    kind = draw(choice(kinds), label="lr kind")
    if kind == "zero":
        return 0.0, kind
    if kind == "absolute":
        value = draw(choice(ABSOLUTE_VALUES), label="round lr")
        return min(value, LARGE_FACTOR * threshold), kind
    return draw(_FACTORS[kind], label="lr / threshold") * threshold, kind
