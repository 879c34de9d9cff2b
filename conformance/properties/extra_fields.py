"""A TrainState class's fields beyond Flax's five, and the values its states are created with.

Runs where the class lives (the implementation's process).  Real subclasses
add fields, most of them without a default, so that their ``create`` needs a
value for each: Flax's ImageNet example (``batch_stats: Any``,
``dynamic_scale: DynamicScale``), its BatchNorm and dropout guides
(``batch_stats``, ``key: jax.Array``), DQN code (``target_params``), static
callables (``logits_fn: Callable = struct.field(pytree_node=False)``).
Every ``create`` the suite makes, in its scenarios and in the one-step recipe,
passes a value for each such field:

- the module's own, where it defines ``trainstate_fields(params) -> dict``
  (:data:`HOOK`): a value for every field it names, defaulted fields included;
- otherwise the suite's choice (:func:`choose`), from what the class declares:
  an Optax ``GradientTransformation`` (a second optimizer) gets
  ``optax.identity()``; a static field (``pytree_node=False``, Equinox's
  ``static=True``) gets a
  number for ``int``/``float``/``bool``/``str``, a PRNG key for an array type
  (what the annotation asks for, though a static value must be hashable and
  an array is not), and a stand-in function otherwise (hashable); ``Optional[...]`` gets
  ``None``; ``bool``/``int``/``float``/``str`` a number or a string; a
  callable a stand-in function; an array type a PRNG key (``uint32[2]``,
  usable both as an array and as a key), but not a Union that also admits
  containers (``optax.Params``, ``chex.ArrayTree``); a field named ``*params*`` a copy
  of ``params``, in their container whatever the annotation says (``ema_params:
  Mapping[...]`` of list params is a list), unless the name says optimizer settings
  (``opt_params``, ``hparams``); a dataclass type whose fields all have defaults its default
  instance; any other class ``None``; anything else (``Any``, a dict or
  ``FrozenDict``, a pytree) a small dict of float32 arrays.

Fields are the dataclass fields beyond Flax's five, and the keyword-only
parameters of an overridden ``create`` that have no default.  A field that an
overridden ``create`` fills itself (an EMA of the params, a count of them) gets
no value: its users never pass one, and passing one raises ``TypeError: ...
got multiple values for keyword argument`` (``got an unexpected keyword
argument`` where ``create`` has no ``**kwargs``).  One ``create`` with small params,
made when the class is loaded, finds those fields (:meth:`FieldValues.settle`).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from conformance.isolation.descriptions import CANONICAL_FIELDS, class_name

HOOK = "trainstate_fields"
"""The module-level function that gives particular values: ``trainstate_fields(params)``."""

CREATE_ARGUMENTS = ("apply_fn", "params", "tx")
_FILLED_BY_CREATE = re.compile(
    r"(got multiple values for (?:keyword )?argument|got an unexpected keyword argument) '(\w+)'"
)
"""What a ``create`` that fills a field itself raises when the field is passed as well: with
``**kwargs`` it passes the field twice; with a closed signature it has no parameter for it."""


def stand_in_function(*args: Any, **kwargs: Any) -> None:
    """The value the suite gives a static or callable field: the scenarios never call it."""


def other_stand_in_function(*args: Any, **kwargs: Any) -> None:
    """A second stand-in, for the checks that replace a field with another value."""


@dataclasses.dataclass(frozen=True)
class ExtraField:
    """A field beyond Flax's five, as the class declares it."""

    name: str
    annotation: Any
    static: bool
    required: bool
    default: Any = None


