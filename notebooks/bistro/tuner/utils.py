"""Shared code of the tuner's functions, a Python port of aws-lambda-power-tuning's lambda/utils.js.

Every tuner function's package holds this file beside its handler, as the real tool's do.
"""
import base64
import json
import math
import os
import re

import boto3

_LAMBDA = []


def lambda_client():
    """One Lambda client per execution environment, created on first use."""
    if not _LAMBDA:
        _LAMBDA.append(boto3.client("lambda"))
    return _LAMBDA[0]


def alias_name(power):
    return f"RAM{power}"


def create_power_configuration(arn, power, alias):
    """Set the memory, publish a version, point the alias RAM<power> at it (alias None: no alias)."""
    client = lambda_client()
    client.update_function_configuration(FunctionName=arn, MemorySize=int(power))
    client.get_waiter("function_updated").wait(FunctionName=arn)
    version = client.publish_version(FunctionName=arn)["Version"]
    if alias is None:
        return
    try:
        client.get_alias(FunctionName=arn, Name=alias)
        client.update_alias(FunctionName=arn, Name=alias, FunctionVersion=version)
    except client.exceptions.ResourceNotFoundException:
        client.create_alias(FunctionName=arn, Name=alias, FunctionVersion=version)


def invoke(arn, alias, payload):
    """Invoke the alias once and return the response with its log tail (it ends with REPORT)."""
    return lambda_client().invoke(FunctionName=arn, Qualifier=alias, Payload=payload, LogType="Tail")


# The tool's regular expressions for the REPORT line's fields (utils.js, getRegex).
_FIELDS = {"durationMs": r"\tDuration: (\d+\.\d+) ms", "initDurationMs": r"\tInit Duration: (\d+\.\d+) ms",
           "billedDurationMs": r"\tBilled Duration: (\d+) ms"}


def extract_duration(log, field):
    match = re.search(_FIELDS[field], log, re.M)
    return float(match.group(1)) if match else 0.0


def durations(results, *fields):
    """Per invocation, the sum of `fields` read from its log tail."""
    logs = [base64.b64decode(result.get("LogResult", "")).decode() for result in results]
    return [sum(extract_duration(log, field) for field in fields) for log in logs]


def average_duration(values, discard_top_bottom):
    """The trimmed mean: drop int(n * discard) values at each end, average the rest."""
    if not values:
        return 0
    dropped = int(len(values) * discard_top_bottom)
    kept = sorted(values)[dropped:len(values) - dropped]
    return sum(kept) / len(kept)


def compute_price(min_cost, min_ram, value, duration):
    """The tool's price of one invocation: whole milliseconds times the price of a millisecond at
    this power (the 128 MB price scaled by value / 128). The request price is not included."""
    return math.ceil(duration) * min_cost * (value / min_ram)


def base_cost(architecture):
    """Price of one millisecond at the smallest memory size (`baseCosts`, set at deploy time)."""
    return json.loads(os.environ["baseCosts"])[architecture]


def step_functions_cost(power_values):
    """The tool's estimate of its own state transitions: 6 + 3 per power value."""
    return round(float(os.environ["sfCosts"]) * (6 + 3 * power_values), 5)
