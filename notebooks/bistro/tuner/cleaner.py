"""Cleaner: delete the aliases RAM<power> and the versions they point at."""
from utils import alias_name, lambda_client


def handler(event, context):
    client, arn = lambda_client(), event["lambdaARN"]
    for power in event["lambdaConfigurations"]["powerValues"]:
        try:
            version = client.get_alias(FunctionName=arn, Name=alias_name(power))["FunctionVersion"]
        except client.exceptions.ResourceNotFoundException:
            continue                            # "OK, even if version/alias was not found"
        client.delete_alias(FunctionName=arn, Name=alias_name(power))
        client.delete_function(FunctionName=arn, Qualifier=version)
    return "OK"
