"""The wire between judge and host answers only the question asked, in a size that fits it."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from conformance.isolation import protocol
from conformance.isolation.trees import pack_tree, params_namedtuple, unpack_tree


def _through_a_pipe(message: dict, limit: int) -> dict:
    read, write = os.pipe()

    def writer() -> None:
        try:
            protocol.send(write, message)
        except OSError:
            pass  # the reader refused the frame and closed its end
        finally:
            os.close(write)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        return protocol.receive(read, limit=limit)
    finally:
        os.close(read)
        thread.join()


def test_an_answer_to_one_step_is_limited_to_kilobytes() -> None:
    question = protocol.pack({"op": "one_step", "seed": 0, "lr": 0.1})
    limit = protocol.answer_limit("one_step", len(question))
    assert limit < 100_000
    two_floats = {"returned": {"values": np.zeros(2)}, "id": "a"}
    assert _through_a_pipe(two_floats, limit)["id"] == "a"
    with pytest.raises(protocol.ProtocolError, match="over the limit"):
        _through_a_pipe({"returned": {"values": np.zeros(1 << 17)}, "id": "a"}, limit)


def test_an_answer_to_a_scenario_may_describe_the_trees_it_was_given() -> None:
    trees = {"op": "train_state", "inputs": {"params": np.zeros(1 << 16)}}
    limit = protocol.answer_limit("train_state", len(protocol.pack(trees)))
    assert limit > 4 * (1 << 19)
    assert limit < protocol.MAX_FRAME_BYTES


def test_bfloat16_arrays_cross_by_name_and_other_void_types_do_not() -> None:
    """TPU mixed precision keeps params in bfloat16, which NumPy sees as ``<V2`` (ml_dtypes)."""
    values = np.asarray([1.5, -2.25, 3e-3], protocol.bfloat16())
    got = _through_a_pipe({"a": values, "s": values[0]}, protocol.MAX_FRAME_BYTES)
    assert got["a"].dtype == protocol.bfloat16() and got["a"].tobytes() == values.tobytes()
    assert got["s"].dtype == protocol.bfloat16() and got["s"].tobytes() == values[0].tobytes()
    with pytest.raises(TypeError, match="cannot send"):
        protocol.pack({"a": np.zeros(2, "V2")})
    with pytest.raises(protocol.ProtocolError, match="refused dtype"):
        protocol.dtype_from_wire("<V2")


def test_namedtuple_params_cross_as_the_shared_class_and_bad_fields_are_refused() -> None:
    params = params_namedtuple(("w", "b"))(np.ones(3, np.float32), np.float32(0.0))
    rebuilt = unpack_tree(pack_tree(params))
    assert type(rebuilt) is type(params) and rebuilt._fields == ("w", "b")
    assert np.array_equal(rebuilt.w, params.w)
    for fields in (["__class__"], ["_make"], ["import"], "wb", ["w", "w b"]):
        packed = {"kind": "namedtuple", "fields": fields, "children": []}
        with pytest.raises(protocol.ProtocolError):
            unpack_tree(packed)
    one_short = {"kind": "namedtuple", "fields": ["w", "b"], "children": [pack_tree(params.w)]}
    with pytest.raises(protocol.ProtocolError, match="one child per field"):
        unpack_tree(one_short)
