"""What the warm server process loads once, so every execution environment forked from it starts warm.

Imported only in that server process (never in the notebook's): the runtime (`worker`), and a default
boto3 session whose loader already holds the service models a handler most often needs, so a
handler's first `boto3.client(...)` in a new environment does not re-read them from disk. What that
first client costs on AWS is modeled instead (`duration_model.SDK_FIRST_CLIENT_MS`).
"""
from __future__ import annotations

import boto3
import botocore.session

from . import worker  # noqa: F401  (preloaded for the environments)

#: Services whose models are loaded ahead: the ones the lab's notebooks call from handlers.
WARM_SERVICES = ("lambda", "sqs", "sns", "dynamodb", "events", "s3", "stepfunctions", "logs", "kinesis",
                 "cloudwatch", "xray", "ssm", "secretsmanager", "sts")


def _warm_default_session() -> None:
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        loader.load_data(name)
    for service in WARM_SERVICES:
        for kind in ("service-2", "endpoint-rule-set-1", "paginators-1"):
            loader.load_service_model(service, kind)
    boto3.DEFAULT_SESSION = boto3.Session(botocore_session=session)


_warm_default_session()