def _annotations(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:
        pass
    # One annotation that does not resolve (Flax's own train_state.py has string annotations
    # naming what only type checkers import) fails them all: resolve each on its own, in
    # its class's module, as get_type_hints would, so that a module written with
    # ``from __future__ import annotations`` still has ``epoch: int`` read as int.
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        namespace = dict(vars(module)) if module is not None else {}
        for name, annotation in inspect.get_annotations(klass).items():
            hints[name] = _resolved(annotation, namespace, dict(vars(klass)))
    return hints


def _resolved(annotation: Any, namespace: dict[str, Any], local: dict[str, Any]) -> Any:
    """A string annotation evaluated where its class was written (this is the implementation's
    own process, which runs its module's code anyway); as written when that fails."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace, local)
    except Exception:
        return annotation


def _is_static(field: dataclasses.Field[Any]) -> bool:
    metadata = field.metadata
    return metadata.get("pytree_node", True) is False or metadata.get("static", False) is True


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def extra_fields(cls: type) -> list[ExtraField]:
    """The class's fields beyond Flax's five, in declaration order."""
    hints = _annotations(cls)
    found: dict[str, ExtraField] = {}
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if f.init and f.name not in CANONICAL_FIELDS:
                default = _default(f)
                found[f.name] = ExtraField(
                    f.name,
                    hints.get(f.name, f.type),
                    _is_static(f),
                    required=default is dataclasses.MISSING,
                    default=None if default is dataclasses.MISSING else default,
                )
    try:
        parameters = inspect.signature(cls.create).parameters.values()  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        parameters = []  # type: ignore[assignment]
    create = getattr(getattr(cls, "create", None), "__func__", None)
    create_scope: tuple[dict[str, Any], dict[str, Any]] = (
        dict(getattr(create, "__globals__", {})),
        {},
    )
    for p in parameters:
        if p.kind is not p.KEYWORD_ONLY or p.default is not p.empty or p.name in CREATE_ARGUMENTS:
            continue
        if p.name in found:
            # A field with a default that the class's own create requires all the same.
            found[p.name] = dataclasses.replace(found[p.name], required=True, default=None)
        else:
            annotation = Any if p.annotation is p.empty else _resolved(p.annotation, *create_scope)
            found[p.name] = ExtraField(p.name, annotation, static=False, required=True)
    return list(found.values())


_MODULE_PATH = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Za-z_])")
_FORWARD_REF = re.compile(r"ForwardRef\('([^']*)'\)")


def annotation_text(annotation: Any) -> str:
    """``annotation`` as a class's source writes it: names without their module paths (at run
    time ``jax.Array`` is ``jaxlib._jax.Array`` and ``optax.Params`` a ``typing.Union``), a
    forward reference by its name, and a function by its name, not its address."""
    if isinstance(annotation, str):
        return annotation
    if (isinstance(annotation, type) and not typing.get_args(annotation)) or inspect.isroutine(
        annotation
    ):
        text = annotation.__qualname__
    else:
        text = str(annotation)
    return _MODULE_PATH.sub("", _FORWARD_REF.sub(r"\1", text))


def _is_optional(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith("Optional[") or "None" in annotation.split("|")
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation)


def _named(annotation: Any, *names: str) -> bool:
    text = annotation_text(annotation)
    return any(name in text for name in names)


_CONTAINERS = (
    "Mapping", "Iterable", "Sequence", "ArrayTree", "PyTree",
    "Dict[", "dict[", "List[", "list[", "Tuple[", "tuple[",
)  # fmt: skip


def _is_tree_type(annotation: Any) -> bool:
    """Whether the annotation admits containers of arrays: ``optax.Params``, ``chex.ArrayTree``
    and jaxtyping's ``PyTree[...]`` are Unions or generics that name ``Array`` among
    ``Mapping``/``Iterable`` members, and ``dict[str, jax.Array]`` (one key per RNG stream) is a
    container of arrays: each holds a tree, not one array."""
    return _named(annotation, *_CONTAINERS)


def _names_an_array(annotation: Any) -> bool:
    return _named(annotation, "Array", "ndarray", "PRNGKey")


def _is_callable_type(annotation: Any) -> bool:
    """Whether the annotation is a callable type, whatever its signature names: a
    ``Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]`` takes a function, not an array."""
    return (
        annotation is Callable
        or typing.get_origin(annotation) is Callable
        or annotation_text(annotation).startswith("Callable")
    )


def _is_array_type(annotation: Any) -> bool:
    return _names_an_array(annotation) and not _is_tree_type(annotation)


@functools.cache
def _identity() -> optax.GradientTransformation:
    """One ``optax.identity()`` for every create: each call of it makes new functions, and a
    static field's value must be the same object for two states to share a structure."""
    return optax.identity()


