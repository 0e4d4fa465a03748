"""Regenerate orders.json from menu.json: `python data/make_orders.py` (deterministic, seed 2026)."""
from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SEED, COUNT = 2026, 300
REGIONS = ["north", "south", "east", "west"]
PAYMENT_METHODS = ["card", "card", "card", "wallet", "cash"]
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)


def make_orders() -> list[dict]:
    rng = random.Random(SEED)
    menu = json.loads((HERE / "menu.json").read_text())["items"]
    orders, at = [], START
    for number in range(1, COUNT + 1):
        at += dt.timedelta(seconds=rng.randint(20, 240))
        picks = rng.sample(menu, rng.randint(1, 4))
        lines = [{"item_id": item["id"], "name": item["name"], "quantity": rng.randint(1, 3),
                  "unit_price": item["price"]} for item in picks]
        total = round(sum(line["quantity"] * line["unit_price"] for line in lines), 2)
        method = rng.choice(PAYMENT_METHODS)
        orders.append({
            "order_id": f"ord-{number:04d}",
            "customer_id": f"cust-{rng.randint(1, 120):03d}",
            "restaurant_region": rng.choice(REGIONS),
            "placed_at": at.isoformat().replace("+00:00", "Z"),
            "items": lines,
            "total": total,
            "currency": "USD",
            "payment_method": method,
            # About one card payment in twelve is declined: the choreography and saga lessons use it.
            "payment_will_decline": method == "card" and rng.random() < 1 / 12,
        })
    return orders


if __name__ == "__main__":
    (HERE / "orders.json").write_text(json.dumps(make_orders(), indent=1) + "\n")
