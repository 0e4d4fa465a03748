"""AWS's us-east-1 prices for Lambda and Step Functions, from data/lambda-prices.json (sources and the
date read are in that file and in data/README.md): the one place the notebooks and helpers take them from."""
from __future__ import annotations

from typing import Any

from .data import load

#: data/lambda-prices.json: AWS Lambda's us-east-1 price table, with its sources (data/README.md).
PRICE_FILE = "lambda-prices.json"
ARCHITECTURES = ("x86_64", "arm64")


def prices() -> dict[str, Any]:
    """The price table (us-east-1, USD)."""
    return load(PRICE_FILE)


def gb_second_price(architecture: str = "x86_64", table: dict | None = None) -> float:
    """Price of one GB-second on `architecture`, in the first monthly tier (what most accounts pay)."""
    table = table or prices()
    if architecture not in table["duration"]:
        raise ValueError(f"Unknown architecture {architecture!r}: use one of {', '.join(ARCHITECTURES)}.")
    return table["duration"][architecture][0]["price_per_gb_second"]


def request_price(table: dict | None = None) -> float:
    """Price of one request (invocation)."""
    return (table or prices())["requests"]["price_per_million"] / 1e6


def state_transition_price(table: dict | None = None) -> float:
    """Price of one Step Functions Standard state transition."""
    return (table or prices())["step_functions_standard"]["price_per_state_transition"]
