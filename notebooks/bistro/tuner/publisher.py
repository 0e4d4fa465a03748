"""Publisher: one configuration per call (the state machine loops): memory, version, alias."""
from utils import create_power_configuration


def handler(event, context):
    configurations = event["lambdaConfigurations"]
    iterator = configurations["iterator"]
    current = configurations["initConfigurations"][iterator["index"]]
    create_power_configuration(event["lambdaARN"], current["powerValue"], current.get("alias"))
    index = iterator["index"] + 1
    result = {"powerValues": configurations["powerValues"],
              "iterator": {"index": index, "count": iterator["count"], "continue": index < iterator["count"]}}
    if result["iterator"]["continue"]:
        result["initConfigurations"] = configurations["initConfigurations"]
    return result
