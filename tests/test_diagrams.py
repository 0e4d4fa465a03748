"""Diagrams (issue 4): structure asserted from the DOT source (nodes, edges, labels, highlight colours)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import graphviz
import pytest

import helpers
from helpers.diagrams.execution import path_from_history
from helpers.diagrams.render import INSTALL_HINT, Diagram
from helpers.diagrams.style import CAUGHT_COLOR, ERROR_COLOR, MUTED, OK_COLOR

NOTEBOOK_BISTRO = Path(__file__).resolve().parents[1] / "notebooks" / "bistro"
HANDLER = "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('no')\n    return event\n"


def edges(source: str) -> dict[tuple[str, str], list[str]]:
    """(tail, head) -> the attribute strings of every visible edge in a DOT source."""
    found: dict[tuple[str, str], list[str]] = {}
    for tail, head, attrs in re.findall(r'^\s*("[^"]+"|\S+) -> ("[^"]+"|\S+)(?: \[(.*?)\])?$', source, re.M | re.S):
        if "style=invis" in attrs:
            continue
        found.setdefault((tail.strip('"'), head.strip('"')), []).append(attrs)
    return found


def node(source: str, node_id: str) -> str:
    """The attribute string of one node."""
    match = re.search(rf'^\s*"?{re.escape(node_id)}"? \[(.*?)\]$', source, re.M | re.S)
    assert match, f"no node {node_id}"
    return match.group(1)


def make_function(lab: helpers.Lab, name: str, **config: object) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(HANDLER)}, **config)["FunctionArn"]


@pytest.fixture
def shop(lab: helpers.Lab) -> dict[str, str]:
    """A fixture architecture: bus + rule + target (with DLQ), queue + redrive DLQ + mapping, topic +
    filtered subscription, destinations, DeadLetterConfig, a state machine calling a function and a queue."""
    sqs, sns, events = boto3.client("sqs"), boto3.client("sns"), boto3.client("events")
    arn = {}
    for name in ("orders-dlq", "failed-events", "orders"):
        attributes = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn["orders-dlq"], "maxReceiveCount": "3"})
                      } if name == "orders" else {}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn["news"] = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=arn["news"], Protocol="sqs", Endpoint=arn["orders"],
                  Attributes={"FilterPolicy": json.dumps({"kind": ["order"]})})
    arn["fulfil"] = make_function(lab, "fulfil", DeadLetterConfig={"TargetArn": arn["failed-events"]})
    lambda_ = boto3.client("lambda")
    lambda_.put_function_event_invoke_config(FunctionName="fulfil", DestinationConfig={
        "OnSuccess": {"Destination": arn["news"]}, "OnFailure": {"Destination": arn["failed-events"]}})
    lambda_.create_event_source_mapping(EventSourceArn=arn["orders"], FunctionName="fulfil", BatchSize=5)
    events.create_event_bus(Name="shop")
    events.put_rule(Name="order-placed", EventBusName="shop",
                    EventPattern=json.dumps({"source": ["shop"], "detail-type": ["OrderPlaced"]}))
    events.put_targets(Rule="order-placed", EventBusName="shop", Targets=[
        {"Id": "fulfil", "Arn": arn["fulfil"], "DeadLetterConfig": {"Arn": arn["failed-events"]}},
        {"Id": "gone", "Arn": "arn:aws:sqs:us-east-1:123456789012:deleted-queue"}])
    definition = {"StartAt": "Fulfil", "States": {
        "Fulfil": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": "fulfil", "Payload.$": "$"}, "Next": "Notify"},
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                   "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
                                  "MessageBody.$": "$"}, "End": True}}}
    arn["saga"] = boto3.client("stepfunctions").create_state_machine(
        name="saga", roleArn=lab.role_arn, definition=json.dumps(definition))["stateMachineArn"]
    return arn


def test_architecture_is_drawn_from_the_lab(lab, shop):
    diagram = helpers.draw_architecture(lab)
    source, found = diagram.source, edges(diagram.source)
    assert "rankdir=LR" in source
    assert 'label="after 3 receives"' in found[("sqs__orders", "sqs__orders-dlq")][0]
    assert "filter {\\\"kind\\\":[\\\"order\\\"]}" in found[("sns__news", "sqs__orders")][0]
    assert 'label="batch 5"' in found[("sqs__orders", "lambda__fulfil")][0]
    to_failed = found[("lambda__fulfil", "sqs__failed-events")]
    assert {re.search(r"label=(\w+)", a).group(1) for a in to_failed} == {"DeadLetterConfig", "OnFailure"}
    assert all(ERROR_COLOR in a and "dashed" in a for a in to_failed)
    assert OK_COLOR in found[("lambda__fulfil", "sns__news")][0]
    assert ("events-bus__shop", "events-rule__order-placed") in found
    assert "style=dashed" in found[("events-rule__order-placed", "lambda__fulfil")][0]
    assert 'label="DLQ of target fulfil"' in found[("events-rule__order-placed", "sqs__failed-events")][0]
    assert "subgraph \"cluster_bus_events-bus__shop\"" in source and "{source:[shop],detail-type:[OrderPlaced]}" in source
    assert "label=Fulfil" in found[("states__saga", "lambda__fulfil")][0]
    assert "label=Notify" in found[("states__saga", "sqs__orders")][0]
    assert "(not in the lab)" in node(source, "sqs__deleted-queue")
    assert "shape=parallelogram" in node(source, "events-bus__shop")
    assert "shape=cds" in node(source, "sqs__orders") and "shape=component" in node(source, "states__saga")
    assert "cluster_legend" in source and "legend_lambda" in source
    assert "default" not in re.findall(r"events-bus__(\w+)", source)


def test_every_diagram_displays_in_jupyter(lab, shop):
    bundle = helpers.draw_architecture(lab)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))


def test_without_dot_a_diagram_explains_and_shows_its_source(lab, shop, monkeypatch, tmp_path):
    """design.md: diagrams degrade gracefully; nothing crashes when Graphviz's binary is missing."""
    def missing(*args: object, **kwargs: object) -> str:
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    diagram = helpers.draw_architecture(lab)
    bundle = diagram._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert "dot` program is not installed" in bundle["text/html"] and "digraph architecture" in bundle["text/plain"]
    assert bundle["text/plain"].startswith(INSTALL_HINT) and diagram._repr_svg_() is None
    assert diagram.save(tmp_path / "arch.svg").suffix == ".dot"


