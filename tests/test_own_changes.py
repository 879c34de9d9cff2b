"""The implementation's own code is held to what an import it triggers is excused.

Each module here is loaded by the host's own ``Service`` in this process, as
``--trainstate-in-process`` does, and called once with the global-state checks on.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from conformance.isolation.service import Service

RETURN = "    return np.array([1.0, 0.5], np.float32)\n"


def _load(tmp_path: Path, name: str, source: str) -> Service:
    path = tmp_path / f"{name}.py"
    path.write_text("import numpy as np\n" + textwrap.dedent(source))
    return Service.load(str(path))


@pytest.fixture
def fresh_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The name of a module no test has imported: importing it makes the call one that
    imports, as a lazy first-call ``import flax`` does."""
    name = f"fresh_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def _changes(service: Service, imports: bool = True) -> list[str]:
    """The call's state changes; ``imports``: it imports a module not imported before
    (:func:`fresh_module`), and so takes the path that excuses imports."""
    answer = service.handle(
        {
            "op": "one_step",
            "seed": 0,
            "x": np.ones((2, 1), np.float32),
            "y": np.zeros(2, np.float32),
            "lr": 0.1,
            "check_rng": True,
        }
    )
    assert answer["imported"] is imports
    return list(answer["state_changes"])


def test_seeding_at_import_is_reported_with_its_place(tmp_path: Path) -> None:
    service = _load(
        tmp_path,
        "seeds_at_import",
        """
        import os, random
        random.seed(0)
        np.random.seed(0)
        os.environ["PYTHONHASHSEED"] = "0"
        def one_step(seed, x, y, lr):
        """
        + RETURN,
    )
    changes = service.capabilities()["import_state_changes"]
    assert changes == [
        "Python's global random state (random.seed() at seeds_at_import.py:4)",
        "numpy's global random state (np.random.seed() at seeds_at_import.py:5)",
        "the environment variables (os.environ[...] = ... at seeds_at_import.py:6)",
    ]


def test_logging_and_warnings_set_up_at_import_are_not_held(tmp_path: Path) -> None:
    service = _load(
        tmp_path,
        "script_top",
        """
        import logging, warnings
        logging.basicConfig(level=logging.INFO)
        warnings.filterwarnings("ignore")
        def one_step(seed, x, y, lr):
        """
        + RETURN,
    )
    assert service.capabilities()["import_state_changes"] == []


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        # A lazy first-call set-up: the call imports a module too, and is still held.
        (
            # force=True: pytest has put handlers of its own on the root logger.
            "    import FRESH, logging\n    logging.basicConfig(level=logging.INFO, force=True)\n",
            "the root logger's level or handlers (logging.basicConfig() at first_call.py:",
        ),
        (
            "    import FRESH, logging\n    logging.getLogger().setLevel(logging.DEBUG)\n",
            "the root logger's level or handlers (root.setLevel() at first_call.py:",
        ),
        ("    import FRESH, random\n    random.seed(1)\n", "Python's global random state"),
        ("    import FRESH, sys\n    sys.stdout = sys.__stdout__\n", "sys.stdout (replaced by"),
    ],
    ids=["basicConfig", "root.setLevel", "random.seed", "stdout"],
)
def test_the_calls_own_changes_are_held_though_it_imports(
    tmp_path: Path, fresh_module: str, body: str, reported: str
) -> None:
    source = "def one_step(seed, x, y, lr):\n" + body.replace("FRESH", fresh_module) + RETURN
    service = _load(tmp_path, "first_call", source)
    assert any(change.startswith(reported) for change in _changes(service)), _changes(service)


def test_a_change_the_call_undoes_is_not_one(tmp_path: Path, fresh_module: str) -> None:
    service = _load(
        tmp_path,
        "scoped",
        f"""
        import logging, os, warnings
        def one_step(seed, x, y, lr):
            import {fresh_module}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
            os.environ["SCOPED_FLAG"] = "1"
            del os.environ["SCOPED_FLAG"]
            logging.getLogger("scoped").setLevel(logging.DEBUG)
        """
        + RETURN,
    )
    assert _changes(service) == []
