"""Optimizer: with autoOptimize, set the function's memory to the optimal power value."""
from utils import lambda_client


def handler(event, context):
    if not event.get("autoOptimize"):
        return "Not optimizing"
    lambda_client().update_function_configuration(FunctionName=event["lambdaARN"],
                                                  MemorySize=int(event["analysis"]["power"]))
    return "OK"