ORDER = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.amount", "NumericGreaterThan": 100, "Next": "Review"}],
              "Default": "Charge"},
    "Review": {"Type": "Wait", "Seconds": 60, "Next": "Charge"},
    "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
               "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2, "IntervalSeconds": 1}],
               "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}], "Next": "Prepare"},
    "Prepare": {"Type": "Parallel", "Next": "Done", "Branches": [
        {"StartAt": "Pack", "States": {"Pack": {"Type": "Pass", "End": True}}},
        {"StartAt": "Label", "States": {"Label": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                                                  "ItemProcessor": {"StartAt": "Print", "States": {
                                                      "Print": {"Type": "Pass", "End": True}}}}}}]},
    "Done": {"Type": "Succeed"},
    "Refund": {"Type": "Pass", "Next": "Failed"},
    "Failed": {"Type": "Fail", "Error": "PaymentFailed"}}}


def test_state_machine_shapes_branches_retries_and_catches():
    source = helpers.draw_state_machine(ORDER).source
    found = edges(source)
    shapes = {name: re.search(r"shape=(\w+)", node(source, f"s_{name}")).group(1)
              for name in ("Check", "Review", "Charge", "Done", "Failed", "Refund")}
    assert shapes == {"Check": "diamond", "Review": "hexagon", "Charge": "box", "Done": "box", "Failed": "octagon",
                      "Refund": "box"}
    assert "peripheries=2" in node(source, "s_Done")
    assert 'label="$.amount > 100"' in found[("s_Check", "s_Review")][0]
    assert "label=Default" in found[("s_Check", "s_Charge")][0]
    assert "↻ Retry States.TaskFailed ×2" in found[("s_Charge", "s_Charge")][0]
    catch = found[("s_Charge", "s_Refund")][0]
    assert 'label="Catch States.ALL"' in catch and "style=dashed" in catch
    assert "subgraph cluster_s_Prepare" in source and 'label="Prepare (Parallel)"' in source
    assert 'label="Label (Map)"' in source and "rounded,dashed" in source
    assert ("s_Prepare", "s_Prepare.b0.Pack") in found and ("s_Prepare", "s_Prepare.b1.Label") in found
    assert ("s_Prepare.b1.Label", "s_Prepare.b1.Label.b0.Print") in found
    assert ("s_Prepare__join", "s_Done") in found
    assert ("start", "s_Check") in found and ("s_Done", "end") in found and ("s_Failed", "end") in found


