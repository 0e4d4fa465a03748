"""Lambda's input validation and limits, in AWS's words (aws-semantics.md 2 and 3; rows in the runtime rows file).

moto accepts any runtime, timeout, memory size, environment and zip. AWS refuses, at the API:
- a `Runtime` outside the API's enum (ValidationException), a deprecated one (python2.7 ... python3.8:
  InvalidParameterValueException "no longer supported"); runtimes AWS runs but this lab cannot
  (nodejs20.x, java21...) are refused in the lab's own words, since the lab runs Python only;
- `Timeout` over 900 s and `MemorySize` outside 128-10,240 MB (ValidationException);
- reserved environment variable keys, and variables over 4 KB in all (InvalidParameterValueException);
- a function name outside the API's pattern (ValidationException);
- a deployment package or layer that is not a zip, or an empty zip (InvalidParameterValueException);
- an Invoke payload that is not UTF-8 (InvalidRequestContentException), where moto raises.
Invoke payload limits (6 MB synchronous, 1 MB asynchronous) are checked in `awslambda`.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import re
import zipfile
from typing import Any, Callable

import botocore.loaders
from moto.awslambda.exceptions import InvalidParameterValueException, ValidationException
from moto.core.exceptions import JsonRESTError

from .patching import Patch

#: The pinned botocore's model of the Lambda API (read from its data files, no session or config).
_SHAPES = botocore.loaders.create_loader().load_service_model("lambda", "service-2")["shapes"]
#: Every value the API's `Runtime` enum allows.
RUNTIMES: tuple[str, ...] = tuple(_SHAPES["Runtime"]["enum"])
#: Python runtimes AWS no longer lets you create or update (Lambda runtimes, deprecation dates).
DEPRECATED_PYTHON = ("python2.7", "python3.6", "python3.7", "python3.8")
#: The runtimes this lab can run: its handlers are Python.
LAB_RUNTIMES = tuple(r for r in RUNTIMES if r.startswith("python3.") and r not in DEPRECATED_PYTHON)
_NEWEST_PYTHON = "python3.12"
MAX_TIMEOUT_S, MIN_MEMORY_MB, MAX_MEMORY_MB = 900, 128, 10240
#: Environment variables are limited to 4 KB in all (Lambda quotas, L25).
MAX_ENVIRONMENT_BYTES = 4096
#: Keys Lambda sets itself and refuses in a function's configuration (Lambda: defined runtime
#: environment variables).
RESERVED_KEYS = ("_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
                 "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                 "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                 "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")
_NAME_PATTERN = _SHAPES[_SHAPES["CreateFunctionRequest"]["members"]["FunctionName"]["shape"]]["pattern"]


class UnsupportedRuntimeInLab(JsonRESTError):
    """A runtime AWS runs but this lab cannot: it runs Python handlers only (the lab's words)."""

    code = 400

    def __init__(self, runtime: str) -> None:
        super().__init__("UnsupportedRuntimeInLab",
                         f"AWS accepts Runtime {runtime}, but this lab runs Python handlers only: "
                         f"use one of {', '.join(LAB_RUNTIMES)}.")


def check_runtime(runtime: str | None) -> None:
    if runtime is None:
        return
    if runtime not in RUNTIMES:
        raise ValidationException(runtime, "runtime",
                                  f"Member must satisfy enum value set: [{', '.join(RUNTIMES)}]")
    if runtime in DEPRECATED_PYTHON:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
            f"Lambda functions. We recommend you use the new runtime ({_NEWEST_PYTHON}) while creating "
            "or updating functions.")
    if runtime not in LAB_RUNTIMES:
        raise UnsupportedRuntimeInLab(runtime)


def check_limits(spec: dict[str, Any]) -> None:
    """Timeout, MemorySize and Environment, as CreateFunction and UpdateFunctionConfiguration check them."""
    timeout, memory = spec.get("Timeout"), spec.get("MemorySize")
    if timeout is not None and int(timeout) > MAX_TIMEOUT_S:
        raise ValidationException(timeout, "timeout", f"Member must have value less than or equal to {MAX_TIMEOUT_S}")
    if memory is not None and int(memory) > MAX_MEMORY_MB:
        raise ValidationException(memory, "memorySize", f"Member must have value less than or equal to {MAX_MEMORY_MB}")
    if memory is not None and int(memory) < MIN_MEMORY_MB:
        raise ValidationException(memory, "memorySize",
                                  f"Member must have value greater than or equal to {MIN_MEMORY_MB}")
    variables = (spec.get("Environment") or {}).get("Variables") or {}
    reserved = [key for key in variables if key in RESERVED_KEYS]
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables "
            "you have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {', '.join(reserved)}")
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables "
            f"you have provided exceeded the 4KB limit. String measured: {measured}")


