"""Whole TrainState cases: what a TrainState property sends to ``create`` and ``apply_gradients``.

A :class:`TrainStateCase` is one drawn value: an optimizer, params, the
gradient trees of ``k`` ``apply_gradients`` calls and, for the properties that
need them, another tree of the params' structure or gradients of a broken
structure.  Drawn through ``@given`` as one argument, a case can be pinned
with ``@example`` (:func:`train_state_pins`), saved in the regression
corpus and rebuilt bit for bit by a repro snippet, like a one-step
:class:`~conformance.strategies.problems.Problem`.

:class:`ExtraValues` are the values a property gives the extra dataclass
fields of a class it has not seen yet: drawn before the class is known, one
pool per kind of default, and handed out field by field so that each value
differs from the field's default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax.core import FrozenDict, freeze
from hypothesis import strategies as st

from conformance.strategies.arguments import instance
from conformance.strategies.cached import choice
from conformance.strategies.mismatched_grads import (
    MismatchCase,
    mismatched_grads,
    mismatched_sequence,
    renamed_key,
)
from conformance.strategies.optax_catalogue import CATALOGUE, OptimizerCase
from conformance.strategies.optimizers import optimizers
from conformance.strategies.printing import ShownByRepr, array_code, tree_code, value_code
from conformance.strategies.pytrees import (
    GRAD_BOUND,
    PARAM_BOUND,
    GradSequence,
    TreeCase,
    grad_sequences,
    leaf_arrays,
    params,
    trees,
)
from conformance.strategies.tree_specs import SEQUENCE_SPECS, SPEC_POOL, TreeSpec, spec_of

MAX_UPDATES = 5
"""The most ``apply_gradients`` calls a case makes."""
LOW_PRECISION_KINDS: tuple[str, ...] = ("float16", "bfloat16", "mixed")
"""How a case's params are made low-precision for mixed-precision training: every leaf
float16 (GPUs), every leaf bfloat16 (TPUs), or every other leaf float16 beside float32."""
GRADS_DTYPES: tuple[str, ...] = ("float32", "low precision")
"""The gradients' dtypes beside low-precision params: float32, or every leaf in the params'
low precision (float16, or bfloat16 beside bfloat16 params)."""
APPLY_FN_KINDS: tuple[str, ...] = ("a", "none")
"""The ``apply_fn`` a state is created with: a function, or ``None`` (Flax keeps any)."""


@dataclass(frozen=True)
class TrainStateCase(ShownByRepr):
    """``tx``, ``params`` and the gradients of ``k`` calls, with what some properties add.

    ``other`` is another tree of the params' structure (new params for
    ``replace``, values that must not change the treedef); ``mismatch`` is a
    gradient tree whose structure differs from the params'.
    """

    tx: OptimizerCase
    params: TreeCase
    grads: GradSequence
    other: TreeCase | None = None
    mismatch: MismatchCase | None = None
    pin: str = ""
    """The edge the case was pinned for, empty for a drawn case."""

    @property
    def k(self) -> int:
        return self.grads.k

    @classmethod
    def of(
        cls,
        *,
        tx: str,
        params: TreeCase,
        grads: Sequence[Any] = (),
        other: TreeCase | None = None,
        mismatch: MismatchCase | None = None,
        pin: str = "",
    ) -> TrainStateCase:
        """The case as it prints: ``tx`` the Optax expression, ``grads`` the gradient
        trees of the calls (of the params' structure)."""
        sequence = GradSequence(params.spec, tuple(grads))
        return cls(OptimizerCase.of(tx), params, sequence, other, mismatch, pin)

    def __repr__(self) -> str:
        parts = [f"pin={self.pin!r}"] if self.pin else []
        parts += [f"tx={self.tx.code!r}", f"params={self.params!r}"]
        if self.k:
            parts.append(f"grads={tree_code(list(self.grads.trees))}")
        if self.other is not None:
            parts.append(f"other={self.other!r}")
        if self.mismatch is not None:
            parts.append(f"mismatch={self.mismatch!r}")
        return "TrainStateCase.of(" + ", ".join(parts) + ")"

    def inconsistency(self) -> str | None:
        """Why the suite could not have drawn this case (a corpus record, say), or ``None``."""
        entry = CATALOGUE.get(self.tx.name)
        if entry is None:
            return f"no optimizer {self.tx.name!r} in the catalogue"
        chosen = dict(self.tx.hyperparams)
        if set(chosen) != set(entry.pools) or any(
            chosen[key] not in pool for key, pool in entry.pools.items()
        ):
            return f"{self.tx} has hyper-parameters outside the catalogue's pools"
        if self.k > MAX_UPDATES:
            return f"k={self.k} is more than {MAX_UPDATES} apply_gradients calls"
        checks = [(self.params.tree, PARAM_BOUND, "params")]
        checks += [(g, GRAD_BOUND, f"grads {i}") for i, g in enumerate(self.grads.trees, 1)]
        if self.other is not None:
            checks.append((self.other.tree, PARAM_BOUND, "other"))
        for tree, bound, what in checks:
            why = _tree_problem(tree, self.params.spec, bound)
            if why is not None:
                return f"its {what} {why}"
        if self.mismatch is not None and self.mismatch.spec != self.params.spec:
            return "its mismatched grads were made for another params structure"
        return None


def _tree_problem(tree: Any, spec: TreeSpec, bound: float) -> str | None:
    try:
        found = spec_of(tree)
    except (TypeError, ValueError, AttributeError) as exc:
        return f"is not a tree of float32 arrays ({exc})"
    if (found.items, found.frozen, found.container) != (spec.items, spec.frozen, spec.container):
        return f"has the structure {found}, not {spec}"
    for leaf in _leaves(tree):
        array = np.asarray(leaf)
        if array.dtype != np.float32:
            return f"has a {array.dtype} leaf, not float32"
        if not np.all(np.isfinite(array)) or np.any(np.abs(array) > bound):
            return f"has values outside [-{bound}, {bound}]"
    return None


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, (dict, FrozenDict)):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def train_state_cases(
    *,
    tx: st.SearchStrategy[OptimizerCase] | None = None,
    specs: st.SearchStrategy[TreeSpec] | None = None,
    k: st.SearchStrategy[int] | None = None,
    other: bool = False,
    mismatch: bool = False,
) -> st.SearchStrategy[TrainStateCase]:
    """A :class:`TrainStateCase`.

    ``tx``: the optimizers (default :func:`~conformance.strategies.optimizers.optimizers`);
    ``specs``: the params structures (default :func:`~conformance.strategies.pytrees.param_specs`);
    ``k``: how many ``apply_gradients`` calls get gradients (default none);
    ``other`` / ``mismatch``: also draw another tree of the params' structure,
    or gradients of a mismatched one.
    """
    if tx is not None:
        instance("tx", tx, st.SearchStrategy)
    if k is not None:
        instance("k", k, st.SearchStrategy)
    instance("other", other, bool)
    instance("mismatch", mismatch, bool)
    return _train_state_cases(tx, specs, k, other, mismatch)