def test_execution_path_from_history_marks_retries_failures_and_catches():
    """aws-semantics 6 [S4]: retriers run before catchers; a caught failure continues at the catcher's Next."""
    history = [{"type": "ExecutionStarted"},
               {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Charge"}},
               {"type": "TaskScheduled"}, {"type": "TaskFailed"},
               {"type": "TaskScheduled"}, {"type": "TaskFailed"},
               {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "Refund"}},
               {"type": "FailStateEntered", "stateEnteredEventDetails": {"name": "Failed"}},
               {"type": "ExecutionFailed"}]
    path = path_from_history(history)
    assert path.entered == ["Charge", "Refund", "Failed"] and path.status == "FAILED"
    assert path.caught == {"Charge"} and path.retried["Charge"] == 1


def test_state_machine_highlights_an_execution(lab):
    make_function(lab, "charge")
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="order", roleArn=lab.role_arn, definition=json.dumps(ORDER))
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"],
                                    input=json.dumps({"amount": 5, "fail": True}))["executionArn"]
    lab.run_until_idle()
    source = helpers.draw_state_machine(execution, lab=lab).source
    found = edges(source)
    assert CAUGHT_COLOR in node(source, "s_Charge") and "failed, caught" in node(source, "s_Charge")
    assert ERROR_COLOR in node(source, "s_Failed")
    assert OK_COLOR in node(source, "s_Check") and OK_COLOR in node(source, "s_Refund")
    assert MUTED in node(source, "s_Review") and MUTED in node(source, "s_Done")
    assert OK_COLOR in found[("s_Check", "s_Charge")][0] and OK_COLOR not in found[("s_Check", "s_Review")][0]
    assert OK_COLOR in found[("s_Charge", "s_Refund")][0] and OK_COLOR not in found[("s_Charge", "s_Prepare")][0]
    assert "retried 2×" in found[("s_Charge", "s_Charge")][0]
    assert "execution FAILED" in source


SENDER = """
import os, boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="hi")
    if event.get("fail"):
        raise ValueError("no")
    return {}
"""


@pytest.fixture
def sender(lab):
    url = boto3.client("sqs").create_queue(QueueName="audit")["QueueUrl"]
    boto3.client("lambda").create_function(
        FunctionName="sender", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(SENDER)}, Environment={"Variables": {"QUEUE_URL": url}})


def test_sequence_of_a_synchronous_flow(lab, sender):
    lab.advance(seconds=2)
    boto3.client("lambda").invoke(FunctionName="sender", Payload=b"{}")
    source = helpers.draw_sequence("last", lab).source
    header = re.search(r"subgraph header \{(.*?)\}", source, re.S).group(1)
    order = re.findall(r"^\s*(p_\S+) \[", header, re.M)
    assert order == ["p_client__client", "p_lambda__sender", "p_sqs__audit"]
    found = edges(source)
    assert "label=Invoke" in found[("p_client__client__0", "p_lambda__sender__0")][0]
    assert "label=SendMessage" in found[("p_lambda__sender__1", "p_sqs__audit__1")][0]
    response = found[("p_lambda__sender__3", "p_client__client__3")][0]
    assert "style=dotted" in response and "ok ·" in response
    assert 'label="+2.000 s"' in source and "shape=note" in node(source, "p_sqs__audit__2")


