"""Executor: invoke the function `num` times at one power value; average its duration and price."""
import json
import os

from utils import (alias_name, average_duration, base_cost, compute_price, durations, invoke,
                   lambda_client)


def handler(event, context):
    tuning, value = event["input"], int(event["value"])
    arn, num = tuning["lambdaARN"], int(tuning["num"])
    discard = min(max(tuning.get("discardTopBottom", 0.2), 0.0), 0.4)
    alias = alias_name(value)
    architecture = lambda_client().get_function_configuration(
        FunctionName=arn, Qualifier=alias).get("Architectures", ["x86_64"])[0]
    payload = json.dumps(tuning.get("payload", {}))
    results = []
    for _ in range(num):                        # in series (parallelInvocation false, the default)
        response = invoke(arn, alias, payload)
        if "FunctionError" in response:
            raise RuntimeError(f"Invocation error: {response['Payload'].read().decode()}")
        results.append(response)
    billed = durations(results, "billedDurationMs")
    min_cost, min_ram = base_cost(architecture), int(os.environ["minRAM"])
    return {"value": value,
            "averageDuration": average_duration(durations(results, "durationMs", "initDurationMs"), discard),
            "averagePrice": compute_price(min_cost, min_ram, value, average_duration(billed, discard)),
            "totalCost": sum(compute_price(min_cost, min_ram, value, ms) for ms in billed)}
