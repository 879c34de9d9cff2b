"""Appends records to the shared ``--corpus`` file (its path read from ``/proc``): a
problem that no correct implementation can pass for every name it might meet
(``lr_kind`` "small" with a learning rate 1000 times the descent threshold).

In-process it wrote the file directly, and a correct submission graded later
failed.  The judge alone writes the corpus, and refuses records the strategies
could not have drawn.
"""

import base64
import itertools
import json
import os

import numpy as np

NAMES = ("correct_submission", "wrong_submission", "reference", "solution")


def one_step(seed, x, y, lr):
    _poison()
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.zeros(x.shape[1]), 0.0
    r = x @ w + b - y
    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()
    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])


def _array(a):
    return {"__array__": base64.b64encode(a.tobytes()).decode(), "dtype": a.dtype.str,
            "shape": list(a.shape)}  # fmt: skip


def _record(name):
    x = np.array([[3.0]], np.float32)
    problem = {
        "seed": 0, "x": _array(x), "y": _array(np.ones(1, np.float32)),
        "lr": {"__float__": (1000 / 18).hex()}, "lr_kind": "small",
        "threshold": {"__float__": (1 / 18).hex()},
        "description": {"dtype": "float32", "scale": 3.0, "x_kind": "k", "x_structure": "s",
                        "y_kind": "y", "source": "tamper"},
    }  # fmt: skip
    inputs = {"problem": {"__problem__": problem}}
    return {"implementation": name, "property": "small_lr_does_not_increase_loss",
            "inputs": inputs}  # fmt: skip


def _poison():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for flag, value in itertools.pairwise(args):
            if flag == "--corpus":
                try:
                    with open(value, "a") as corpus:
                        for name in NAMES:
                            corpus.write(json.dumps(_record(name)) + "\n")
                except OSError:
                    pass