def test_sequence_of_async_retries_shows_attempts_dashed_and_failures_red(lab, sender):
    """aws-semantics 1.2 [L1]: three attempts at +0, +60 s, +180 s, each failure visible."""
    boto3.client("lambda").invoke(FunctionName="sender", InvocationType="Event", Payload=b'{"fail": true}')
    lab.run_until_idle()
    source = helpers.draw_sequence("last", lab).source
    attempts = [attrs for (tail, head), many in edges(source).items() for attrs in many
                if tail.startswith("p_lambda-async__sender") and head.startswith("p_lambda__sender")]
    assert len(attempts) == 3
    assert all("style=dashed" in a and ERROR_COLOR in a and "ValueError" in a for a in attempts)
    assert {'label="+0.000 s"', 'label="+60.000 s"', 'label="+180.000 s"'} <= set(re.findall(r'label="\+[\d.]+ s"', source))


def test_service_map_counts_calls_and_errors(lab, sender):
    lambda_ = boto3.client("lambda")
    lambda_.invoke(FunctionName="sender", Payload=b"{}")
    lambda_.invoke(FunctionName="sender", Payload=b'{"fail": true}')
    source = helpers.draw_service_map(lab.trace()).source
    sender_node = node(source, "p_lambda__sender")
    assert "2 calls · 1 error" in sender_node and ERROR_COLOR in sender_node
    assert "2 calls" in node(source, "p_sqs__audit")
    found = edges(source)
    assert "×2" in found[("p_client__client", "p_lambda__sender")][0]
    assert "×2 (1 failed)" in found[("p_lambda__sender", "p_client__client")][0]


def test_an_archive_is_drawn_on_its_bus_without_its_internal_rule(lab):
    """CreateArchive makes a rule `Events-Archive-<name>` managed by EventBridge, whose target is no lab
    resource: the diagram shows the archive (and its pattern) on its bus, not that rule or target."""
    events = boto3.client("events")
    bus = events.create_event_bus(Name="bistro")["EventBusArn"]
    events.put_rule(Name="order-placed", EventBusName="bistro", EventPattern=json.dumps({"source": ["bistro"]}))
    events.create_archive(ArchiveName="bistro-orders", EventSourceArn=bus,
                          EventPattern=json.dumps({"source": ["bistro"], "detail-type": ["OrderPlaced"]}))
    events.create_archive(ArchiveName="everything", EventSourceArn=bus)
    assert any(r["Name"] == "Events-Archive-bistro-orders" for r in events.list_rules(EventBusName="bistro")["Rules"])
    source = helpers.draw_architecture(lab).source
    found = edges(source)
    assert "Events-Archive" not in source and "(not in the lab)" not in source
    assert "transformed input" not in source and "<B>:</B>" not in source
    archive = node(source, "events-archive__bistro-orders")
    assert "shape=folder" in archive and "{source:[bistro],detail-type:[OrderPlaced]}" in archive
    assert "replay-name" not in archive  # the pattern as written, not the internal rule's
    assert "<FONT" not in node(source, "events-archive__everything")  # no pattern, no note
    cluster = re.search(r'subgraph "cluster_bus_events-bus__bistro" \{(.*?)\n\t\}', source, re.S).group(1)
    assert "events-archive__bistro-orders" in cluster and "events-archive__everything" in cluster
    for name in ("bistro-orders", "everything"):
        assert "style=dotted" in found[("events-bus__bistro", f"events-archive__{name}")][0]
    assert set(found) == {("events-bus__bistro", "events-rule__order-placed"),
                          ("events-bus__bistro", "events-archive__bistro-orders"),
                          ("events-bus__bistro", "events-archive__everything")}
    assert "legend_events-archive" in source and "bus keeps matching events in archive" in source


def test_an_archive_on_the_default_bus_shows_that_bus(lab):
    events = boto3.client("events")
    default = events.describe_event_bus()["Arn"]
    events.create_archive(ArchiveName="all-default", EventSourceArn=default)
    source = helpers.draw_architecture(lab).source
    assert ("events-bus__default", "events-archive__all-default") in edges(source)
    assert "Events-Archive" not in source