@functools.cache
def other_transformation() -> optax.GradientTransformation:
    """Another ``GradientTransformation`` than :func:`_identity`'s, for the checks that replace a
    field (one object, as a static value must be)."""
    return optax.scale(1.0)


def _small_tree() -> dict[str, Any]:
    return {"extra": jnp.array([1.5, -2.0], jnp.float32)}


def _default_instance(annotation: Any) -> tuple[Any, bool]:
    """``annotation()`` for a dataclass type whose fields all have defaults."""
    if not (isinstance(annotation, type) and dataclasses.is_dataclass(annotation)):
        return None, False
    if any(f.init and _default(f) is dataclasses.MISSING for f in dataclasses.fields(annotation)):
        return None, False
    try:
        return annotation(), True
    except Exception:
        return None, False


_HYPERPARAMETER_WORDS = frozenset({"opt", "optim", "optimizer", "tx", "h", "hp", "hyper"})
"""Words that make a ``*_params`` field the optimizer's settings, not a tree like the params:
``opt_params`` spread into ``tx.update(**...)``, ``hparams``, ``hyper_params``."""


def _is_params_copy(name: str) -> bool:
    """Whether a field named ``name`` holds a tree shaped like the params (``ema_params``,
    ``target_params``, ``params_ema``): its users pass a copy of them, whatever container
    the annotation names (palivla declares ``ema_params: Mapping[str, Any]`` and updates it
    with a ``tree_map`` over the params, a list among them)."""
    words = name.lower().replace("params", "_params_").split("_")
    return "params" in words and not _HYPERPARAMETER_WORDS.intersection(words)


def choose(field: ExtraField, params: Any) -> tuple[Any, str]:
    """The suite's value for ``field`` (see the module docstring), and the rule it followed."""
    annotation = field.annotation
    # 1001, not a small int: CPython shares those, and a leaf is found by identity.
    plain = {bool: True, int: 1001, float: 0.5, str: "x"}
    if _named(annotation, "GradientTransformation"):
        # A second optimizer (for biases, a critic): a real one, so that a create that calls
        # its init gets on to what the class's own API asks; the most neutral of them.
        return _identity(), "optax.identity() (a GradientTransformation)"
    if field.static:
        if annotation in plain:
            return plain[annotation], f"{plain[annotation]!r} (static {annotation.__name__})"
        if _is_array_type(annotation) and not _is_callable_type(annotation):
            # What the annotation promises, though a static value must be hashable and an
            # array is not: jax.jit of the state then fails, as it does in the class's users'.
            return (
                jax.random.PRNGKey(42),
                "jax.random.PRNGKey(42), a uint32[2] array (static, array type)",
            )
        return stand_in_function, "a stand-in function (static field)"
    if _is_optional(annotation):
        return None, "None (Optional)"
    if annotation in plain:
        return plain[annotation], f"{plain[annotation]!r} ({annotation.__name__})"
    if _is_callable_type(annotation):
        return stand_in_function, "a stand-in function (Callable)"
    if _is_array_type(annotation):
        return jax.random.PRNGKey(42), "jax.random.PRNGKey(42), a uint32[2] array (array type)"
    if _is_params_copy(field.name):
        return jax.tree_util.tree_map(jnp.array, params), f"a copy of params (named {field.name})"
    instance, made = _default_instance(annotation)
    if made:
        return instance, f"{annotation.__qualname__}() (a dataclass with defaults)"
    # typing.Any is a class from Python 3.11 on, and means any value: a pytree, below.
    if (
        annotation is not Any
        and isinstance(annotation, type)
        and not issubclass(annotation, Mapping)
    ):
        return None, f"None (an instance of {annotation.__qualname__} cannot be made)"
    if _named(annotation, "FrozenDict"):
        from flax.core import FrozenDict

        # Flax's FrozenDict.__init__ has no annotations.
        tree: Any = FrozenDict(_small_tree())  # type: ignore[no-untyped-call]
        return tree, "FrozenDict({'extra': float32[2]}) (a pytree)"
    return _small_tree(), "{'extra': float32[2]} (a pytree)"


