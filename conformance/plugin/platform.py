"""Where a verdict is computed: the judge on the CPU, the hosts where ``--trainstate-device``
says, and the matmul precision the tolerance follows.

The judging processes compute the expected answers (the float64 oracle, the
Optax loop) and never need an accelerator: they are kept on the CPU, so that
they give the same answers on every machine and take no accelerator memory.
The hosts run on the CPU by default (``JAX_PLATFORMS=cpu``), so that the same
code gets the same verdict on a laptop, a GPU machine and CI; with
``--trainstate-device accelerator`` they run where JAX finds a device, without
preallocating its memory.  The matmul precision in force is the declared one,
or the default of the hosts' device: float32 on the CPU, TF32 on a GPU,
bfloat16 on a TPU, found by a probe process (the judge itself never touches
the device).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from typing import Any

import pytest

from conformance.plugin.scheduling import is_xdist_controller
from conformance.properties import matmul_precision

DEFAULT_PRECISIONS = {"cpu": "float32", "gpu": "tensorfloat32", "tpu": "bfloat16"}
"""The precision JAX uses for a float32 matmul by default, per platform (a GPU older than
Ampere computes in float32; its default is taken as TF32's, the wider bound)."""

_PROBE = (
    "import jax; d = jax.devices()[0]; "
    "print(d.platform + '|' + getattr(d, 'device_kind', d.platform))"
)

PLATFORM = pytest.StashKey["Platform"]()


@dataclasses.dataclass(frozen=True)
class Platform:
    """The devices of the run and the matmul precision in force."""

    device: str
    """``--trainstate-device``: ``"cpu"`` or ``"accelerator"``."""
    hosts: str
    """The hosts' platform and device kind (``"cpu"``, ``"gpu (NVIDIA A100-SXM4-40GB)"``)."""
    matmul_precision: str
    precision_source: str

    def describe(self) -> str:
        return (
            f"judge on cpu; hosts on {self.hosts}; matmul precision {self.matmul_precision} "
            f"({self.precision_source})"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "judge": "cpu",
            "hosts": self.hosts,
            "device": self.device,
            "matmul_precision": self.matmul_precision,
            "matmul_precision_source": self.precision_source,
        }


def keep_judge_on_cpu() -> None:
    """This process's JAX computes on the CPU (before its backends start; they start lazily)."""
    import jax

    jax.config.update("jax_platforms", "cpu")  # type: ignore[no-untyped-call]


def probe_accelerator() -> tuple[str, str]:
    """``(platform, device kind)`` of JAX's default device, seen from a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS" or v != "cpu"}
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=300
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise pytest.UsageError(
            f"--trainstate-device accelerator: probing JAX's device failed ({exc})"
        ) from None
    line = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0 or "|" not in line:
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise pytest.UsageError(f"--trainstate-device accelerator: JAX found no device ({why})")
    platform, kind = line.split("|", 1)
    return platform, kind


def configure(config: pytest.Config) -> Platform:
    """Keep the judge on the CPU and settle the precision in force; once per process."""
    if PLATFORM in config.stash:
        return config.stash[PLATFORM]
    device = config.getoption("trainstate_device")
    if is_xdist_controller(config) and device == "cpu" and "jax" not in sys.modules:
        # xdist's controller judges nothing: importing JAX only to pin it would start the
        # workers about a second later.  The variable pins whatever JAX this process (reading
        # a corpus) or its workers import; the hosts of this mode are put on the CPU anyway.
        os.environ["JAX_PLATFORMS"] = "cpu"
    else:
        keep_judge_on_cpu()
    declared = config.getoption("trainstate_matmul_precision")
    hosts = "cpu"
    default = DEFAULT_PRECISIONS["cpu"]
    if device == "accelerator":
        platform, kind = probe_accelerator()
        hosts = f"{platform} ({kind}), memory not preallocated"
        default = DEFAULT_PRECISIONS.get(platform, "tensorfloat32")
    if declared is None:
        precision, source = default, f"the default on {hosts.split(' ', 1)[0]}"
    else:
        precision, source = declared, "declared with --trainstate-matmul-precision"
    matmul_precision.declare(precision)
    config.stash[PLATFORM] = Platform(device, hosts, precision, source)
    return config.stash[PLATFORM]
