"""Plumbing for notebook 08 (best practices and anti-patterns): deploy its handlers, build the
Powertools layer, and add up what each contrast measured (invocations, billed time, dollars).

    from helpers.bistro import practices
    practices.function("glue", "glue.py", KITCHEN_QUEUE=url)   # notebooks/bistro/practices/glue.py
    practices.queue("kitchen")                                 # (url, arn), created afresh
    practices.bill(lab.trace(service="lambda"))                # per function: invocations, GB-s, USD

Every create deletes what it is about to create first, so each cell can run twice.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from ..cleanup import delete_if_exists
from ..clients import client
from ..packaging import zip_code
from ..prices import gb_second_price, request_price
from ..source import read_code
from .orchestration import create_table

__all__ = ["CODE_DIR", "audit", "bill", "create_table", "draw_design", "function", "items", "messages", "policy", "powertools_layer",
           "queue", "usd_per_million"]

#: Where the handlers live, relative to notebooks/.
CODE_DIR = "bistro/practices"
#: AWS Lambda prices in us-east-1, x86 (aws-semantics.md 3 [L23][L29]): per request and per GB-second.
REQUEST_USD, GB_SECOND_USD = request_price(), gb_second_price("x86_64")


def queue(name: str, **attributes: str) -> tuple[str, str]:
    """A standard SQS queue created afresh (without the mappings that read its namesake); returns (URL, ARN)."""
    delete_if_exists("queue", name)
    sqs, lambda_ = client("sqs"), client("lambda")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for mapping in lambda_.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]:
        lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
    return url, arn


def function(name: str, code_file: str, role_arn: str | None = None, timeout: int = 10,
             layers: tuple[str, ...] = (), **environment: str) -> str:
    """Deploy `notebooks/bistro/practices/<code_file>` as function `name` (created afresh); returns its ARN."""
    from ..lab import current

    delete_if_exists("function", name)
    return client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn or current().role_arn,
        Handler=f"{Path(code_file).stem}.handler", Timeout=timeout, Layers=list(layers),
        Code={"ZipFile": zip_code(read_code(f"{CODE_DIR}/{code_file}"), Path(code_file).name)},
        Environment={"Variables": environment})["FunctionArn"]


def powertools_layer() -> str:
    """Publish Powertools for AWS Lambda (Python) as a layer built from the installed PyPI package,
    laid out as `pip install -t python/` would; returns the layer version's ARN."""
    import aws_lambda_powertools
    import typing_extensions

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in (Path(aws_lambda_powertools.__file__).parent, Path(typing_extensions.__file__)):
            for path in [package] if package.is_file() else sorted(package.rglob("*.py")):
                archive.write(path, "python/" + str(path.relative_to(package.parent)))
    return client("lambda").publish_layer_version(
        LayerName="powertools", Content={"ZipFile": buffer.getvalue()},
        CompatibleRuntimes=["python3.12"])["LayerVersionArn"]


def usd_per_million(billed_ms: float, memory_mb: int = 128) -> float:
    """What a million invocations cost at this billed duration and memory (requests + GB-seconds)."""
    return round(float(1_000_000 * (REQUEST_USD + billed_ms / 1000 * memory_mb / 1024 * GB_SECOND_USD)), 2)


def bill(trace: pd.DataFrame, memory_mb: int = 128) -> pd.DataFrame:
    """Per function in a `lab.trace()` frame: invocations, billed ms, GB-seconds and USD (us-east-1 x86)."""
    runs = trace[trace["function"].notna() & trace["billed_ms"].notna()]
    table = runs.groupby("function").agg(invocations=("billed_ms", "size"), billed_ms=("billed_ms", "sum"))
    table["GB-s"] = (table["billed_ms"] / 1000 * memory_mb / 1024).round(4)
    table["USD"] = (table["invocations"] * REQUEST_USD + table["GB-s"] * GB_SECOND_USD).round(7)
    return table.astype({"invocations": int, "billed_ms": int})


def messages(url: str) -> list[dict[str, Any]]:
    """The bodies of every message waiting in the queue (received, then made visible again)."""
    sqs, found = client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        found += batch
    for start in range(0, len(found), 10):  # ChangeMessageVisibilityBatch takes up to 10 entries
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(found[start:start + 10])])
    return [json.loads(m["Body"]) for m in found]


