"""Mutation testing of the suite: what does it miss in Flax's TrainState and the eager recipe?

    python tools/mutation_report.py                  # every mutant, the report on stdout
    python tools/mutation_report.py --write docs/mutation-report.md
    python tools/mutation_report.py --target train_state --list   # the mutants, not run

The bundled mutants were written by hand, against the failures someone thought
of.  This tool makes them mechanically instead, from two sources a submission
imitates: Flax's own ``flax/training/train_state.py`` (the installed one, so a
new Flax release is mutated as it is) and ``implementations/correct/eager_recipe.py``.
Each mutant changes one site of the source by one operator (:data:`OPERATORS`):
an arithmetic or comparison operator swapped, a number moved by one, a
condition negated, a keyword argument or ``**kwargs`` dropped from a call, a
statement removed, the updated state replaced by the old one, Optax's
``apply_updates`` replaced by a plain sum, two positional arguments swapped.
A ``TrainState`` mutant is a module that defines the mutated class (and its
``one_step`` is then built from it by the canonical recipe); a recipe mutant
defines the mutated ``one_step``.

All of them are judged in one suite run (``-n auto``, ``--trainstate-in-process``,
the ``trainstate-ci`` profile unless told otherwise, each stopped at its first
failure).  A mutant is *killed* when it does not conform.  The report gives
the score and every survivor with its diff, for a person to judge: equivalent
(no caller can tell it from the original) with a reason, or a gap the suite
must close with a property.  Known equivalent survivors are listed in
:data:`EQUIVALENT` with that reason, keyed by the change itself, so a new
survivor stands out (and the tool exits with 1).  Not part of CI: the run takes minutes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import difflib
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.suite_runner import start_suite  # noqa: E402


def _flax_train_state() -> Path:
    import flax.training.train_state as module

    return Path(module.__file__)


TARGETS: dict[str, Callable[[], Path]] = {
    "train_state": _flax_train_state,
    "eager_recipe": lambda: REPO / "implementations" / "correct" / "eager_recipe.py",
}

SWAPPED_OPERATORS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.Gt: ast.GtE,
}


@dataclasses.dataclass(frozen=True)
class Mutant:
    target: str
    index: int
    operator: str
    line: int
    source: str
    original: str

    @property
    def id(self) -> str:
        return f"{self.target}_{self.index:03d}"

    @property
    def key(self) -> str:
        """The change itself (``target: old => new``), which names the mutant across Flax
        releases, where its index would move."""
        lines = [line for line in self.diff().splitlines() if line[:1] in "+-"]
        old = " / ".join(line[1:].strip() for line in lines if line.startswith("-"))
        new = " / ".join(line[1:].strip() for line in lines if line.startswith("+"))
        return f"{self.target}: {old} => {new}"

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(), self.source.splitlines(), lineterm="", n=1
        )
        return "\n".join(list(lines)[2:])


def _sites(tree: ast.Module) -> Iterator[tuple[str, ast.AST, Callable[[ast.AST], object]]]:
    """Every ``(operator, node, mutate)``: ``mutate(node)`` changes the node in place, or
    returns a replacement statement."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in SWAPPED_OPERATORS:
            yield "swap operator", node, lambda n: setattr(n, "op", SWAPPED_OPERATORS[type(n.op)]())
        if isinstance(node, ast.Compare) and type(node.ops[0]) in SWAPPED_OPERATORS:
            yield (
                "swap comparison",
                node,
                lambda n: n.ops.__setitem__(0, SWAPPED_OPERATORS[type(n.ops[0])]()),
            )
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int)
            and not isinstance(node.value, bool)
        ):
            yield "number plus one", node, lambda n: setattr(n, "value", n.value + 1)
        if isinstance(node, ast.If):
            yield (
                "negate condition",
                node,
                lambda n: setattr(n, "test", ast.UnaryOp(op=ast.Not(), operand=n.test)),
            )
        if isinstance(node, ast.Call):
            for position in range(len(node.keywords)):
                yield "drop keyword argument", node, _dropper(position)
            if len(node.args) >= 2:
                yield (
                    "swap first two arguments",
                    node,
                    lambda n: n.args.__setitem__(slice(0, 2), [n.args[1], n.args[0]]),
                )
            if isinstance(node.func, ast.Attribute) and node.func.attr == "apply_updates":
                yield "add updates by hand", node, _by_hand
            if len(node.args) == 1 and not node.keywords:
                yield (
                    "unwrap call",
                    node,
                    lambda n: setattr(n, "func", ast.parse("lambda v: v", mode="eval").body),
                )
            if isinstance(node.func, ast.Attribute) and not _is_module(node.func.value):
                yield "drop method call", node, _drop_method
        if isinstance(node, ast.Attribute) and node.attr in SWAPPED_NAMES:
            yield "swap function", node, lambda n: setattr(n, "attr", SWAPPED_NAMES[n.attr])
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "replace":
                yield (
                    "return the old state",
                    node,
                    lambda n: setattr(n, "value", ast.Name(id="self", ctx=ast.Load())),
                )
        if isinstance(node, (ast.FunctionDef, ast.If)):
            # Only a statement whose removal leaves runnable code: one that rebinds a name
            # bound before (``x = jnp.asarray(x)``, ``state = state.apply_gradients(...)``).
            bound = {a.arg for a in node.args.args} if isinstance(node, ast.FunctionDef) else set()
            for position, statement in enumerate(node.body):
                targets = _assigned(statement)
                if targets and targets <= bound:
                    yield "remove statement", statement, _remover(node, position)
                bound |= targets


