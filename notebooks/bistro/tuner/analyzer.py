"""Analyzer: pick the optimal power value with the cost, speed or balanced strategy."""
from utils import step_functions_cost


def find_cheapest(stats, weight=None):
    return min(stats, key=lambda s: (s["cost"], s["duration"]))       # same cost: the faster


def find_fastest(stats, weight=None):
    return min(stats, key=lambda s: (s["duration"], s["cost"]))       # same speed: the cheaper


def find_balanced(stats, weight):
    """Minimise weight * cost / max cost + (1 - weight) * duration / max duration."""
    max_cost = max(s["cost"] for s in stats)
    max_duration = max(s["duration"] for s in stats)
    return min(stats, key=lambda s: weight * s["cost"] / max_cost + (1 - weight) * s["duration"] / max_duration)


STRATEGIES = {"cost": find_cheapest, "speed": find_fastest, "balanced": find_balanced}


def handler(event, context):
    stats = [{"power": s["value"], "cost": s["averagePrice"], "duration": s["averageDuration"],
              "totalCost": s["totalCost"]} for s in event["stats"] if s and s.get("averageDuration")]
    if not stats:
        raise ValueError(f"Wrong input {event}")
    weight = min(max(event.get("balancedWeight", 0.5), 0.0), 1.0)
    optimal = dict(STRATEGIES[event.get("strategy", "cost")](stats, weight))
    optimal["stateMachine"] = {"executionCost": step_functions_cost(len(event["stats"])),
                               "lambdaCost": sum(s["totalCost"] for s in stats)}
    del optimal["totalCost"]
    if event.get("includeOutputResults"):
        optimal["stats"] = [{"value": s["value"], "averagePrice": s["averagePrice"],
                             "averageDuration": s["averageDuration"]} for s in event["stats"]]
    return optimal