def items(table: str) -> list[dict[str, Any]]:
    """Every item of a DynamoDB table, as plain values (strings and numbers)."""
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [{k: next(iter(v.values())) for k, v in item.items()} for page in pages for item in page["Items"]]


#: What each job of the bistro calls, on what (lith.py's jobs, and the charge handlers'): the least
#: privilege its role needs. The lab does not enforce IAM; real AWS refuses any call not allowed here.
JOB_PERMISSIONS: dict[str, dict[str, str]] = {
    "place_order": {"dynamodb:PutItem": "arn:aws:dynamodb:us-east-1:123456789012:table/bistro-orders"},
    "daily_report": {"s3:PutObject": "arn:aws:s3:::bistro-reports/*"},
    "supplier_prices": {"events:PutEvents": "arn:aws:events:us-east-1:123456789012:event-bus/default"},
    "charge": {"dynamodb:PutItem": "arn:aws:dynamodb:us-east-1:123456789012:table/charges",
               "sqs:ReceiveMessage": "arn:aws:sqs:us-east-1:123456789012:charge-once",
               "sqs:DeleteMessage": "arn:aws:sqs:us-east-1:123456789012:charge-once",
               "sqs:GetQueueAttributes": "arn:aws:sqs:us-east-1:123456789012:charge-once"},
}


def policy(*jobs: str) -> dict[str, Any]:
    """The IAM policy a function doing these jobs needs: one statement per action, on its resource only."""
    wanted = {action: resource for job in jobs for action, resource in JOB_PERMISSIONS[job].items()}
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource} for action, resource in sorted(wanted.items())]}


def audit() -> pd.DataFrame:
    """Every asynchronous edge in the lab (queue or stream -> function mappings, EventBridge rule ->
    target): where its failures go (a DLQ or an on-failure destination) and whether an alarm watches it."""
    lambda_, sqs, events = client("lambda"), client("sqs"), client("events")
    alarms = client("cloudwatch").describe_alarms()["MetricAlarms"]
    watched = {d["Value"] for a in alarms for d in a.get("Dimensions", []) if d["Name"] == "QueueName"}
    rows = []
    for mapping in lambda_.list_event_source_mappings()["EventSourceMappings"]:
        source, function = mapping["EventSourceArn"], mapping["FunctionArn"].rsplit(":", 1)[1]
        if ":sqs:" in source:
            url = sqs.get_queue_url(QueueName=source.rsplit(":", 1)[1])["QueueUrl"]
            redrive = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
            dlq = json.loads(redrive["RedrivePolicy"])["deadLetterTargetArn"] if redrive else ":"
            edge = f"queue {source.rsplit(':', 1)[1]} → {function}"
        else:  # a stream: failed batches go to the mapping's on-failure destination
            dlq = mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination") or ":"
            edge = f"stream of {source.split('/')[1]} → {function}"
        rows.append(_edge(edge, dlq.rsplit(":", 1)[1], watched))
    for rule in events.list_rules()["Rules"]:
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
            dlq = target.get("DeadLetterConfig", {}).get("Arn", ":").rsplit(":", 1)[1]
            rows.append(_edge(f"rule {rule['Name']} → {target['Arn'].rsplit(':', 1)[1]}", dlq, watched))
    return pd.DataFrame(rows).set_index("edge")


def _edge(edge: str, dlq: str, watched: set[str]) -> dict[str, str]:
    return {"edge": edge, "failures go to": dlq or "nowhere", "alarm on it": "yes" if dlq in watched else "no"}


def draw_design(*prefixes: str, title: str = ""):  # noqa: ANN201 - a helpers.diagrams Diagram
    """The lab's architecture diagram, cut to the resources whose names start with one of `prefixes`
    (a design among everything else the notebook deployed) and the links between them."""
    from ..diagrams.architecture import draw_inventory
    from ..diagrams.inventory import Inventory, read_inventory
    from ..lab import current

    lab = current()
    everything = read_inventory(lab.account_id, lab.region)
    kept = {arn: r for arn, r in everything.resources.items() if r.name.startswith(prefixes) and not r.missing}
    links = [link for link in everything.links if link.source in kept and link.target in kept]
    return draw_inventory(Inventory(kept, links), legend=False, title=title)
