"""The moto extension: patches that make moto behave like AWS, one module per service.

This layer knows nothing of the lab's trace, diagrams or widgets; the runtime above registers
itself through the hooks each module exposes (`awslambda.set_executor`, `core.set_clock`, ...).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from typing import Any, Iterator

from .patching import MOTO_VERSION, LabSetupError, Patch, apply_when_imported, verify

_installed = False


def all_patches() -> list[Patch]:
    """Every patch of every service module (importing them imports the moto services they extend)."""
    from . import awslambda, core, dynamodb, events, events_patterns, kinesis, lambda_esm, sns, sqs, stepfunctions
    from . import stepfunctions_pages

    return [*core.PATCHES, *awslambda.PATCHES, *stepfunctions.PATCHES, *sns.PATCHES, *events.PATCHES,
            *events_patterns.PATCHES, *lambda_esm.PATCHES, *sqs.PATCHES, *dynamodb.PATCHES, *kinesis.PATCHES,
            *stepfunctions_pages.PATCHES]


def __getattr__(name: str) -> Any:
    """`ALL_PATCHES`, built on first use so that importing this package does not import moto."""
    if name == "ALL_PATCHES":
        return all_patches()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextlib.contextmanager
def _one_boto3_session() -> Iterator[None]:
    """Share one boto3 session among the argument-less `Session()` calls made while moto imports.

    moto's EC2 models, which the Step Functions interpreter imports, build three sessions at import
    time only to list region names; each reloads botocore's endpoint data.
    """
    import boto3

    _batch_models_on_first_use()
    original = boto3.Session
    shared = original()
    boto3.Session = lambda *args, **kwargs: shared if not (args or kwargs) else original(*args, **kwargs)
    try:
        yield
    finally:
        boto3.Session = original


#: All that moto.batch's `__init__` does (moto 5.2.5); any other content is imported as it is.
_BATCH_INIT = "from .models import batch_backends  # noqa: F401\n"


def _batch_models_on_first_use() -> None:
    """Load the package moto.batch without importing its models until something asks for them.

    Step Functions' interpreter imports `moto.batch.utils` for one enum; the package's `__init__`
    imports Batch's models, and with them EC2's (its instance types alone take 0.4 s), which a
    notebook without a Batch task never uses. `moto.batch.batch_backends` (how moto finds a
    service's backend) still imports them, on first use.
    """
    spec = importlib.util.find_spec("moto.batch")
    if "moto.batch" in sys.modules or spec is None or spec.origin is None:
        return
    with open(spec.origin, encoding="utf-8") as init:
        if init.read() != _BATCH_INIT:
            return
    package = importlib.util.module_from_spec(spec)

    def models_on_first_use(name: str) -> Any:
        if name != "batch_backends":
            raise AttributeError(f"module 'moto.batch' has no attribute {name!r}")
        package.batch_backends = importlib.import_module("moto.batch.models").batch_backends
        return package.batch_backends

    package.__getattr__ = models_on_first_use  # type: ignore[attr-defined]  # PEP 562
    sys.modules["moto.batch"] = package
    sys.modules["moto"].batch = package  # type: ignore[attr-defined]  # as the import system would


def install() -> None:
    """Check and apply every patch (once per process): now for the moto modules already loaded,
    the others (Step Functions' interpreter, ...) when moto first imports them."""
    global _installed
    if _installed:
        return
    from . import core

    apply_when_imported(all_patches(), load_within={"moto.stepfunctions.parser.models": _one_boto3_session})
    core.spread_utcnow()
    awslambda.add_routes()
    core.register_call_hooks()
    _installed = True


__all__ = ["ALL_PATCHES", "MOTO_VERSION", "LabSetupError", "all_patches", "install", "verify"]