def test_sequence_draws_one_participant_per_rule_on_a_custom_bus(lab, sender):
    """A rule's match, its deliveries and the Lambda attempts it triggers share one participant:
    `bistro/<rule>` on bus bistro, `<rule>` on the default bus."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="audit")["QueueUrl"]
    audit = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sender_arn = boto3.client("lambda").get_function(FunctionName="sender")["Configuration"]["FunctionArn"]
    events.create_event_bus(Name="bistro")
    pattern = json.dumps({"source": ["bistro"]})
    for bus in ("bistro", "default"):
        events.put_rule(Name="order-placed", EventBusName=bus, EventPattern=pattern)
        events.put_targets(Rule="order-placed", EventBusName=bus, Targets=[{"Id": "sender", "Arn": sender_arn}])
    events.put_rule(Name="audit", EventBusName="bistro", EventPattern=pattern)
    events.put_targets(Rule="audit", EventBusName="bistro", Targets=[{"Id": "audit", "Arn": audit}])
    for bus in ("bistro", "default"):
        events.put_events(Entries=[{"Source": "bistro", "DetailType": "OrderPlaced", "Detail": "{}",
                                    "EventBusName": bus}])
    lab.run_until_idle()
    source = helpers.draw_sequence(lab.trace(), lab).source
    header = re.search(r"subgraph header \{(.*?)\}", source, re.S).group(1)
    rules = re.findall(r'^\s*"?p_events-rule__(\S+?)"? \[label="?([^" ]+)"?', header, re.M)
    assert sorted(rules) == [("bistro_audit", "bistro/audit"), ("bistro_order-placed", "bistro/order-placed"),
                             ("order-placed", "order-placed")]
    arrows = {(tail.rsplit("__", 1)[0], head.rsplit("__", 1)[0], re.search(r'label="?(\w+)', a).group(1))
              for (tail, head), many in edges(source).items() for a in many if "label=" in a}
    for rule in ("p_events-rule__bistro_order-placed", "p_events-rule__order-placed"):
        bus = "p_events-bus__" + ("bistro" if "bistro" in rule else "default")
        assert {(bus, rule, "match"), (rule, "p_lambda-async__sender", "deliver")} <= arrows
        assert not {a for a in arrows if a[0] == rule and a[1] == "p_lambda__sender"}  # via the event queue
    assert ("p_lambda-async__sender", "p_lambda__sender", "attempt") in arrows
    assert {("p_events-bus__bistro", "p_events-rule__bistro_audit", "match"),
            ("p_events-rule__bistro_audit", "p_sqs__audit", "deliver")} <= arrows
    assert not {a for a in arrows if "audit" in a[0] and a[1] == "p_lambda__sender"}


@pytest.fixture
def subscribed(lab):
    """Topic `news` with Lambda `fan` subscribed; two messages published, the first attempt fails once."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=make_function(lab, "fan"))
    lab.faults.fail("fan", times=1)
    for n in range(2):
        sns.publish(TopicArn=topic, Message=json.dumps({"n": n}))
    lab.run_until_idle()


def arrows_between(source: str, tail: str, head: str) -> list[str]:
    """The attributes of every sequence-diagram arrow from lane `tail` to lane `head`."""
    return [a for (t, h), many in edges(source).items() for a in many
            if t.rsplit("__", 1)[0] == tail and h.rsplit("__", 1)[0] == head]


def test_sequence_of_an_sns_subscription_goes_through_the_event_queue(lab, subscribed):
    """aws-semantics 1.2, 5: SNS invokes Lambda asynchronously: one delivery per message to the function's
    event queue, which makes the attempts (the failed one red, then its retry a minute later)."""
    source = helpers.draw_sequence(lab.trace(), lab).source
    deliveries = arrows_between(source, "p_sns__news", "p_lambda-async__fan")
    attempts = arrows_between(source, "p_lambda-async__fan", "p_lambda__fan")
    assert len(deliveries) == 2 and all("deliver #1" in a and "style=dashed" in a for a in deliveries)
    assert len(attempts) == 3 and sum(ERROR_COLOR in a for a in attempts) == 1
    assert [a for a in attempts if ERROR_COLOR in a][0].count("InjectedFault") == 1
    assert sum("attempt 2" in a for a in attempts) == 1
    assert not arrows_between(source, "p_sns__news", "p_lambda__fan")