def check_name(name: str | None) -> None:
    if name is not None and not re.fullmatch(_NAME_PATTERN, name):
        raise ValidationException(name, "functionName", f"Member must satisfy regular expression pattern: {_NAME_PATTERN}")


def check_zip(encoded: Any) -> None:
    """A `ZipFile` (base64 on the wire) must be a zip with at least one entry."""
    if encoded is None:
        return
    try:
        data = base64.b64decode(encoded) if isinstance(encoded, str) else bytes(encoded)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            empty = not archive.namelist()
    except (zipfile.BadZipFile, binascii.Error, ValueError):
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again.") from None
    if empty:
        raise InvalidParameterValueException("Uploaded file must be a non-empty zip")


def _make_create_function(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        check_name(spec.get("FunctionName"))
        check_runtime(spec.get("Runtime"))
        check_limits(spec)
        check_zip((spec.get("Code") or {}).get("ZipFile"))
        return original(self, spec)

    return create_function


def _make_update_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_function_configuration(self: Any, function_name: str, qualifier: str,
                                      body: dict[str, Any]) -> dict[str, Any] | None:
        check_runtime(body.get("Runtime"))
        check_limits(body)
        return original(self, function_name, qualifier, body)

    return update_function_configuration


def _make_update_code(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_function_code(self: Any, function_name: str, qualifier: str,
                             body: dict[str, Any]) -> dict[str, Any] | None:
        check_zip(body.get("ZipFile"))
        return original(self, function_name, qualifier, body)

    return update_function_code


def _make_publish_layer_version(original: Callable[..., Any]) -> Callable[..., Any]:
    def publish_layer_version(self: Any, spec: dict[str, Any]) -> Any:
        check_zip((spec.get("Content") or {}).get("ZipFile"))
        for runtime in spec.get("CompatibleRuntimes") or []:
            if runtime not in RUNTIMES:
                raise ValidationException(runtime, "compatibleRuntimes",
                                          f"Member must satisfy enum value set: [{', '.join(RUNTIMES)}]")
        return original(self, spec)

    return publish_layer_version


def _make_setup_class(original: Callable[..., Any]) -> Callable[..., Any]:
    def setup_class(self: Any, request: Any, full_url: str | None = None, headers: Any = None,
                    use_raw_body: bool | None = None) -> None:
        try:
            original(self, request, full_url, headers, use_raw_body)
        except UnicodeDecodeError as err:
            from moto.awslambda.responses import LambdaResponse

            from .awslambda import InvalidRequestContentException

            if not isinstance(self, LambdaResponse):
                raise
            raise InvalidRequestContentException(
                f"Invalid UTF-8 start byte 0x{err.object[err.start]:02x}") from None

    return setup_class


PATCHES = [
    Patch(target="moto.core.responses:BaseResponse.setup_class",
          signature="(self, request: 'Request', full_url: 'str | None' = None, headers: 'Any' = None, "
          "use_raw_body: 'bool | None' = None) -> 'None'",
          rule="Invoke refuses a payload that is not UTF-8 with InvalidRequestContentException (Invoke API)",
          make=_make_setup_class),
    Patch(target="moto.awslambda.models:LambdaBackend.create_function",
          signature="(self, spec: 'dict[str, Any]') -> 'LambdaFunction'",
          rule="CreateFunction validates name, runtime, timeout, memory, environment and zip as AWS does",
          make=_make_create_function),
    Patch(target="moto.awslambda.models:LambdaBackend.update_function_configuration",
          signature="(self, function_name: 'str', qualifier: 'str', body: 'dict[str, Any]') -> 'dict[str, Any] | None'",
          rule="UpdateFunctionConfiguration validates runtime, timeout, memory and environment as AWS does",
          make=_make_update_configuration),
    Patch(target="moto.awslambda.models:LambdaBackend.update_function_code",
          signature="(self, function_name: 'str', qualifier: 'str', body: 'dict[str, Any]') -> 'dict[str, Any] | None'",
          rule="UpdateFunctionCode refuses a package that is not a non-empty zip",
          make=_make_update_code),
    Patch(target="moto.awslambda.models:LambdaBackend.publish_layer_version",
          signature="(self, spec: 'dict[str, Any]') -> 'LayerVersion'",
          rule="PublishLayerVersion refuses content that is not a non-empty zip",
          make=_make_publish_layer_version),
]
