"""What an account holds, read through the AWS API (any endpoint: the lab's server, LocalStack, AWS).

The lab's own diagrams read moto's backends directly; an endpoint in another process offers only
its API, so this reader asks it with List/Describe calls and fills the same `Inventory` the
diagrams draw. Read-only: it creates, changes and deletes nothing.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from ..diagrams.inventory import Inventory, _compact, _pattern_note, link_tasks
from ..diagrams.style import short_name, shorten

Clients = Callable[[str], Any]


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    if client.can_paginate(operation):
        return [item for page in client.get_paginator(operation).paginate(**params) for item in page.get(key, [])]
    return getattr(client, operation)(**params).get(key, [])


def read_inventory_via_api(client: Clients, account: str, region: str) -> Inventory:
    """Every Lambda, SQS, SNS, EventBridge, Step Functions, DynamoDB and Kinesis resource, via the API."""
    inventory = Inventory()
    for reader in (_read_sqs, _read_sns, _read_events, _read_lambda, _read_states, _read_tables):
        reader(inventory, client, account, region)
    return inventory.complete()


def _read_sqs(inv: Inventory, client: Clients, account: str, region: str) -> None:
    sqs = client("sqs")
    for url in _pages(sqs, "list_queues", "QueueUrls"):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        arn = attributes["QueueArn"]
        notes = ["FIFO"] if attributes.get("FifoQueue") == "true" else []
        notes.append(f"visibility {attributes.get('VisibilityTimeout', '30')} s")
        inv.add(arn, "sqs", short_name(arn), notes=notes)
        if attributes.get("RedrivePolicy"):
            policy = json.loads(attributes["RedrivePolicy"])
            inv.link(arn, policy["deadLetterTargetArn"], "failure", f"after {policy.get('maxReceiveCount')} receives")


def _read_sns(inv: Inventory, client: Clients, account: str, region: str) -> None:
    sns = client("sns")
    for topic in _pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        inv.add(arn, "sns", short_name(arn), notes=["FIFO"] if arn.endswith(".fifo") else [])
    for sub in _pages(sns, "list_subscriptions", "Subscriptions"):
        attributes = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"]).get("Attributes", {})
        label = [sub["Protocol"]]
        if attributes.get("FilterPolicy"):
            label.append("filter " + shorten(_compact(attributes["FilterPolicy"]), 40))
        if str(attributes.get("RawMessageDelivery")).lower() == "true":
            label.append("raw")
        if sub["Protocol"] not in ("sqs", "lambda", "firehose"):
            inv.add(sub["Endpoint"], "other", shorten(f"{sub['Protocol']}: {sub['Endpoint']}", 40))
        inv.link(sub["TopicArn"], sub["Endpoint"], "async", "\n".join(label))
        if attributes.get("RedrivePolicy"):
            inv.link(sub["TopicArn"], json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"], "failure",
                     f"DLQ of {short_name(sub['Endpoint'])} subscription")


def _read_events(inv: Inventory, client: Clients, account: str, region: str) -> None:
    events = client("events")
    archives = events.list_archives().get("Archives", [])
    for bus in events.list_event_buses().get("EventBuses", []):
        rules = [rule for rule in _pages(events, "list_rules", "Rules", EventBusName=bus["Name"])
                 if not rule.get("ManagedBy")]
        own_archives = [archive for archive in archives if archive.get("EventSourceArn") == bus["Arn"]]
        if bus["Name"] == "default" and not rules and not own_archives:
            continue
        inv.add(bus["Arn"], "events-bus", bus["Name"])
        for archive in own_archives:
            described = events.describe_archive(ArchiveName=archive["ArchiveName"])
            notes = [_pattern_note(described["EventPattern"])] if described.get("EventPattern") else []
            if described.get("RetentionDays"):
                notes.append(f"kept {described['RetentionDays']} days")
            inv.add(described["ArchiveArn"], "events-archive", archive["ArchiveName"], notes=notes, group=bus["Arn"])
            inv.link(bus["Arn"], described["ArchiveArn"], "archive")
        for rule in rules:
            notes = [_pattern_note(rule["EventPattern"])] if rule.get("EventPattern") else []
            if rule.get("ScheduleExpression"):
                notes.append(rule["ScheduleExpression"])
            if rule.get("State", "ENABLED") != "ENABLED":
                notes.append(rule["State"])
            inv.add(rule["Arn"], "events-rule", rule["Name"], notes=notes, group=bus["Arn"])
            inv.link(bus["Arn"], rule["Arn"], "contains")
            for target in _pages(events, "list_targets_by_rule", "Targets", Rule=rule["Name"], EventBusName=bus["Name"]):
                inv.link(rule["Arn"], target["Arn"], "async", "transformed input" if target.get("InputTransformer") else "")
                if (target.get("DeadLetterConfig") or {}).get("Arn"):
                    inv.link(rule["Arn"], target["DeadLetterConfig"]["Arn"], "failure", f"DLQ of target {target['Id']}")


def _read_lambda(inv: Inventory, client: Clients, account: str, region: str) -> None:
    lambda_ = client("lambda")
    for fn in _pages(lambda_, "list_functions", "Functions"):
        inv.add(fn["FunctionArn"], "lambda", fn["FunctionName"], notes=[f"{fn.get('MemorySize')} MB · {fn.get('Timeout')} s"])
        if (fn.get("DeadLetterConfig") or {}).get("TargetArn"):
            inv.link(fn["FunctionArn"], fn["DeadLetterConfig"]["TargetArn"], "failure", "DeadLetterConfig")
        configs = lambda_.list_function_event_invoke_configs(FunctionName=fn["FunctionName"])
        for config in configs.get("FunctionEventInvokeConfigs", []):
            for condition, kind in (("OnSuccess", "success"), ("OnFailure", "failure")):
                arn = ((config.get("DestinationConfig") or {}).get(condition) or {}).get("Destination")
                if arn:
                    inv.link(fn["FunctionArn"], arn, kind, condition)
    for mapping in _pages(lambda_, "list_event_source_mappings", "EventSourceMappings"):
        notes = [f"batch {mapping.get('BatchSize')}"]
        if mapping.get("FilterCriteria"):
            notes.append("filter " + shorten(_compact(json.dumps(mapping["FilterCriteria"].get("Filters", []))), 36))
        if "ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []):
            notes.append("partial batch failures")
        if mapping.get("State") in ("Disabled", "Disabling"):
            notes.append("disabled")
        inv.link(mapping["EventSourceArn"], mapping["FunctionArn"], "poll", "\n".join(notes))


def _read_states(inv: Inventory, client: Clients, account: str, region: str) -> None:
    states = client("stepfunctions")
    for listed in _pages(states, "list_state_machines", "stateMachines"):
        machine = states.describe_state_machine(stateMachineArn=listed["stateMachineArn"])
        inv.add(machine["stateMachineArn"], "states", machine["name"], notes=[machine.get("type") or "STANDARD"])
        link_tasks(inv, machine["stateMachineArn"], machine["definition"], account, region)


def _read_tables(inv: Inventory, client: Clients, account: str, region: str) -> None:
    dynamodb, kinesis = client("dynamodb"), client("kinesis")
    for name in _pages(dynamodb, "list_tables", "TableNames"):
        table = dynamodb.describe_table(TableName=name)["Table"]
        streaming = (table.get("StreamSpecification") or {}).get("StreamEnabled")
        inv.add(table["TableArn"], "dynamodb", name, notes=["stream on"] if streaming else [])
    for name in _pages(kinesis, "list_streams", "StreamNames"):
        stream = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        inv.add(stream["StreamARN"], "kinesis", name)