def test_service_map_counts_deliveries_to_the_event_queue_and_attempts_from_it(lab, subscribed):
    source = helpers.draw_service_map(lab.trace()).source
    found = edges(source)
    assert 'label="×2"' in found[("p_sns__news", "p_lambda-async__fan")][0]
    assert 'label="×3 (1 failed)"' in found[("p_lambda-async__fan", "p_lambda__fan")][0]
    assert ("p_sns__news", "p_lambda__fan") not in found
    assert "2 calls" in node(source, "p_lambda-async__fan") and "error" not in node(source, "p_lambda-async__fan")
    assert "3 calls · 1 error" in node(source, "p_lambda__fan")


def test_a_wide_drawing_fits_the_content_column_or_scrolls_and_says_so():
    """design.md (diagrams fit the content column, about 750 px): a drawing a little too wide is scaled
    down to 562 pt (749 px); one that would need a scale under 0.7 keeps 0.7 and scrolls sideways, with
    a note that says so; a narrow one keeps its size."""
    def chain(length: int) -> graphviz.Digraph:
        graph = graphviz.Digraph(graph_attr={"rankdir": "LR"})
        for i in range(length):
            graph.edge(f"participant {i}", f"participant {i + 1}")
        return graph

    def width(svg: str) -> float:
        return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))

    natural = width(chain(3).pipe(format="svg", encoding="utf-8"))
    assert 562 < natural < 562 / 0.7, natural        # a little too wide
    fitted = Diagram(chain(3))
    assert width(fitted.svg()) <= 563 and not fitted.scrolls
    assert list(fitted._repr_mimebundle_()) == ["image/svg+xml"]
    wide = Diagram(chain(30))
    assert wide.scrolls and width(wide.svg()) > 563
    bundle = wide._repr_mimebundle_()
    assert "data-scroll-note" in bundle["text/html"] and "scroll sideways" in bundle["text/html"]
    narrow = graphviz.Digraph()
    narrow.edge("a", "b")
    assert width(Diagram(narrow).svg()) < 100 and "size" not in wide.graph.graph_attr


def test_every_state_machine_of_the_series_fits_the_content_column_without_scrolling():
    """Issue 9 (every diagram fits the page, the site's column is about 750 px): the Bistro's order
    (notebook 05), the hybrid's kitchen (06) and the power tuner (07) are drawn at a readable scale
    (>= 0.8) without a scroll box: long Task subtitles and conditions wrap, and a retrier of several
    errors is summarised on its loop, its errors in full in the loop's tooltip."""
    from helpers.diagrams.render import MAX_WIDTH_PT

    def width(svg: str) -> float:
        return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))

    for path in ("orchestration/order.asl.json", "hybrid/kitchen.asl.json", "tuner/statemachine.asl.json"):
        diagram = helpers.draw_state_machine(json.loads((NOTEBOOK_BISTRO / path).read_text()))
        natural = width(diagram.graph.pipe(format="svg", encoding="utf-8"))
        assert natural <= MAX_WIDTH_PT / 0.8 and not diagram.scrolls, (path, natural)
    order = helpers.draw_state_machine(json.loads((NOTEBOOK_BISTRO / "orchestration/order.asl.json").read_text()))
    loop = edges(order.source)[("s_PayAndCook.b1.CookLines.b0.PrepareLine",) * 2][0]
    assert "↻ Retry ×3, 2 s × 2\\non 4 Lambda errors" in loop
    assert 'tooltip="Lambda.ServiceException, Lambda.AWSLambdaException, Lambda.SdkClientException, ' \
           'Lambda.TooManyRequestsException"' in loop
    courier = node(order.source, "s_OfferToCourier")
    assert "lambda:invoke.waitForTaskToken</FONT><BR/>" in courier and "→ bistro-dispatch-courier" in courier
    long = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D", "Choices": [
        {"Variable": "$.order.payment.provider_response.Error", "IsPresent": True, "Next": "D"}]},
        "D": {"Type": "Succeed"}}}
    assert 'label="$.order.payment.provider_response.Error\\nis present"' in \
        edges(helpers.draw_state_machine(long).source)[("s_C", "s_D")][0]
