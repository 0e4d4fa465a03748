"""Real-AWS mode: a notebook's functions, queues, rules and state machines deployed to YOUR account.

Off unless you turn it on, with your own profile, in a kernel where the lab is not running (the
lab's sandbox refuses every request to AWS):

    from helpers import realaws
    app = realaws.Deployment([
        realaws.Function("kitchen", code),
        realaws.Queue("orders"),
        realaws.Rule("placed", pattern={"source": ["shop"]}, targets=["kitchen", "orders"]),
        realaws.StateMachine("flow", {"StartAt": "Cook", "States": {"Cook": {
            "Type": "Task", "Resource": "${kitchen}", "End": True}}}),
    ], profile="my-sandbox", region="eu-west-1", enable=True)
    print(app.plan())                 # what it will create, and what it may cost
    with app.deploy(confirm=True):    # created, tagged; removed again on leaving the block, error or not
        app.client("lambda").invoke(FunctionName=app.name("kitchen"))

Every resource is named `<prefix>-<deployment id>-<name>` and tagged `serverless-patterns-lab=<id>`.
`${name}` in a state machine definition becomes that resource's ARN. This module's tests run it
against the lab's own server only: it has not been run against AWS in the project's tests.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.exceptions import ClientError

from .packaging import zip_code
from .prices import gb_second_price, request_price, state_transition_price

TAG_KEY = "serverless-patterns-lab"
#: What AWSLambdaBasicExecutionRole allows (writing the function's logs), inline so it goes with the role.
BASIC_EXECUTION = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*"}]}
#: us-east-1 list prices (USD) the estimate uses: Lambda [L23][L30], Step Functions Standard [S3],
#: SQS standard queues [WS1], EventBridge custom events [WS2] (aws-semantics.md, Sources).
PRICES = {"lambda_request": request_price(), "lambda_gb_second": gb_second_price(), "sqs_request": 0.40 / 1e6,
          "eventbridge_event": 1.00 / 1e6, "stepfunctions_transition": state_transition_price()}


class RealAwsDisabled(RuntimeError):
    """Real-AWS mode was not turned on, or cannot run here."""


@dataclass
class Function:
    """A Lambda function from handler code (zipped with `helpers.zip_code`)."""

    name: str
    source: str | dict[str, str]
    handler: str = "lambda_function.handler"
    runtime: str = "python3.12"
    memory_mb: int = 128
    timeout_s: int = 3
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class Queue:
    """A standard SQS queue."""

    name: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Rule:
    """An EventBridge rule on the default bus; `targets` name functions and queues of the deployment."""

    name: str
    pattern: dict[str, Any]
    targets: list[str] = field(default_factory=list)


@dataclass
class StateMachine:
    """A Standard state machine; `${name}` in the definition becomes the ARN of that resource."""

    name: str
    definition: dict[str, Any]


Resource = Function | Queue | Rule | StateMachine
_ORDER = (Queue, Function, StateMachine, Rule)  # what a later kind refers to is created first


@dataclass
class Created:
    """One thing made in the account, with what it takes to remove it."""

    kind: str
    name: str
    arn: str


class Deployment:
    """Resources to deploy to a real account (or, in the lab's tests, to the lab's server)."""

    def __init__(self, resources: list[Resource], *, profile: str, region: str, enable: bool = False,
                 prefix: str = "spl", endpoint_url: str | None = None, config_file: str | None = None,
                 credentials_file: str | None = None) -> None:
        if not enable:
            raise RealAwsDisabled("Real-AWS mode is off: pass enable=True (and your own profile) to deploy to "
                                  "your AWS account. It creates billable resources; the lab never does otherwise.")
        if not profile:
            raise RealAwsDisabled("Name your own AWS CLI profile (profile='...'): real-AWS mode uses no default credentials.")
        if endpoint_url is None and _lab_running():
            raise RealAwsDisabled("The lab is running in this kernel and its sandbox refuses every request to AWS. "
                                  "Use real-AWS mode from a fresh kernel that does not call helpers.start().")
        self.resources = sorted(resources, key=lambda r: _ORDER.index(type(r)))
        self.deployment_id = secrets.token_hex(3)
        self.prefix = prefix
        self.region = region
        self.endpoint_url = endpoint_url
        core = botocore.session.Session(profile=profile)
        for variable, value in (("config_file", config_file), ("credentials_file", credentials_file)):
            if value:
                core.set_config_variable(variable, value)
        self.session = boto3.Session(botocore_session=core, region_name=region)
        self.created: list[Created] = []
        self._arns: dict[str, str] = {}

    # -- naming and clients ---------------------------------------------------------------------
    def name(self, logical: str) -> str:
        """The name a resource has in the account: `<prefix>-<deployment id>-<name>`."""
        return f"{self.prefix}-{self.deployment_id}-{logical}"

    def arn(self, logical: str) -> str:
        """The ARN of a created resource, by its name in the notebook."""
        return self._arns[logical]

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url)

    @property
    def tags(self) -> dict[str, str]:
        return {TAG_KEY: self.deployment_id}

    # -- the plan -------------------------------------------------------------------------------
    def plan(self, runs: int = 1000, duration_ms: int = 100) -> str:
        """What `deploy` will create, and what `runs` uses of everything may cost at list prices."""
        lines = [f"Real-AWS mode will create in region {self.region}, tagged {TAG_KEY}={self.deployment_id}:"]
        roles = (["an IAM role for the functions (may write their logs, as AWSLambdaBasicExecutionRole)"]
                 if any(isinstance(r, Function) for r in self.resources) else [])
        roles += [f"an IAM role for state machine {r.name} (may invoke the deployment's functions)"
                  for r in self.resources if isinstance(r, StateMachine)]
        lines += [f"  - {text}" for text in roles]
        for resource in self.resources:
            lines.append(f"  - {type(resource).__name__} {self.name(resource.name)}" + _detail(resource))
        cost = self.estimate(runs, duration_ms)
        lines.append(f"Estimated cost of {runs:,} runs (each function {duration_ms} ms, each queue a message, each "
                     f"rule an event, each state machine an execution): ${cost:.4f} at us-east-1 list prices, "
                     "before the free tier. Nothing here bills while idle; CloudWatch Logs stores what functions print.")
        lines.append("Everything is removed again when the `with app.deploy(confirm=True):` block ends, or on failure.")
        return "\n".join(lines)

    def estimate(self, runs: int = 1000, duration_ms: int = 100) -> float:
        """US dollars for `runs` uses of every resource (see PRICES)."""
        total = 0.0
        for resource in self.resources:
            if isinstance(resource, Function):
                gb_seconds = resource.memory_mb / 1024 * duration_ms / 1000
                total += runs * (PRICES["lambda_request"] + gb_seconds * PRICES["lambda_gb_second"])
            elif isinstance(resource, Queue):
                total += runs * 3 * PRICES["sqs_request"]  # send, receive, delete
            elif isinstance(resource, Rule):
                total += runs * PRICES["eventbridge_event"]
            else:
                transitions = len(resource.definition.get("States", {})) + 1
                total += runs * transitions * PRICES["stepfunctions_transition"]
        return total

    # -- deploying and removing -----------------------------------------------------------------
    def deploy(self, confirm: bool = False) -> "Deployment":
        """Create everything (only with confirm=True; otherwise print the plan and create nothing)."""
        print(self.plan())
        if not confirm:
            print("Nothing was created: call deploy(confirm=True) to go ahead.")
            return self
        try:
            for resource in self.resources:
                getattr(self, f"_create_{type(resource).__name__.lower()}")(resource)
        except BaseException:
            self.remove()
            raise
        return self

    def __enter__(self) -> "Deployment":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def remove(self) -> list[str]:
        """Delete everything this deployment created, newest first; returns what was removed."""
        removed = []
        while self.created:
            item = self.created.pop()
            try:
                getattr(self, f"_delete_{item.kind}")(item)
            except ClientError as error:
                if "NotFound" not in error.response["Error"]["Code"] and "NoSuch" not in error.response["Error"]["Code"]:
                    raise
            removed.append(f"{item.kind} {item.name}")
        return removed

    def leftovers(self) -> list[str]:
        """Functions, queues, rules, state machines and roles still named for this deployment."""
        mine = self.name("")
        lambda_, sqs, events = self.client("lambda"), self.client("sqs"), self.client("events")
        found = [f["FunctionName"] for f in lambda_.list_functions()["Functions"]]
        found += [url.rsplit("/", 1)[-1] for url in sqs.list_queues(QueueNamePrefix=mine).get("QueueUrls", [])]
        found += [r["Name"] for r in events.list_rules(NamePrefix=mine).get("Rules", [])]
        found += [m["name"] for m in self.client("stepfunctions").list_state_machines()["stateMachines"]]
        found += [r["RoleName"] for r in self.client("iam").list_roles()["Roles"]]
        return sorted(name for name in found if name.startswith(mine))

    def _record(self, kind: str, logical: str, name: str, arn: str) -> None:
        self.created.append(Created(kind, name, arn))
        if logical:
            self._arns[logical] = arn

    def _role(self, logical: str, service: str, policy: dict[str, Any]) -> str:
        iam = self.client("iam")
        name = self.name(logical)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                         "Action": "sts:AssumeRole"}]}
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                              Tags=[{"Key": k, "Value": v} for k, v in self.tags.items()])["Role"]["Arn"]
        self._record("role", "", name, arn)
        iam.put_role_policy(RoleName=name, PolicyName="deployment", PolicyDocument=json.dumps(policy))
        return arn

    def _create_queue(self, queue: Queue) -> None:
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=self.name(queue.name), Attributes=queue.attributes, tags=self.tags)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._record("queue", queue.name, url, arn)

    def _create_function(self, function: Function) -> None:
        role = self._arns.get("__lambda_role__") or self._role("lambda", "lambda.amazonaws.com", BASIC_EXECUTION)
        self._arns["__lambda_role__"] = role
        lambda_ = self.client("lambda")
        name = self.name(function.name)
        arn = _retry_while_role_propagates(lambda: lambda_.create_function(
            FunctionName=name, Runtime=function.runtime, Role=role, Handler=function.handler,
            Code={"ZipFile": zip_code(function.source)}, MemorySize=function.memory_mb, Timeout=function.timeout_s,
            Environment={"Variables": function.environment}, Tags=self.tags))["FunctionArn"]
        self._record("function", function.name, name, arn)
        lambda_.get_waiter("function_active_v2").wait(FunctionName=name)

    def _create_statemachine(self, machine: StateMachine) -> None:
        functions = [arn for logical, arn in self._arns.items() if ":function:" in arn]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                          "Resource": functions or ["*"]}]}
        role = self._role(f"{machine.name}-states", "states.amazonaws.com", policy)
        definition = json.dumps(machine.definition)
        for logical, arn in self._arns.items():
            definition = definition.replace("${" + logical + "}", arn)
        name = self.name(machine.name)
        arn = _retry_while_role_propagates(lambda: self.client("stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=role,
            tags=[{"key": k, "value": v} for k, v in self.tags.items()]))["stateMachineArn"]
        self._record("statemachine", machine.name, name, arn)

    def _create_rule(self, rule: Rule) -> None:
        events = self.client("events")
        name = self.name(rule.name)
        arn = events.put_rule(Name=name, EventPattern=json.dumps(rule.pattern),
                              Tags=[{"Key": k, "Value": v} for k, v in self.tags.items()])["RuleArn"]
        self._record("rule", rule.name, name, arn)
        targets = []
        for index, logical in enumerate(rule.targets):
            target_arn = self.arn(logical)
            if ":function:" in target_arn:
                self.client("lambda").add_permission(
                    FunctionName=target_arn, StatementId=f"{name}-invoke", Action="lambda:InvokeFunction",
                    Principal="events.amazonaws.com", SourceArn=arn)
            else:
                self._allow_rule_to_send(target_arn, arn)
            targets.append({"Id": f"t{index}", "Arn": target_arn})
        if targets:
            events.put_targets(Rule=name, Targets=targets)

    def _allow_rule_to_send(self, queue_arn: str, rule_arn: str) -> None:
        url = next(item.name for item in self.created if item.arn == queue_arn)
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
        self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})

    def _delete_rule(self, item: Created) -> None:
        events = self.client("events")
        targets = events.list_targets_by_rule(Rule=item.name).get("Targets", [])
        if targets:
            events.remove_targets(Rule=item.name, Ids=[t["Id"] for t in targets])
        events.delete_rule(Name=item.name)

    def _delete_statemachine(self, item: Created) -> None:
        self.client("stepfunctions").delete_state_machine(stateMachineArn=item.arn)

    def _delete_function(self, item: Created) -> None:
        self.client("lambda").delete_function(FunctionName=item.name)
        try:  # the log group Lambda created for it
            self.client("logs").delete_log_group(logGroupName=f"/aws/lambda/{item.name}")
        except ClientError:
            pass

    def _delete_queue(self, item: Created) -> None:
        self.client("sqs").delete_queue(QueueUrl=item.name)

    def _delete_role(self, item: Created) -> None:
        iam = self.client("iam")
        for policy_name in iam.list_role_policies(RoleName=item.name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=item.name, PolicyName=policy_name)
        iam.delete_role(RoleName=item.name)


def _detail(resource: Resource) -> str:
    if isinstance(resource, Function):
        return f" ({resource.runtime}, {resource.memory_mb} MB, {resource.timeout_s} s)"
    if isinstance(resource, Rule):
        return f" (pattern {json.dumps(resource.pattern)} -> {', '.join(resource.targets) or 'no targets'})"
    if isinstance(resource, StateMachine):
        return f" ({len(resource.definition.get('States', {}))} states, Standard)"
    return ""


def _retry_while_role_propagates(create: Any, attempts: int = 10) -> Any:
    """A new IAM role takes seconds to reach Lambda and Step Functions; until then creation fails."""
    for attempt in range(attempts - 1):
        try:
            return create()
        except ClientError as error:
            if "assume" not in error.response["Error"].get("Message", "").lower():
                raise
            time.sleep(2 + attempt)
    return create()


def _lab_running() -> bool:
    from .lab import current

    try:
        current()
    except RuntimeError:
        return False
    return True
