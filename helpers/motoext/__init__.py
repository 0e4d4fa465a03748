"""The moto extension: patches that make moto behave like AWS, one module per service.

This layer knows nothing of the lab's trace, diagrams or widgets; the runtime above registers
itself through the hooks each module exposes (`awslambda.set_executor`, `core.set_clock`, ...).
"""
from __future__ import annotations

from . import awslambda, core, dynamodb, events, kinesis, lambda_esm, sns, sqs, stepfunctions
from .patching import MOTO_VERSION, LabSetupError, Patch, verify

ALL_PATCHES: list[Patch] = [*core.PATCHES, *awslambda.PATCHES, *stepfunctions.PATCHES,
                            *sns.PATCHES, *events.PATCHES, *lambda_esm.PATCHES, *sqs.PATCHES,
                            *dynamodb.PATCHES, *kinesis.PATCHES]

_installed = False


def install() -> None:
    """Check every target's signature, then apply all patches (once per process)."""
    global _installed
    if _installed:
        return
    verify(ALL_PATCHES)
    for patch in ALL_PATCHES:
        patch.apply()
    core.spread_utcnow()
    core.register_call_hooks()
    _installed = True


__all__ = ["ALL_PATCHES", "MOTO_VERSION", "LabSetupError", "install", "verify"]