@functools.cache
@st.composite
def _train_state_cases(
    draw: st.DrawFn,
    tx: st.SearchStrategy[OptimizerCase] | None,
    specs: st.SearchStrategy[TreeSpec] | None,
    k: st.SearchStrategy[int] | None,
    other: bool,
    mismatch: bool,
) -> TrainStateCase:
    opt = draw(tx if tx is not None else optimizers(), label="tx")
    p = draw(params(specs=specs), label="params")
    count = draw(k, label="k") if k is not None else 0
    seq = draw(grad_sequences(p.spec, count), label="grads")
    return TrainStateCase(
        opt,
        p,
        seq,
        other=draw(trees(p.spec), label="other params") if other else None,
        mismatch=draw(mismatched_grads(p.spec), label="mismatched grads") if mismatch else None,
    )


# --------------------------------------------------------------------------- pins


LINEN_DENSE_SPEC = TreeSpec((("kernel", (2, 3)), ("bias", (3,))), origin="nn.Dense(3) on D=2")
"""The params structure of Linen's ``nn.Dense(3)`` on ``D = 2``, key order included.  Written
out because the pins are built when the properties are imported, in every process that
collects them, and a Linen init there costs 0.4 s; a test checks it against the init's."""


def _filled(spec: TreeSpec, scale: float, offset: float = 0.0) -> Any:
    """A tree of ``spec`` with fixed, distinct values of magnitude up to ``scale``."""
    leaves = [
        _filled_leaf(shape, scale, offset, i) for i, (_, shape) in enumerate(spec.leaf_paths())
    ]
    return spec.build(leaves)


@functools.cache
def _filled_leaf(shape: tuple[int, ...], scale: float, offset: float, i: int) -> Any:
    # Cached: the pins of all the properties share these (immutable) JAX arrays.
    values = (np.arange(int(np.prod(shape)), dtype=np.float64) % 5 - 2.0 + offset + 0.25 * i) / 2
    return jax.device_put(np.clip(values * scale, -scale, scale).reshape(shape).astype(np.float32))


