"""The Lambda Bistro as a hybrid (notebook 06): contexts on a bus, a state machine inside the kitchen.

Between the bounded contexts nothing changes from notebook 04: ordering, payment, delivery and
notifications are the same functions reacting to the same events. Only the kitchen works
differently inside: its rule on the bus starts an execution of the kitchen's own state machine
(`notebooks/bistro/hybrid/kitchen.asl.json`), which takes the portions, cooks each line with retries
and publishes `OrderPrepared` or `OrderRejected` to the bus itself (a direct integration, no code).

    from helpers.bistro import hybrid
    arns = hybrid.deploy()                 # bus, four choreographed contexts, the kitchen's machine
    choreography.place("ord-0042")         # orders come in exactly as in notebook 04
"""
from __future__ import annotations

import json


from ..cleanup import delete_if_exists
from ..clients import client
from ..lab import current
from ..packaging import zip_code
from ..source import read_code
from . import choreography

CODE = "bistro/hybrid/kitchen.py"
DEFINITION_FILE = "bistro/hybrid/kitchen.asl.json"
STATE_MACHINE = "kitchen-order"
#: The kitchen's functions: the state machine's Task states call them, each one step.
FUNCTIONS = {"kitchen-take-portions": "take_portions", "kitchen-prepare-line": "prepare_line",
             "kitchen-give-back": "give_back"}
#: The contexts that stay choreographed exactly as in notebook 04.
CHOREOGRAPHED = ("ordering", "payment", "delivery", "notifications")


def deploy_kitchen() -> dict[str, str]:
    """The kitchen context, orchestrated inside: its table (stocked), three functions, its state
    machine, and its rule on the bus, whose target is the state machine. Returns {name: ARN}."""
    kitchen = choreography.CONTEXTS["kitchen"]
    lambda_, sfn, events = client("lambda"), client("stepfunctions"), client("events")
    delete_if_exists("function", kitchen.name)            # notebook 04's kitchen function, if deployed
    choreography.deploy_context(kitchen)                   # table, stock, and (replaced below) its rule
    delete_if_exists("function", kitchen.name)
    role = current().role_arn
    arns = {}
    for name, handler in FUNCTIONS.items():
        delete_if_exists("function", name)
        arns[name] = lambda_.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler=f"kitchen.{handler}",
            Code={"ZipFile": zip_code(read_code(CODE), "kitchen.py")}, Timeout=10,
            Environment={"Variables": {"TABLE_NAME": kitchen.table_name}})["FunctionArn"]
    delete_if_exists("state_machine", STATE_MACHINE)
    arns[STATE_MACHINE] = sfn.create_state_machine(
        name=STATE_MACHINE, definition=read_code(DEFINITION_FILE), roleArn=role)["stateMachineArn"]
    events.remove_targets(Rule=kitchen.rule, EventBusName=choreography.BUS, Ids=[kitchen.name])
    events.put_targets(Rule=kitchen.rule, EventBusName=choreography.BUS, Targets=[
        {"Id": STATE_MACHINE, "Arn": arns[STATE_MACHINE], "RoleArn": role}])
    return arns


def deploy() -> dict[str, str]:
    """The hybrid Bistro on a new bus: the four choreographed contexts and the orchestrated kitchen."""
    arns = choreography.deploy(CHOREOGRAPHED)
    return arns | deploy_kitchen()


def definition() -> dict[str, object]:
    """The kitchen's state machine definition, parsed."""
    return json.loads(read_code(DEFINITION_FILE))


def kitchen_execution(order_id: str) -> dict[str, object]:
    """The kitchen's newest execution for an order: DescribeExecution's answer. EventBridge names the
    executions, so this one is found by its input (the PaymentSucceeded event)."""
    sfn = client("stepfunctions")
    machine = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
                   if m["name"] == STATE_MACHINE)
    executions = (execution for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
                  for execution in page["executions"])
    for execution in executions:                          # newest first
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if json.loads(described["input"])["detail"]["order_id"] == order_id:
            return described
    raise LookupError(f"no kitchen execution for {order_id}")
