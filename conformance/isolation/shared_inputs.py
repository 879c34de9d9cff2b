"""``x`` and ``y`` in memory the judge owns, mapped into the host for one call.

Whether a call modified its inputs, and whether it accepted read-only ones,
used to rest on what the host reported: it sent ``x`` and ``y`` back as they
were after the call, and a submission that rewrote that report in its own
process could mutate its inputs and still pass.  Now the judge lays each array
out in memory of its own (a sealed ``memfd`` when the call is to get read-only
inputs), hands the host the file descriptors over a Unix socket, and the host
maps them and builds its arrays over them, with the layout the property asked
for (Fortran order, a strided view: the strides and offset are the judge's).
After the call the judge reads the bytes itself.  A read-only input is sealed
against writes before the host gets it: no mapping, ``mprotect`` or
``setflags`` of the host can make it writable.  So both facts are the judge's.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import fcntl
import mmap
import os
import socket
from typing import Any

import numpy as np

from conformance.isolation.layouts import JAX_ARRAYS, lay_out
from conformance.isolation.protocol import dtype_from_wire, plain_dtype, wire_dtype

NAMES = ("x", "y")
_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


@dataclasses.dataclass
class SharedArray:
    """One array in a memfd of the judge: the descriptor and how to read the array from it."""

    fd: int
    layout: dict[str, Any]
    """``dtype``, ``shape``, ``strides``, ``offset`` and ``length`` (bytes of the memfd)."""

    def read(self) -> np.ndarray:
        """The array as it is in the judge's memory now (a copy)."""
        data = os.pread(self.fd, self.layout["length"], 0)
        return np.ndarray(
            tuple(self.layout["shape"]),
            dtype_from_wire(self.layout["dtype"]),
            buffer=bytearray(data),
            offset=self.layout["offset"],
            strides=tuple(self.layout["strides"]),
        ).copy()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _extent(array: np.ndarray) -> tuple[int, int]:
    """``(start, length)``: the bytes of memory ``array`` spans, from its lowest address."""
    if array.size == 0:
        return array.ctypes.data, 0
    low = sum(min(0, s * (n - 1)) for s, n in zip(array.strides, array.shape, strict=True))
    high = sum(max(0, s * (n - 1)) for s, n in zip(array.strides, array.shape, strict=True))
    return array.ctypes.data + low, high - low + array.itemsize


def share(array: np.ndarray, name: str, read_only: bool) -> SharedArray:
    """``array``'s memory, exactly as laid out, copied into a new memfd."""
    start, length = _extent(array)
    fd = os.memfd_create(f"trainstate-{name}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        if length:
            # Every byte the array spans, gaps of a strided view included: the array is alive.
            data = ctypes.string_at(start, length)
            written = 0
            while written < length:
                written += os.write(fd, data[written:])
        else:
            os.write(fd, b"\0")  # an empty mapping cannot be made; one byte that nothing reads
        if read_only:
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
    except BaseException:
        os.close(fd)
        raise
    layout = {
        "dtype": wire_dtype(array.dtype),
        "shape": list(array.shape),
        "strides": list(array.strides),
        "offset": array.ctypes.data - start,
        "length": max(length, 1),
    }
    return SharedArray(fd, layout)


def can_share(message: dict[str, Any]) -> bool:
    """Whether the request's inputs go through shared memory: two arrays of plain dtypes, to
    be passed as NumPy arrays (JAX arrays are the host's own, and immutable)."""
    return message.get("layout") != JAX_ARRAYS and all(
        isinstance(message.get(name), np.ndarray) and plain_dtype(message[name].dtype)
        for name in NAMES
    )


def prepare(message: dict[str, Any]) -> tuple[dict[str, Any], list[SharedArray]]:
    """The request with ``x`` and ``y`` replaced by their layouts in shared memory, and the
    shared arrays (whose descriptors go to the host, and which the judge reads afterwards)."""
    layout = str(message.get("layout") or "C-contiguous")
    read_only = bool(message.get("read_only"))
    shared: list[SharedArray] = []
    try:
        for name in NAMES:
            shared.append(share(lay_out(np.asarray(message[name]), layout), name, read_only))
    except BaseException:
        for array in shared:
            array.close()
        raise
    request = {k: v for k, v in message.items() if k not in NAMES and k != "return_inputs"}
    request["shared"] = {
        "read_only": read_only,
        "layouts": [array.layout for array in shared],
    }
    return request, shared


def send(channel: socket.socket, shared: list[SharedArray]) -> None:
    socket.send_fds(channel, [b"\0"], [array.fd for array in shared])


def attach(channel: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
    """In the host: the request with ``x`` and ``y`` as arrays over the judge's memory."""
    spec = request["shared"]
    layouts = spec["layouts"]
    _, fds, _, _ = socket.recv_fds(channel, 1, len(layouts))
    if len(fds) != len(layouts):
        raise RuntimeError(f"expected {len(layouts)} shared inputs, got {len(fds)}")
    prot = mmap.PROT_READ if spec["read_only"] else mmap.PROT_READ | mmap.PROT_WRITE
    arrays = {}
    try:
        for name, layout, fd in zip(NAMES, layouts, fds, strict=True):
            memory = mmap.mmap(fd, layout["length"], flags=mmap.MAP_SHARED, prot=prot)
            arrays[name] = np.ndarray(
                tuple(layout["shape"]),
                dtype_from_wire(layout["dtype"]),
                buffer=memory,
                offset=layout["offset"],
                strides=tuple(layout["strides"]),
            )
    finally:
        for fd in fds:
            os.close(fd)
    rest = {k: v for k, v in request.items() if k != "shared"}
    return {**rest, **arrays, "inputs_are_shared": True}