def module_hook(module: types.ModuleType) -> Callable[[Any], Any] | None:
    """The module's :data:`HOOK`, if it defines one."""
    hook = getattr(module, HOOK, None)
    return hook if callable(hook) else None


def near_miss_hook(module: types.ModuleType) -> str | None:
    """The name of a function the module defines that looks meant as :data:`HOOK` but is not
    it (``train_state_fields``, ``trainstate_field``), when the module has no hook.

    The suite reads the hook by its exact name, so such a function is never
    called and the suite's own values are used; the report says so, rather
    than leave the author wondering why their values were not.
    """
    if module_hook(module) is not None:
        return None
    functions = [
        name
        for name, value in vars(module).items()
        if isinstance(value, types.FunctionType)
        and getattr(value, "__module__", None) == module.__name__
    ]
    squashed = HOOK.replace("_", "").lower()
    for name in functions:
        if name.replace("_", "").lower() == squashed:
            return name
    close = difflib.get_close_matches(HOOK, functions, n=1, cutoff=0.8)
    return close[0] if close else None


class FieldValues:
    """The extra keyword arguments every ``create`` of the class gets, for given params."""

    def __init__(
        self, cls: type, hook: Callable[[Any], Any] | None, near_miss: str | None = None
    ) -> None:
        self.fields = extra_fields(cls)
        self.hook = hook
        self.near_miss = near_miss
        """A function of the module named like :data:`HOOK` but not it (:func:`near_miss_hook`)."""
        self.set_by_create: dict[str, str] = {}
        """Required fields the class's own ``create`` fills (:meth:`settle`), each with what
        passing it raised: ``"got multiple values"`` or ``"got an unexpected keyword
        argument"``."""
        self.hook_names: set[str] | None = None
        """The fields the hook names, as :meth:`settle` found them; ``None`` where it did not
        run or the hook raised."""

    def _hooked(self, params: Any) -> dict[str, Any]:
        if self.hook is None:
            return {}
        supplied = self.hook(params)
        if not isinstance(supplied, Mapping):
            raise TypeError(
                f"{HOOK}(params) returned a {type(supplied).__name__}, not a dict of values"
            )
        return dict(supplied)

    def for_params(self, params: Any) -> dict[str, Any]:
        """Values for the required fields and for every field the module's hook names.

        The hook is the implementation's code: what it raises propagates, and
        a result that is not a mapping raises ``TypeError``.
        """
        given = self._hooked(params)
        for f in self.fields:
            if f.required and f.name not in given and f.name not in self.set_by_create:
                given[f.name] = choose(f, params)[0]
        return given

    def settle(self, cls: type) -> None:
        """Find the required fields ``cls.create`` fills itself, and pass them no value.

        ``create`` is called with small params and the suite's values; while it
        raises ``TypeError: ... got multiple values for keyword argument 'name'``
        (or ``got an unexpected keyword argument 'name'``) for a declared field
        the suite chose a value for, that field is left out and ``create`` is
        tried again.  Any other outcome ends the search and leaves
        the values as they are: the scenarios then meet, and report, what
        ``create`` does with them.  A field the module's hook names is never
        left out: the values are the module's choice.  It runs while the host
        loads the module, so a ``create`` that hangs here is reported as the
        import not returning (``IMPORT_TIMEOUT``).
        """
        params = {"w": jnp.zeros((3,), jnp.float32)}
        try:
            self.hook_names = set(self._hooked(params))
        except Exception:
            return
        chosen = {f.name for f in self.fields if f.required} - self.hook_names
        while True:
            try:
                cls.create(  # type: ignore[attr-defined]
                    apply_fn=stand_in_function,
                    params=params,
                    tx=optax.sgd(0.1),
                    **self.for_params(params),
                )
            except TypeError as exc:
                found = _FILLED_BY_CREATE.search(str(exc))
                if found is None or found.group(2) not in chosen - self.set_by_create.keys():
                    return
                self.set_by_create[found.group(2)] = found.group(1).split(" for ")[0]
            except Exception:
                return
            else:
                return

    def _source(self, f: ExtraField) -> str:
        """Where the value ``create`` gets for ``f`` comes from, in words."""
        if self.hook_names is not None and f.name in self.hook_names:
            return f"the module's {HOOK}(params)"
        if self.hook is not None and self.hook_names is not None:
            source = f"not named by {HOOK}(params), so "
        elif self.hook is not None:
            source = f"{HOOK}(params) where it names {f.name}, else "
        elif self.near_miss is not None:
            source = (
                f"not the module's {self.near_miss}(), which the suite does not call (the "
                f"function it calls is named {HOOK}), but "
            )
        else:
            source = ""
        if f.name in self.set_by_create:
            return source + (
                "none: the class's own create fills it (passing a value raises "
                f"'{self.set_by_create[f.name]}')"
            )
        if f.required:
            return source + f"the suite's choice: {choose(f, {'w': np.zeros(2, np.float32)})[1]}"
        return source + "its default"

    def describe(self) -> list[dict[str, Any]]:
        """Each field as data, with where the value ``create`` gets comes from."""
        described = []
        for f in self.fields:
            described.append(
                {
                    "name": f.name,
                    "annotation": annotation_text(f.annotation),
                    "static": f.static,
                    "required": f.required,
                    "default": _default_kind(f),
                    "value": self._source(f),
                }
            )
        return described


