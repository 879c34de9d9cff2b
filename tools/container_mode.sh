#!/usr/bin/env bash
# The mode of a grader's container where user namespaces are off: the suite runs as root without
# bubblewrap (--sandbox none), and every submission's host runs as an unprivileged uid of its own.
# Such a uid must be able to read the Python and the suite, which a Python under /root (pyenv, as
# on this project's machine) is not: so this copies the checkout to a directory every uid can
# enter, builds a venv there from a system Python, and runs the tests of that mode: the tampering
# attacks on what processes share, a probe for root-only files, the removal of what a host's uid
# leaves in /tmp. Elsewhere (not root, no such Python) it says why it did not run, and exits 0.
# Usage: tools/container_mode.sh [pytest arguments]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then
    echo "== container mode: not run (the suite does not run as root here) =="
    exit 0
fi
python=""
for candidate in /usr/bin/python3 /usr/local/bin/python3; do
    if [ -x "$candidate" ] && "$candidate" -c \
        'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    echo "== container mode: not run (no system Python 3.10+ with venv to build it from) =="
    exit 0
fi

umask 022
work="$(mktemp -d -t trainstate-container-XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - -cf -) | tar -xf - -C "$work"
"$python" -m venv "$work/.venv"
"$work/.venv/bin/python" -m pip install --quiet uv
"$work/.venv/bin/python" -m uv pip install --quiet --python "$work/.venv/bin/python" \
    -e "$work[dev]"
cd "$work"
if ! why="$(.venv/bin/python -c '
import sys
from conformance.isolation.launcher import IsolationError, choose
try:
    choose("none", in_process=False, memory_limit=1, hidden=(), readable_paths=sys.path)
except IsolationError as exc:
    print(exc)
    sys.exit(1)
')"; then
    echo "== container mode: not run ($why) =="
    exit 0
fi
echo "== container mode: $("$python" --version) at $python, hosts as uids of their own =="
[ $# -gt 0 ] || set -- -n 2
.venv/bin/python -m pytest -p no:cacheprovider -rs "$@" \
    tests/test_tampering.py tests/test_privileges.py -k "none or left_in_shared"
