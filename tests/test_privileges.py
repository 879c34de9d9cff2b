"""No submission runs as root: each host has an unprivileged uid of its own, or the run stops.

Where the suite runs as root, bubblewrap maps the sandbox's uid to the uid that starts
it, so a sandbox started by root is root outside: it could read every root-only file.
These tests hold the launcher to starting every submission's host as a uid of its own,
to binding in what that uid cannot reach (a Python under ``/root``), and to stopping
with one line, not running as root, where neither can be had.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conformance.isolation import uid_leftovers
from conformance.isolation.launcher import IsolationError, choose, host_uid, reachable_mounts
from tests.suite_runner import start_suite

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the suite does not run as root here")


@pytest.fixture
def open_dir():
    """A directory every user can enter (pytest's ``tmp_path`` is inside one only root can)."""
    path = Path(tempfile.mkdtemp(prefix="trainstate-open-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_a_closed_directory_is_replaced_and_only_what_is_needed_bound_back(open_dir) -> None:
    tmp_path = open_dir
    closed = tmp_path / "home"
    needed = closed / "python" / "lib"
    needed.mkdir(parents=True)
    (closed / "secrets").mkdir()
    closed.chmod(0o700)
    mounts = list(reachable_mounts([str(needed), str(needed / "inner"), str(tmp_path / "x")]))
    assert mounts == [
        "--tmpfs", str(closed),
        "--perms", "0755", "--dir", str(closed / "python"),
        "--ro-bind", str(needed), str(needed),
    ]  # fmt: skip
    closed.chmod(0o755)
    assert reachable_mounts([str(needed)]) == ()


@as_root
def test_root_refuses_to_run_submissions_as_root_in_one_line(tmp_path) -> None:
    hidden = tmp_path / "submission.py"
    hidden.write_text("")
    hidden.chmod(0o600)
    with pytest.raises(IsolationError) as refused:
        choose("none", in_process=False, memory_limit=0, hidden=(), readable_paths=[str(hidden)])
    message = str(refused.value)
    assert "\n" not in message
    # The first path it cannot read: the submission, or the Python before it (under /root).
    assert "an unprivileged user cannot read /" in message
    assert "--trainstate-trust-submissions" in message and "chmod o+rX" in message
    trusted = choose(
        "none",
        in_process=False,
        memory_limit=0,
        hidden=(),
        readable_paths=[str(hidden)],
        trust_submissions=True,
    )
    assert "AS ROOT" in trusted.description and not trusted.contained


PROBE = """
import os
from pathlib import Path


def one_step(seed, x, y, lr):
    try:
        seen = Path({secret!r}).read_text()
    except OSError as exc:
        seen = type(exc).__name__
    raise RuntimeError(f"probe: uid={{os.getuid()}} read={{seen}}")
"""


@as_root
@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_a_submission_cannot_read_a_root_only_file(sandbox, open_dir) -> None:
    """In the sandbox, and in the mode of a container grader where user namespaces are off
    (``--trainstate-sandbox none`` as root), each host is a uid of its own, not root."""
    tmp_path = open_dir
    try:
        isolation = choose(sandbox, in_process=False, memory_limit=0, hidden=(), readable_paths=[])
    except IsolationError as exc:
        pytest.skip(f"this mode cannot run here: {exc}")
    if not isolation.own_uids:
        pytest.skip(f"hosts have no uid of their own here: {isolation.description}")
    secret = Path("/tmp") / f"trainstate-secret-{secrets.token_hex(8)}"
    word = secrets.token_hex(8)
    secret.write_text(word)
    secret.chmod(stat.S_IRUSR | stat.S_IWUSR)
    try:
        (tmp_path / "probe_a.py").write_text(PROBE.format(secret=str(secret)))
        (tmp_path / "probe_b.py").write_text(PROBE.format(secret=str(secret)))
        run = start_suite(
            [
                str(Path(__file__).resolve().parent.parent / "conformance/test_step_counter.py"),
                *("-p", "no:xdist", "--hypothesis-profile=trainstate-ci-quick"),
                *("-p", "tests.meta_profile"),
                *("--trainstate-impl", str(tmp_path / "probe_a.py")),
                *("--trainstate-impl", str(tmp_path / "probe_b.py")),
                f"--trainstate-sandbox={sandbox}",
            ],
            workers=None,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
    finally:
        secret.unlink()
    assert run.report is not None, run.tail()
    messages = [str(r["message"]) for r in run.results if r["message"]]
    uids = set()
    for message in messages:
        assert word not in message
        assert "read=PermissionError" in message, message
        uids.add(message.split("uid=")[1].split()[0])
    assert "0" not in uids and len(uids) == 2, uids


@as_root
def test_hosts_of_the_suites_own_reference_stay_trusted_and_others_do_not() -> None:
    isolation = choose("auto", in_process=False, memory_limit=0, hidden=(), readable_paths=sys.path)
    assert isolation.contained and isolation.own_uids, isolation.description


@as_root
def test_accelerator_nodes_a_hosts_uid_cannot_open_are_named(tmp_path, monkeypatch) -> None:
    from conformance.isolation import launcher

    node = tmp_path / "accel0"
    os.mknod(node, 0o660 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    node.chmod(0o660)
    (tmp_path / "by-path").mkdir()
    (tmp_path / "by-path" / "pci-0").symlink_to(node)
    monkeypatch.setattr(launcher, "ACCELERATOR_DEVICES", (str(tmp_path / "accel*"), str(tmp_path)))
    assert launcher.devices_closed_to_others() == [f"{node} (crw-rw----)"]
    node.chmod(0o666)
    assert launcher.devices_closed_to_others() == []


@as_root
def test_what_a_hosts_uid_left_in_shared_directories_goes_with_it(open_dir, monkeypatch) -> None:
    """Without the sandbox a host's uid can write ``/tmp``; the suite removes what it owns
    there (at any depth under directories it owns, and in others' world-writable ones) and
    nothing else."""
    uid, other = host_uid(), host_uid()
    assert uid != other
    shared = open_dir / "tmp"
    (shared / "sticky").mkdir(parents=True)
    (shared / "sticky").chmod(0o1777)
    (shared / "closed").mkdir()
    left = [shared / "note.txt", shared / "deep" / "a" / "b.txt", shared / "sticky" / "c.txt"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left")
    (shared / "link").symlink_to("/etc/passwd")
    kept = [shared / "someone-elses.txt", shared / "closed" / "d.txt", shared / "sticky" / "e.txt"]
    for path in kept:
        path.write_text("kept")
        os.chown(path, other, other)
    for path in [*left, shared / "deep", shared / "deep" / "a", shared / "link"]:
        os.chown(path, uid, uid, follow_symlinks=False)
    (shared / "closed" / "f.txt").write_text("its, in a directory it could not write")
    os.chown(shared / "closed" / "f.txt", uid, uid)
    monkeypatch.setattr(uid_leftovers, "SHARED_ROOTS", (shared,))
    segment = _shared_memory_segment_of(uid)

    removed = uid_leftovers.remove_what_uid_left(uid)

    assert sorted(removed) == sorted(
        [str(p) for p in [shared / "note.txt", shared / "deep", shared / "sticky" / "c.txt",
                          shared / "link"]]
        + [f"sysvipc/shm/{segment}"]
    )  # fmt: skip
    rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    assert str(segment) not in [row.split()[1] for row in rows]
    assert all(p.exists() for p in kept) and Path("/etc/passwd").exists()
    assert (shared / "closed" / "f.txt").exists()


def _shared_memory_segment_of(uid: int) -> int:
    """A System V shared memory segment created by ``uid`` (util-linux's ``ipcmk``)."""
    if shutil.which("ipcmk") is None:
        pytest.skip("no ipcmk here to create a System V object as another uid")
    made = subprocess.run(
        ["ipcmk", "-M", "4096"], user=uid, group=uid, capture_output=True, text=True, check=True
    )
    return int(made.stdout.rsplit(":", 1)[1])
