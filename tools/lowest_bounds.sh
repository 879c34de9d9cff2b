#!/usr/bin/env bash
# The suite against the reference on the oldest dependencies pyproject.toml allows: uv resolves
# every direct dependency to its lower bound (--resolution lowest-direct) in a throw-away venv.
# Usage: tools/lowest_bounds.sh [pytest arguments]   (default: -n auto)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(mktemp -d -t trainstate-lowest-XXXXXX)"
trap 'rm -rf "$venv"' EXIT

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet uv
"$venv/bin/python" -m uv pip install --quiet --python "$venv/bin/python" \
    --resolution lowest-direct "$repo"
"$venv/bin/python" -c 'import importlib.metadata as m; print("== lowest bounds:", ", ".join(
    f"{d} {m.version(d)}" for d in ("jax", "jaxlib", "flax", "optax", "numpy", "ml_dtypes",
                                    "hypothesis", "pytest", "pytest-xdist")), "==")'
# From an empty directory, so that the installed package (not the checkout) is what runs.
[ $# -gt 0 ] || set -- -n auto
cd "$venv"
"$venv/bin/python" -m pytest -p no:cacheprovider --pyargs conformance \
    --trainstate-xfails-file "$repo/tools/lowest_bounds_deviations.txt" "$@"