def _case(
    pin: str,
    tx: OptimizerCase,
    spec: TreeSpec,
    k: int,
    *,
    scale: float = 1.0,
    other: bool,
    mismatch: MismatchCase | None,
    values: Any = None,
    grads: Callable[[int], Any] | None = None,
) -> TrainStateCase:
    p = TreeCase(spec, _filled(spec, scale) if values is None else values, "pinned")
    seq = GradSequence(
        spec,
        tuple(
            _filled(spec, min(scale, GRAD_BOUND), offset=i + 1) if grads is None else grads(i + 1)
            for i in range(k)
        ),
    )
    return TrainStateCase(
        tx,
        p,
        seq,
        other=TreeCase(spec, _filled(spec, scale, offset=0.5), "pinned") if other else None,
        mismatch=mismatch,
        pin=pin,
    )


EMBEDDING_SPEC = TreeSpec.of({"embedding": (256, 256), "bias": (3,)})
"""Params with one large leaf: 65536 entries, as an embedding table is.  Optimizers for such
tables (LazyAdam, sparse updates) skip the rows whose gradient is zero; Flax's TrainState
applies Optax to every row, and AdamW's weight decay moves every one."""


MANY_LEAVES_SPEC = TreeSpec.of({f"block_{b}": {f"w{i}": (3,) for i in range(5)} for b in range(13)})
"""Params of 65 leaves in 13 blocks: one past 64, where code that fuses a large tree's update
into one flat vector (``ravel_pytree``) for speed leaves Flax's per-leaf ``opt_state``."""


@functools.cache
def _row_sparse_grads(call: int) -> Any:
    """Call ``call``'s gradients of :data:`EMBEDDING_SPEC`: nonzero only in the rows ``r`` with
    ``r % 3 == call % 3``, as a batch that looks up a third of the table gives them; so every
    row has calls with and calls without a gradient."""
    table = np.zeros((256, 256), np.float32)
    rows = np.arange(256) % 3 == call % 3
    table[rows] = _filled_leaf((int(rows.sum()), 256), 1.0, float(call), 0)
    return {"embedding": jax.device_put(table), "bias": _filled_leaf((3,), 1.0, float(call), 1)}


def _pinned_mismatch(spec: TreeSpec, edge: int) -> MismatchCase:
    """The mismatched grads of the ``edge``-th pin, in turn: an extra key; the first root key
    renamed in its sorted place (the leaves flatten in the params' order, so a class that
    relabels grads leaf by leaf applies them); renamed to sort last (another leaf order).
    Params that are a tuple or a list get the other sequence type, with the same elements."""
    if spec.container != "dict":
        return mismatched_sequence(
            spec, _filled(spec, 1.0, offset=1.0), "tuple/list swapped", np.zeros(3, np.float32)
        )
    grads = dict(_filled(spec.with_frozen(False), 1.0, offset=1.0))
    first = sorted(grads)[0]
    if edge % 3 == 1:
        return renamed_key(spec, grads, (), first, f"{first}_renamed")
    if edge % 3 == 2:
        return renamed_key(spec, grads, (), first, "zz_renamed")
    grads["zz_extra"] = jnp.zeros((3,), jnp.float32)
    tree = freeze(grads) if spec.frozen else grads
    return MismatchCase(spec, "extra key", "'zz_extra' at the root", tree)