SWAPPED_NAMES = {"mean": "sum", "sum": "mean", "float32": "float16", "sgd": "adam"}
"""Functions a submission confuses: a sum for a mean, a lower precision, another optimizer."""


def _is_module(node: ast.expr) -> bool:
    """``jnp``, ``optax``, ``jax.random``: a module's function, not an object's method."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in ("jax", "jnp", "np", "optax", "nn", "core")


def _drop_method(node: ast.AST) -> None:
    """``obj.method(args)`` -> ``obj``: a step left out (``.reshape(-1)``, ``.init(...)``)."""
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    keep = node.func.value
    node.func = ast.Lambda(
        args=ast.arguments(
            posonlyargs=[], args=[], vararg=ast.arg("_"), kwonlyargs=[], kw_defaults=[],
            kwarg=ast.arg("__"), defaults=[],
        ),
        body=keep,
    )  # fmt: skip


def _assigned(statement: ast.stmt) -> set[str]:
    if not isinstance(statement, ast.Assign):
        return set()
    return {t.id for t in statement.targets if isinstance(t, ast.Name)}


def _dropper(position: int) -> Callable[[ast.AST], object]:
    def drop(node: ast.AST) -> None:
        assert isinstance(node, ast.Call)
        del node.keywords[position]

    return drop


def _remover(parent: ast.AST, position: int) -> Callable[[ast.AST], object]:
    def remove(node: ast.AST) -> None:
        body = parent.body  # type: ignore[attr-defined]
        body[position] = ast.Pass()

    return remove


def _by_hand(node: ast.AST) -> None:
    """``optax.apply_updates(p, u)`` -> ``jax.tree_util.tree_map(lambda a, b: a + b, p, u)``:
    the sum promotes a low-precision param to the update's dtype; Optax keeps the param's."""
    assert isinstance(node, ast.Call)
    adder = ast.parse("lambda a, b: a + b", mode="eval").body
    node.func = ast.parse("jax.tree_util.tree_map", mode="eval").body
    node.args = [adder, *node.args]


def mutants(target: str) -> list[Mutant]:
    path = TARGETS[target]()
    original = path.read_text()
    tree = ast.parse(original)
    count = sum(1 for _ in _sites(tree))
    found = []
    for index in range(count):
        mutated = copy.deepcopy(tree)
        operator, node, mutate = list(_sites(mutated))[index]
        line = getattr(node, "lineno", 0)
        mutate(node)
        ast.fix_missing_locations(mutated)
        source = ast.unparse(mutated)
        if source == ast.unparse(tree):
            continue
        found.append(Mutant(target, index, operator, line, source, ast.unparse(tree)))
    return found


_FLOAT32_CAST = (
    "Equivalent: JAX converts a float64 array to float32 anyway unless x64 mode is on, and "
    "with x64 on the step is computed in float64, which the contract also accepts."
)
_FIELD_DEFAULT = (
    "Equivalent: ``flax.struct.field``'s ``pytree_node`` defaults to True, so the field is "
    "the same pytree node."
)
EQUIVALENT: dict[str, str] = {
    "train_state: params: core.FrozenDict[str, Any] = struct.field(pytree_node=True) => "
    "params: core.FrozenDict[str, Any] = struct.field()": _FIELD_DEFAULT,
    "train_state: opt_state: optax.OptState = struct.field(pytree_node=True) => "
    "opt_state: optax.OptState = struct.field()": _FIELD_DEFAULT,
    "train_state: opt_state: optax.OptState = struct.field(pytree_node=True) => "
    "opt_state: optax.OptState = (lambda *_, **__: struct)(pytree_node=True)": (
        "Equivalent within the contract: ``opt_state`` gets a default (a module object), so "
        "only the dataclass constructor called without ``opt_state`` changes (it no longer "
        "raises). The contract builds states with ``create``, which always passes "
        "``opt_state``; it remains a pytree node and every path through ``create`` and "
        "``apply_gradients`` is unchanged."
    ),
    "eager_recipe: x = jnp.asarray(x, dtype=jnp.float32) => pass": _FLOAT32_CAST,
    "eager_recipe: y = jnp.asarray(y, dtype=jnp.float32) => pass": _FLOAT32_CAST,
    "eager_recipe: x = jnp.asarray(x, dtype=jnp.float32) => x = jnp.asarray(x)": _FLOAT32_CAST,
    "eager_recipe: y = jnp.asarray(y, dtype=jnp.float32) => y = jnp.asarray(y)": _FLOAT32_CAST,
    "eager_recipe: return np.array([float(state.step), float(loss_after)]) => "
    "return np.array([(lambda v: v)(state.step), float(loss_after)])": (
        "Equivalent: ``state.step`` is the Python int 1 after one update, and NumPy builds "
        "the same float64 array from ``[1, loss]`` as from ``[1.0, loss]``."
    ),
    "eager_recipe: return np.array([float(state.step), float(loss_after)]) => "
    "return np.array([float(state.step), (lambda v: v)(loss_after)])": (
        "Equivalent: NumPy converts the 0-d JAX array beside a Python float into the same "
        "float64 array, with the same value."
    ),
}
"""Survivors judged equivalent, by :attr:`Mutant.key`, with the reason."""


def judge(all_mutants: list[Mutant], profile: str, workers: str) -> dict[str, str]:
    """Every mutant's verdict, in one suite run."""
    with tempfile.TemporaryDirectory(prefix="trainstate-mutants-") as scratch:
        paths = []
        for mutant in all_mutants:
            path = Path(scratch) / f"{mutant.id}.py"
            path.write_text(mutant.source)
            paths.append(path)
        args = [
            *("-p", "no:randomly", f"--hypothesis-profile={profile}"),
            *("--trainstate-in-process", "--trainstate-maxfail", "1"),
        ]
        for path in paths:
            args += ["--trainstate-impl", str(path)]
        run = start_suite(args, workers=workers)
    if run.report is None:
        raise SystemExit(f"the suite gave no report (exit {run.returncode}):\n{run.tail(3000)}")
    return {impl["name"]: impl["verdict"] for impl in run.report["implementations"]}


