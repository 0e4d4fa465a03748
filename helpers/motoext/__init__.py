"""The moto extension: patches that make moto behave like AWS, one module per service.

This layer knows nothing of the lab's trace, diagrams or widgets; the runtime above registers
itself through the hooks each module exposes (`awslambda.set_executor`, `core.set_clock`, ...).
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import boto3

from . import awslambda, core, dynamodb, events, kinesis, lambda_esm, sns, sqs, stepfunctions
from .patching import MOTO_VERSION, LabSetupError, Patch, verify

ALL_PATCHES: list[Patch] = [*core.PATCHES, *awslambda.PATCHES, *stepfunctions.PATCHES,
                            *sns.PATCHES, *events.PATCHES, *lambda_esm.PATCHES, *sqs.PATCHES,
                            *dynamodb.PATCHES, *kinesis.PATCHES]

_installed = False


@contextlib.contextmanager
def _one_boto3_session() -> Iterator[None]:
    """Share one boto3 session among the argument-less `Session()` calls made while moto imports.

    moto's EC2 models, which the Step Functions interpreter imports, build three sessions at import
    time only to list region names; each reloads botocore's endpoint data (about a second in all).
    """
    original = boto3.Session
    shared = original()
    boto3.Session = lambda *args, **kwargs: shared if not (args or kwargs) else original(*args, **kwargs)
    try:
        yield
    finally:
        boto3.Session = original


def install() -> None:
    """Check every target's signature, then apply all patches (once per process)."""
    global _installed
    if _installed:
        return
    with _one_boto3_session():
        verify(ALL_PATCHES)
    for patch in ALL_PATCHES:
        patch.apply()
    core.spread_utcnow()
    awslambda.add_routes()
    core.register_call_hooks()
    _installed = True


__all__ = ["ALL_PATCHES", "MOTO_VERSION", "LabSetupError", "install", "verify"]