def train_state_pins(
    ks: Sequence[int] = (1, MAX_UPDATES),
    *,
    other: bool = False,
    mismatch: bool = False,
    optimizers: Sequence[OptimizerCase] = (),
    sequences: bool = False,
    large: bool = False,
    **other_arguments: object,
) -> list[dict[str, object]]:
    """The ``@example`` arguments that pin every TrainState edge as ``case``, with ``k``
    calls from ``ks`` and ``other_arguments`` beside each (for a property that draws more).

    A scalar leaf; the same nesting as a ``FrozenDict`` and as a ``dict``;
    schedule-free SGD, whose ``init`` copies the params into its state;
    Linen's ``nn.Dense`` params (with a zero bias); leaves at the params bound.  ``ks``
    gives the update counts (one and five by default; ``(0,)`` for a
    property that makes no update); ``optimizers``, more edges of a property's own, each
    on the nested dict.  ``mismatch``: each pin's mismatched grads have an extra key or a
    renamed one, by turns (:func:`_pinned_mismatch`).  ``sequences``: also
    params that are a tuple and a list (:data:`SEQUENCE_SPECS`).  ``large``:
    also an embedding table (:data:`EMBEDDING_SPEC`) with row-sparse grads, and a tree of
    65 leaves (:data:`MANY_LEAVES_SPEC`).
    """
    sgd = OptimizerCase("sgd", (("learning_rate", 0.1),))
    adam = OptimizerCase(
        "adam", (("learning_rate", 0.01), ("b1", 0.9), ("b2", 0.999), ("eps", 1e-8))
    )
    schedule_free = OptimizerCase("schedule_free_sgd", (("learning_rate", 0.1), ("b1", 0.9)))
    nested = SPEC_POOL[3]
    edges: list[tuple[str, OptimizerCase, TreeSpec, dict[str, Any]]] = [
        ("a scalar leaf", sgd, SPEC_POOL[0], {}),
        ("nested dict", adam, nested, {}),
        ("the same nesting as a FrozenDict", adam, nested.with_frozen(True), {}),
        ("schedule-free SGD: opt_state copies the params", schedule_free, nested, {}),
        (
            "Linen's nn.Dense params, zero bias",
            adam,
            LINEN_DENSE_SPEC,
            {
                "values": {
                    "kernel": _filled_leaf((2, 3), 1.0, 0.0, 0),
                    "bias": jnp.zeros(3, jnp.float32),
                }
            },
        ),
        ("leaves at the params bound", sgd, SPEC_POOL[6], {"scale": PARAM_BOUND}),
        *((f"{opt.code} on a nested dict", opt, nested, {}) for opt in optimizers),
        *(
            (f"params a {spec.container} of leaves of different shapes", adam, spec, {})
            for spec in (SEQUENCE_SPECS if sequences else ())
        ),
        *(
            [
                (
                    "a 256 x 256 embedding table, rows without gradient",
                    OptimizerCase("adamw", (("learning_rate", 0.1), ("weight_decay", 0.1))),
                    EMBEDDING_SPEC,
                    {"grads": _row_sparse_grads},
                ),
                ("65 leaves in 13 blocks", adam, MANY_LEAVES_SPEC, {}),
            ]
            if large
            else []
        ),
    ]
    return [
        {
            "case": _case(
                f"{pin}, k={k}",
                tx,
                spec,
                k,
                other=other,
                mismatch=_pinned_mismatch(spec, edge) if mismatch else None,
                **kw,
            ),
            **other_arguments,
        }
        for k in ks
        for edge, (pin, tx, spec, kw) in enumerate(edges)
        # 65 leaves show a fused update at the first call; five would cost 325 eager updates.
        if spec is not MANY_LEAVES_SPEC or k == ks[0]
    ]


# --------------------------------------------------------------------------- extra fields

EXTRA_KINDS: tuple[str, ...] = ("bool", "int", "float", "str", "array")
"""The kinds of default an extra field can have (``ExtraField`` of
:mod:`conformance.isolation.implementations`)."""

_POOL_SIZE = 4


@dataclass(frozen=True)
class ExtraValues(ShownByRepr):
    """Candidate values for extra dataclass fields, ``_POOL_SIZE`` of each kind, distinct."""

    ints: tuple[int, ...]
    floats: tuple[float, ...]
    strs: tuple[str, ...]
    arrays: tuple[np.ndarray, ...] = field(compare=False)

    def for_fields(self, extra_fields: Sequence[Any]) -> dict[str, Any]:
        """A value for each field, differing from its default and, where the pool
        allows, from the values of the other fields of its kind."""
        pools: dict[str, list[Any]] = {
            "int": list(self.ints),
            "float": list(self.floats),
            "str": list(self.strs),
        }
        out: dict[str, Any] = {}
        arrays = iter(self.arrays * (1 + len(extra_fields)))
        for f in extra_fields:
            if f.default_kind == "bool":
                out[f.name] = not f.default
            elif f.default_kind in pools:
                pool = pools[f.default_kind]
                value = next((v for v in pool if v != f.default), pool[0])
                if len(pool) > 1:
                    pool.remove(value)
                out[f.name] = value
            else:
                out[f.name] = jax.device_put(next(arrays))
        return out

    def __repr__(self) -> str:
        return (
            f"ExtraValues(ints={self.ints!r}, floats={self.floats!r}, strs={self.strs!r}, "
            f"arrays={tree_code(self.arrays)})"
        )

    def inconsistency(self) -> str | None:
        if not all(isinstance(v, int) and 1 <= v <= 1000 for v in self.ints):
            return "an int outside 1..1000"
        if not all(isinstance(v, float) and abs(v) <= 100 for v in self.floats):
            return "a float outside [-100, 100]"
        if not all(isinstance(v, str) and 1 <= len(v) <= 4 for v in self.strs):
            return "a str that is not 1 to 4 characters"
        if not all(np.asarray(a).shape == (2,) for a in self.arrays):
            return "an array not of shape (2,)"
        return None


