"""The wire between judge and host answers only the question asked, in a size that fits it."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from conformance.isolation import protocol


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
