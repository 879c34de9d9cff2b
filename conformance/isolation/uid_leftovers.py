"""What a host running as a uid of its own, outside the sandbox, left in shared places.

Without bubblewrap (a container grader where user namespaces are off) a host's file
system and IPC namespace are the machine's: its uid cannot write the suite's files,
but it can write every world-writable directory (``/tmp``, ``/dev/shm``) and create
System V shared memory, queues and semaphores, and what it leaves there outlives the
run, where a later submission could find it.  The uid is the host's alone
(:func:`conformance.isolation.launcher.host_uid`), so everything it owns in those
places is what the host left, and goes when the host goes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import stat
from pathlib import Path

SHARED_ROOTS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"))
"""The world-writable directories of a usual Linux file system; others are found inside
them (a world-writable directory of root's, such as ``/tmp/.X11-unix``)."""

MAX_DEPTH = 4
"""How deep world-writable directories that are not the host's are searched: a host can
make its own directories at any depth, but only a directory it owns holds them, and a
directory it owns goes whole."""


SYSTEM_V = {"shm": ("shmid", "shmctl"), "msg": ("msqid", "msgctl"), "sem": ("semid", "semctl")}
"""``/proc/sysvipc`` tables: the id column and the call that removes an entry."""
IPC_RMID = 0


def remove_what_uid_left(uid: int) -> list[str]:
    """Remove every file, directory and System V object that ``uid`` owns or created in the
    shared places; returns their paths (``sysvipc/shm/ID`` for the objects)."""
    removed: list[str] = []
    for root in SHARED_ROOTS:
        _sweep(root, uid, MAX_DEPTH, removed)
    removed += _remove_system_v(uid)
    return removed


def _remove_system_v(uid: int) -> list[str]:
    removed = []
    libc = None
    for table, (id_column, call) in SYSTEM_V.items():
        try:
            header, *rows = Path("/proc/sysvipc", table).read_text().splitlines()
        except OSError:
            continue
        names = header.split()
        for row in rows:
            entry = dict(zip(names, row.split(), strict=False))
            if str(uid) not in (entry.get("uid"), entry.get("cuid")):
                continue
            libc = libc or ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            # semctl's third argument is the semaphore number, the others' the command.
            arguments = (0, IPC_RMID, None) if table == "sem" else (IPC_RMID, None)
            getattr(libc, call)(int(entry[id_column]), *arguments)
            removed.append(f"sysvipc/{table}/{entry[id_column]}")
    return removed


def _sweep(directory: Path, uid: int, depth: int, removed: list[str]) -> None:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            removed.append(entry.path)
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        elif depth > 1 and stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH:
            _sweep(Path(entry.path), uid, depth - 1, removed)