EDGE_EXTRA_VALUES = ExtraValues(
    ints=(1, 2, 1000, 7),
    floats=(1.5, -100.0, 0.25, 100.0),
    strs=("a", "xyz", "abcx", "b"),
    arrays=(np.array([4.0, -4.0], np.float32), np.array([0.5, 0.0], np.float32)),
)
"""The pinned extra-field values: the bounds of each pool."""


def _distinct(elements: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(elements, min_size=_POOL_SIZE, max_size=_POOL_SIZE, unique=True).map(tuple)


@functools.cache
def extra_values() -> st.SearchStrategy[ExtraValues]:
    """:class:`ExtraValues`: ints in 1..1000, float32 floats in [-100, 100], short strs,
    float32 arrays of shape ``(2,)`` within the params bound."""
    return st.builds(
        ExtraValues,
        ints=_distinct(st.integers(1, 1000)),
        floats=_distinct(st.floats(-100, 100, width=32)),
        strs=_distinct(st.text("abcxyz", min_size=1, max_size=4)),
        arrays=st.tuples(leaf_arrays((2,), PARAM_BOUND), leaf_arrays((2,), PARAM_BOUND)),
    )


# --------------------------------------------------------------------------- nn.Dense(1)

DENSE_N_POOL = (1, 2, 4, 8)
DENSE_D_POOL = (1, 2, 3)
DENSE_SEEDS = (0, 3)
"""The Linen seeds of the ``nn.Dense(1)`` problems, inclusive."""


@dataclass(frozen=True)
class DenseProblem(ShownByRepr):
    """``nn.Dense(1)`` on ``x`` (``N x D``), MSE against ``y``, seed, ``lr`` as a fraction of
    the loss's descent threshold."""

    x: np.ndarray = field(compare=False)
    y: np.ndarray = field(compare=False)
    seed: int
    fraction: float

    def __repr__(self) -> str:
        return (
            f"DenseProblem(x={array_code(self.x)}, y={array_code(self.y)}, "
            f"seed={value_code(self.seed)}, fraction={self.fraction!r})"
        )

    def inconsistency(self) -> str | None:
        n, d = self.x.shape if self.x.ndim == 2 else (0, 0)
        if n not in DENSE_N_POOL or d not in DENSE_D_POOL or self.y.shape != (n,):
            return f"x {self.x.shape} and y {self.y.shape} are not N x D and N from the pools"
        if self.x.dtype != np.float32 or self.y.dtype != np.float32:
            return "x and y must be float32"
        if not (np.all(np.abs(self.x) <= 2) and np.all(np.abs(self.y) <= 2)):
            return "x and y lie in [-2, 2]"
        if not DENSE_SEEDS[0] <= self.seed <= DENSE_SEEDS[1]:
            return f"seed {self.seed} is not in {DENSE_SEEDS}"
        if not 0.01 <= self.fraction <= 1.0:
            return f"fraction {self.fraction} is not in [0.01, 1]"
        return None


@functools.cache
@st.composite
def dense_problems(draw: st.DrawFn) -> DenseProblem:
    """A :class:`DenseProblem`: small data in ``[-2, 2]``, ``lr`` at most the descent threshold."""
    n = draw(choice(DENSE_N_POOL), label="N")
    d = draw(choice(DENSE_D_POOL), label="D")
    x = draw(_dense_values((n, d)), label="x")
    y = draw(_dense_values((n,)), label="y")
    seed = draw(_DENSE_SEED_DRAWS, label="seed")
    return DenseProblem(x, y, seed, draw(_DENSE_LR_DRAWS, label="lr"))


_DENSE_SEED_DRAWS = st.integers(*DENSE_SEEDS)
_DENSE_LR_DRAWS = st.floats(0.01, 1.0)


@functools.cache
def _dense_values(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    from hypothesis.extra import numpy as hnp

    return hnp.arrays(np.float32, shape, elements=st.floats(-2, 2, width=32, allow_subnormal=False))


EDGE_DENSE_PROBLEMS: list[dict[str, object]] = [
    {"problem": DenseProblem(x, y, seed, fraction)}
    for x, y, seed, fraction in (
        (np.array([[1.5]], np.float32), np.array([-2.0], np.float32), 0, 1.0),
        (np.eye(3, dtype=np.float32), np.array([1.0, -1.0, 0.5], np.float32), 3, 0.5),
        (
            np.linspace(-2, 2, 24, dtype=np.float32).reshape(8, 3),
            np.full(8, 2.0, np.float32),
            1,
            0.01,
        ),
    )
]
"""``@example`` arguments: a single row and feature at the threshold itself, square ``x``,
the largest ``N`` and ``D`` with the smallest step."""
