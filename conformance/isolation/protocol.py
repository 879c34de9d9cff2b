"""The wire between a judging process and the process that hosts an implementation.

Messages carry plain data only, so that nothing the hosted code sends can run
code in the judge: JSON (``None``, booleans, numbers, strings, lists) with a
few tagged forms, and NumPy arrays and scalars as raw bytes with their dtype
and shape.  Decoding never unpickles or imports anything; a dtype must be a
plain boolean, integer, unsigned, float or complex one, or ``"bfloat16"`` (the
``ml_dtypes`` type JAX's bfloat16 arrays convert to), and every size is
checked against the bytes that came.

A frame is ``MAGIC``, the header's length (4 bytes, big-endian), the JSON
header, then the array buffers back to back; the header lists their lengths.
The judge refuses a frame over :data:`MAX_FRAME_BYTES`.

Tagged forms (``"$"`` names the tag)::

    {"$": "tuple", "items": [...]}
    {"$": "dict", "keys": [str, ...], "values": [...]}
    {"$": "ndarray", "dtype": "<f4", "shape": [2, 3], "buffer": 0}
    {"$": "scalar", "dtype": "<i8", "buffer": 1}        # a NumPy scalar
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import select
import struct
import sys
import time
from typing import Any

import numpy as np

MAGIC = b"TSC1"
MAX_FRAME_BYTES = 64 << 20
"""Largest frame the judge reads at all (the setup's answer, the capabilities)."""

ANSWER_BASE_BYTES = {"one_step": 64 << 10, "train_state": 1 << 20}
"""What an answer may take beyond what the question carried: for ``one_step`` a description
of a few values and what it printed (kilobytes), for a TrainState scenario its observations."""
ANSWER_PER_REQUEST_BYTE = {"one_step": 2, "train_state": 8}
"""And per byte of the question: ``one_step`` sends back ``x`` and ``y`` as they are after the
call; a scenario describes the trees it was given, several times."""


def answer_limit(op: str, request_bytes: int) -> int:
    """The largest answer the judge reads to a request of ``op`` that took ``request_bytes``:
    one that fits its question, so that a host cannot make the judge read 60 MB for two
    floats."""
    base = ANSWER_BASE_BYTES.get(op, 64 << 10)
    return min(MAX_FRAME_BYTES, base + ANSWER_PER_REQUEST_BYTE.get(op, 1) * request_bytes)


_LENGTH = struct.Struct(">I")
_PLAIN_DTYPE = re.compile(r"^[<>|=]?[biufc][0-9]{1,2}$")


@functools.cache
def bfloat16() -> np.dtype:
    """Mixed-precision params on TPUs are bfloat16: NumPy knows it through ``ml_dtypes`` only,
    as a 2-byte void type (``"<V2"``), so it crosses the wire by name.

    Imported when a bfloat16 array first comes over the wire, not with this module:
    ``ml_dtypes`` takes 0.6 s to import (0.7.0), which xdist's controller and the host of
    a NumPy implementation would otherwise pay for nothing."""
    import ml_dtypes

    dtype: np.dtype = np.dtype(ml_dtypes.bfloat16)
    return dtype


def wire_dtype(dtype: np.dtype) -> str | None:
    """How ``dtype`` is named on the wire, or ``None`` when its arrays cannot cross it."""
    # An array can only be bfloat16 once something imported ml_dtypes (JAX does).
    if dtype.kind == "V" and "ml_dtypes" in sys.modules and dtype == bfloat16():
        return "bfloat16"
    return dtype.str if _PLAIN_DTYPE.match(dtype.str) else None


def plain_dtype(dtype: np.dtype) -> bool:
    """Whether arrays of ``dtype`` can cross the wire (boolean, integer, float, complex,
    bfloat16)."""
    return wire_dtype(dtype) is not None


def dtype_from_wire(text: Any) -> np.dtype:
    """The dtype :func:`wire_dtype` named ``text``; anything else is refused."""
    if text == "bfloat16":
        return bfloat16()
    if not isinstance(text, str) or not _PLAIN_DTYPE.match(text):
        raise ProtocolError(f"refused dtype {text!r}")
    return np.dtype(text)


class ProtocolError(Exception):
    """A frame that is not a well-formed message of this protocol."""


class PeerClosed(Exception):
    """The other end closed its side (the process exited or closed the descriptor)."""


class TimedOut(Exception):
    """No whole frame arrived before the deadline."""


def _encode(value: Any, buffers: list[bytes]) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    # NumPy scalars that subclass int or float (np.float64) keep their dtype: checked first,
    # so that mypy, which takes the two types for disjoint, does not call the branch dead.
    if not isinstance(value, np.integer) and isinstance(value, int):
        return int(value)
    if not isinstance(value, np.floating) and isinstance(value, float):
        return float(value)
    if isinstance(value, np.ndarray):
        name = wire_dtype(value.dtype)
        if name is None:
            raise TypeError(f"cannot send an array of dtype {value.dtype}")
        buffers.append(np.ascontiguousarray(value).tobytes())
        return {
            "$": "ndarray",
            "dtype": name,
            "shape": list(value.shape),
            "buffer": len(buffers) - 1,
        }
    if isinstance(value, np.generic):
        name = wire_dtype(value.dtype)
        if name is None:
            raise TypeError(f"cannot send a scalar of dtype {value.dtype}")
        buffers.append(value.tobytes())
        return {"$": "scalar", "dtype": name, "buffer": len(buffers) - 1}
    if isinstance(value, list):
        return [_encode(item, buffers) for item in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "items": [_encode(item, buffers) for item in value]}
    if isinstance(value, dict):
        keys = list(value)
        if not all(isinstance(key, str) for key in keys):
            raise TypeError("only dicts with str keys can be sent")
        return {"$": "dict", "keys": keys, "values": [_encode(value[k], buffers) for k in keys]}
    raise TypeError(f"cannot send a {type(value).__name__}")


def _buffer(node: dict[str, Any], buffers: list[bytes]) -> bytes:
    index = node.get("buffer")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(buffers):
        raise ProtocolError(f"bad buffer index {index!r}")
    return buffers[index]


def _decode(node: Any, buffers: list[bytes]) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(item, buffers) for item in node]
    if not isinstance(node, dict):
        raise ProtocolError(f"unexpected JSON value of type {type(node).__name__}")
    tag = node.get("$")
    if tag == "tuple":
        return tuple(_decode(item, buffers) for item in _list(node, "items"))
    if tag == "dict":
        keys, values = _list(node, "keys"), _list(node, "values")
        if len(keys) != len(values) or not all(isinstance(k, str) for k in keys):
            raise ProtocolError("malformed dict")
        return {k: _decode(v, buffers) for k, v in zip(keys, values, strict=True)}
    if tag == "ndarray":
        dtype = dtype_from_wire(node.get("dtype"))
        shape = _list(node, "shape")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise ProtocolError(f"bad shape {shape!r}")
        data = _buffer(node, buffers)
        if math.prod(shape) * dtype.itemsize != len(data):
            raise ProtocolError(f"{len(data)} bytes do not make a {dtype} array of shape {shape}")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if tag == "scalar":
        dtype = dtype_from_wire(node.get("dtype"))
        data = _buffer(node, buffers)
        if len(data) != dtype.itemsize:
            raise ProtocolError(f"{len(data)} bytes do not make a {dtype} scalar")
        return np.frombuffer(data, dtype=dtype)[0]
    raise ProtocolError(f"unknown tag {tag!r}")