def _default_kind(field: ExtraField) -> dict[str, Any]:
    """The field's default as the judge draws other values for it: of the default's type for
    a number or a string, an array where the declaration takes one, none otherwise
    (``"other"``: a ``DynamicScale | None = None`` keeps its default, since the class may test
    it with ``if self.dynamic_scale:``, which no array answers)."""
    if field.required:
        return {"kind": "missing"}
    for kind in (bool, int, float, str):
        if type(field.default) is kind:
            return {"kind": kind.__name__, "value": field.default}
    if _takes_an_array(field):
        return {"kind": "array"}
    kind_name = f"{type(field.default).__module__}.{type(field.default).__qualname__}"
    return {"kind": "other", "type": kind_name}


def _takes_an_array(field: ExtraField) -> bool:
    """Whether the field declares that an array may be its value: ``Any`` (or no annotation),
    an array type, or ``Optional`` of one; a pytree field, for a static value must hash."""
    if field.static:
        return False
    annotation = field.annotation
    if _is_optional(annotation) and not isinstance(annotation, str):
        others = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = others[0] if len(others) == 1 else None
    if annotation is Any or annotation in ("Any", "typing.Any", "Optional[Any]"):
        return True
    return annotation is not None and _names_an_array(annotation)


def describe_class(cls: type, values: FieldValues | None = None) -> dict[str, Any]:
    """A TrainState class as data: its name, and its extra fields with their values' source
    (``values``: the ones its states are created with, settled; by default the module
    gives none and nothing is settled)."""
    values = values if values is not None else FieldValues(cls, None)
    return {
        "name": class_name(cls),
        "dataclass": dataclasses.is_dataclass(cls),
        "fields_hook": values.hook is not None,
        "fields_hook_near_miss": values.near_miss,
        "extra_fields": values.describe(),
    }
