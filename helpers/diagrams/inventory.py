"""What the lab holds, read straight from moto's backends (no API calls, so nothing lands in the trace)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import asl
from .style import kind_of_arn, short_name, shorten


@dataclass
class Resource:
    """One box in the architecture: its ARN, its service kind, its name and extra label lines."""

    arn: str
    kind: str
    name: str
    notes: list[str] = field(default_factory=list)
    group: str | None = None      # the bus a rule or an archive belongs to
    missing: bool = False         # referenced but not found in the lab


@dataclass(frozen=True)
class Link:
    """An arrow: `kind` is a key of `style.LINKS`."""

    source: str
    target: str
    kind: str
    label: str = ""


@dataclass
class Inventory:
    """The resources of one account and region, and how they are wired."""

    resources: dict[str, Resource] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    def add(self, arn: str, kind: str | None = None, name: str | None = None, **extra: Any) -> Resource:
        if arn not in self.resources:
            self.resources[arn] = Resource(arn, kind or kind_of_arn(arn), name or short_name(arn), **extra)
        return self.resources[arn]

    def link(self, source: str, target: str, kind: str, label: str = "") -> None:
        self.links.append(Link(_canonical(source), _canonical(target), kind, label))

    def complete(self) -> Inventory:
        """Add every linked ARN not read from a backend as a 'missing' resource."""
        for link in self.links:
            for arn in (link.source, link.target):
                if arn not in self.resources:
                    self.add(arn, missing=not _is_endpoint(arn))
        return self


def _canonical(arn: str) -> str:
    """One ARN per resource: no Lambda qualifier, a DynamoDB stream stands for its table."""
    kind = kind_of_arn(arn)
    if kind == "lambda":
        return ":".join(arn.split(":")[:7])
    if kind == "dynamodb":
        return arn.split("/stream/")[0]
    if kind == "logs":
        return arn.removesuffix(":*")
    return arn


def _is_endpoint(arn: str) -> bool:
    return not arn.startswith("arn:")


def read_inventory(account: str, region: str) -> Inventory:
    """Read every Lambda, SQS, SNS, EventBridge, Step Functions, DynamoDB and Kinesis resource."""
    inventory = Inventory()
    for reader in (_read_sqs, _read_sns, _read_events, _read_lambda, _read_states, _read_tables):
        reader(inventory, account, region)
    return inventory.complete()


def _read_sqs(inv: Inventory, account: str, region: str) -> None:
    from moto.sqs.models import sqs_backends

    for queue in sqs_backends[account][region].queues.values():
        notes = ["FIFO"] if queue.fifo_queue else []
        notes.append(f"visibility {queue.visibility_timeout} s")
        inv.add(queue.queue_arn, "sqs", queue.name, notes=notes)
        policy = queue.redrive_policy or {}
        if policy.get("deadLetterTargetArn"):
            inv.link(queue.queue_arn, policy["deadLetterTargetArn"], "failure",
                     f"after {policy.get('maxReceiveCount')} receives")


def _read_sns(inv: Inventory, account: str, region: str) -> None:
    from moto.sns.models import sns_backends

    backend = sns_backends[account][region]
    for topic in backend.topics.values():
        inv.add(topic.arn, "sns", topic.name, notes=["FIFO"] if topic.arn.endswith(".fifo") else [])
    for sub in backend.subscriptions.values():
        attributes = sub.attributes or {}
        label = [sub.protocol]
        if attributes.get("FilterPolicy"):
            label.append("filter " + shorten(_compact(attributes["FilterPolicy"]), 40))
        if str(attributes.get("RawMessageDelivery")).lower() == "true":
            label.append("raw")
        if sub.protocol not in ("sqs", "lambda", "firehose"):
            inv.add(sub.endpoint, "other", shorten(f"{sub.protocol}: {sub.endpoint}", 40))
        inv.link(sub.topic.arn, sub.endpoint, "async", "\n".join(label))
        redrive = attributes.get("RedrivePolicy")
        if redrive:
            inv.link(sub.topic.arn, json.loads(redrive)["deadLetterTargetArn"], "failure",
                     f"DLQ of {short_name(sub.endpoint)} subscription")


def _read_events(inv: Inventory, account: str, region: str) -> None:
    from moto.events.models import events_backends
    from ..motoext.events import ARCHIVE_RULE_OWNER

    backend = events_backends[account][region]
    for bus in backend.event_buses.values():
        rules = [rule for rule in bus.rules.values() if rule.managed_by != ARCHIVE_RULE_OWNER]
        archives = [archive for archive in backend.archives.values() if archive.source_arn == bus.arn]
        if bus.name == "default" and not rules and not archives:
            continue
        inv.add(bus.arn, "events-bus", bus.name)
        for archive in archives:
            # An archive is drawn as itself; the rule EventBridge manages to fill it is not drawn.
            pattern = archive.event_pattern.dump() if archive.event_pattern else None
            notes = [_pattern_note(pattern)] if pattern else []
            if archive.retention:
                notes.append(f"kept {archive.retention} days")
            inv.add(archive.arn, "events-archive", archive.name, notes=notes, group=bus.arn)
            inv.link(bus.arn, archive.arn, "archive")
        for rule in rules:
            rule_arn = f"arn:aws:events:{region}:{account}:rule/" + (
                rule.name if bus.name == "default" else f"{bus.name}/{rule.name}")
            notes = [_pattern_note(rule.event_pattern.dump())] if rule.event_pattern.dump() else []
            if rule.scheduled_expression:
                notes.append(rule.scheduled_expression)
            if rule.state != "ENABLED":
                notes.append(rule.state)
            inv.add(rule_arn, "events-rule", rule.name, notes=notes, group=bus.arn)
            inv.link(bus.arn, rule_arn, "contains")
            for target in rule.targets:
                label = "transformed input" if target.get("InputTransformer") else ""
                inv.link(rule_arn, target["Arn"], "async", label)
                if (target.get("DeadLetterConfig") or {}).get("Arn"):
                    inv.link(rule_arn, target["DeadLetterConfig"]["Arn"], "failure",
                             f"DLQ of target {target.get('Id', '')}")


def _read_lambda(inv: Inventory, account: str, region: str) -> None:
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[account][region]
    for fn in backend.list_functions():
        config = fn.get_configuration()
        inv.add(fn.function_arn, "lambda", fn.function_name,
                notes=[f"{config.get('MemorySize')} MB · {config.get('Timeout')} s"])
        dead_letter = (config.get("DeadLetterConfig") or {}).get("TargetArn")
        if dead_letter:
            inv.link(fn.function_arn, dead_letter, "failure", "DeadLetterConfig")
        for event_config in backend.list_function_event_invoke_configs(fn.function_name)["FunctionEventInvokeConfigs"]:
            destinations = event_config.get("DestinationConfig") or {}
            for condition, kind in (("OnSuccess", "success"), ("OnFailure", "failure")):
                arn = (destinations.get(condition) or {}).get("Destination")
                if arn:
                    inv.link(fn.function_arn, arn, kind, condition)
    for mapping in backend.list_event_source_mappings(None, None):
        config = mapping.get_configuration()
        notes = [f"batch {config.get('BatchSize')}"]
        if mapping.filter_criteria:
            notes.append("filter " + shorten(_compact(json.dumps(mapping.filter_criteria.get("Filters", []))), 36))
        if "ReportBatchItemFailures" in (mapping.function_response_types or []):
            notes.append("partial batch failures")
        if not mapping.enabled:
            notes.append("disabled")
        inv.link(mapping.event_source_arn, config["FunctionArn"], "poll", "\n".join(notes))


def _read_states(inv: Inventory, account: str, region: str) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    for machine in stepfunctions_parser_backends[account][region].state_machines:
        inv.add(machine.arn, "states", machine.name, notes=[getattr(machine, "type", "STANDARD") or "STANDARD"])
        link_tasks(inv, machine.arn, machine.definition, account, region)


def link_tasks(inv: Inventory, machine_arn: str, definition: str, account: str, region: str) -> None:
    """An arrow from a state machine to what each of its Task states calls."""
    for name, state in asl.walk(asl.load(definition)):
        target = asl.task_target(state, account, region)
        if target is None:
            continue
        arn, how = target
        if not arn.startswith("arn:"):
            arn = inv.add(f"{machine_arn}#{arn}", "other", arn).arn
        inv.link(machine_arn, arn, how, name)


def _read_tables(inv: Inventory, account: str, region: str) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    for table in dynamodb_backends[account][region].tables.values():
        streaming = (table.stream_specification or {}).get("StreamEnabled")
        inv.add(table.table_arn, "dynamodb", table.name, notes=["stream on"] if streaming else [])
    for stream in kinesis_backends[account][region].streams.values():
        inv.add(stream.arn, "kinesis", stream.stream_name)


def _pattern_note(pattern: str) -> str:
    """An event pattern as a short label line: `{source:[shop],detail-type:[OrderPlaced]}`."""
    return shorten(_compact(pattern).replace("\"", ""), 56)


def _compact(pattern: str) -> str:
    """JSON without spaces after separators: `{"source":["shop"]}`."""
    try:
        return json.dumps(json.loads(pattern), separators=(",", ":"))
    except (TypeError, ValueError):
        return str(pattern)