def _list(node: dict[str, Any], key: str) -> list[Any]:
    value = node.get(key)
    if not isinstance(value, list):
        raise ProtocolError(f"{key!r} must be a list")
    return value


def pack(message: dict[str, Any]) -> bytes:
    """One frame holding ``message``."""
    buffers: list[bytes] = []
    body = _encode(message, buffers)
    header = json.dumps({"body": body, "buffers": [len(b) for b in buffers]}).encode()
    return b"".join([MAGIC, _LENGTH.pack(len(header)), header, *buffers])


def write_frame(fd: int, frame: bytes) -> None:
    """Write a frame from :func:`pack` to ``fd``, blocking until all of it is written."""
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view) :]


def send(fd: int, message: dict[str, Any]) -> None:
    write_frame(fd, pack(message))


class _Reader:
    """Reads exact byte counts from ``fd`` before a deadline (``None``: wait for ever)."""

    def __init__(self, fd: int, deadline: float | None) -> None:
        self.fd = fd
        self.deadline = deadline
        self.poller = select.poll()
        self.poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)

    def read(self, count: int) -> bytes:
        chunks: list[bytes] = []
        while count:
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0 or not self.poller.poll(left * 1000):
                    raise TimedOut()
            chunk = os.read(self.fd, min(count, 1 << 20))
            if not chunk:
                raise PeerClosed()
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)


def receive(fd: int, deadline: float | None = None, limit: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """Read one frame from ``fd`` and decode it; ``deadline`` is a ``time.monotonic()`` value."""
    reader = _Reader(fd, deadline)
    start = reader.read(len(MAGIC) + _LENGTH.size)
    if start[: len(MAGIC)] != MAGIC:
        raise ProtocolError("the frame does not start with the protocol's magic bytes")
    (header_length,) = _LENGTH.unpack(start[len(MAGIC) :])
    if header_length > limit:
        raise ProtocolError(f"a header of {header_length} bytes is over the limit of {limit}")
    try:
        header = json.loads(reader.read(header_length))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"the header is not JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict) or not isinstance(header.get("buffers"), list):
        raise ProtocolError("the header has no list of buffers")
    lengths = header["buffers"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in lengths):
        raise ProtocolError("bad buffer lengths")
    if header_length + sum(lengths) > limit:
        raise ProtocolError(f"a frame of {header_length + sum(lengths)} bytes is over the limit")
    buffers = [reader.read(n) for n in lengths]
    try:
        body = _decode(header.get("body"), buffers)
    except RecursionError:
        raise ProtocolError("the message is nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"undecodable message ({type(exc).__name__}: {exc})") from None
    if not isinstance(body, dict):
        raise ProtocolError("a message must be a dict")
    return body