def report(all_mutants: list[Mutant], verdicts: dict[str, str], profile: str) -> str:
    killed = [m for m in all_mutants if verdicts.get(m.id) == "DOES NOT CONFORM"]
    survivors = [m for m in all_mutants if m not in killed]
    from conformance.reporting.verdicts import library_version

    equivalent = [m for m in survivors if m.key in EQUIVALENT]
    lines = [
        "# Mutation report",
        "",
        "Mechanical mutants of Flax's `flax/training/train_state.py` (flax "
        f"{library_version('flax')}) and of `implementations/correct/eager_recipe.py`, judged "
        f"by the whole suite: `python tools/mutation_report.py` (profile `{profile}`, each "
        "mutant stopped at its first failure). See the tool's docstring for the operators.",
        "",
        f"**{len(all_mutants)} mutants, {len(killed)} killed, {len(survivors)} survived, of "
        f"which {len(equivalent)} are judged equivalent below**: mutation score "
        f"{len(killed) / max(1, len(all_mutants)):.1%}, and "
        f"{len(killed) / max(1, len(all_mutants) - len(equivalent)):.1%} of the mutants that "
        "are not equivalent.",
        "",
        "| target | mutants | killed |",
        "| --- | --- | --- |",
    ]
    for target in TARGETS:
        mine = [m for m in all_mutants if m.target == target]
        lines.append(f"| {target} | {len(mine)} | {sum(m in killed for m in mine)} |")
    lines += ["", "## Survivors", ""]
    if not survivors:
        lines.append("None.")
    for mutant in survivors:
        reason = EQUIVALENT.get(mutant.key, "NOT JUDGED: a new survivor")
        lines += [
            f"### {mutant.id}: {mutant.operator}, line {mutant.line} "
            f"({verdicts.get(mutant.id, 'no verdict')})",
            "",
            f"{reason}",
            "",
            "```diff",
            mutant.diff(),
            "```",
            "",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=list(TARGETS), action="append")
    parser.add_argument("--profile", default="trainstate-ci")
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--list", action="store_true", help="list the mutants, do not run them")
    parser.add_argument("--write", type=Path, help="write the report here")
    args = parser.parse_args()
    all_mutants = [m for target in args.target or TARGETS for m in mutants(target)]
    if args.list:
        for mutant in all_mutants:
            print(f"{mutant.id}: {mutant.operator}, line {mutant.line}\n{mutant.diff()}\n")
        return 0
    verdicts = judge(all_mutants, args.profile, args.workers)
    text = report(all_mutants, verdicts, args.profile)
    if args.write:
        args.write.write_text(text)
    print(text)
    unjudged = [
        m
        for m in all_mutants
        if verdicts.get(m.id) != "DOES NOT CONFORM" and m.key not in EQUIVALENT
    ]
    return 1 if unjudged else 0


if __name__ == "__main__":
    raise SystemExit(main())
