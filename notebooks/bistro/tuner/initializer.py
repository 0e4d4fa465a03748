"""Initializer: list the configurations to publish, one per power value, then the original one."""
import os

from utils import alias_name, lambda_client


def handler(event, context):
    arn, num = event.get("lambdaARN"), int(event.get("num") or 0)
    if not arn:
        raise ValueError("Missing or empty lambdaARN")
    if num < 5:
        raise ValueError("Missing num or num below 5")
    powers = event.get("powerValues") or [int(p) for p in os.environ["defaultPowerValues"].split(",")]
    original = lambda_client().get_function_configuration(FunctionName=arn, Qualifier="$LATEST")
    configurations = [{"powerValue": p, "alias": alias_name(p)} for p in powers]
    configurations.append({"powerValue": original["MemorySize"]})  # publish the original last: it is restored
    return {"initConfigurations": configurations, "powerValues": powers,
            "iterator": {"index": 0, "count": len(configurations), "continue": True}}
