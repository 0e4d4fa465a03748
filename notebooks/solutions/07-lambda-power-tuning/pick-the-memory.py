# Solution: pick the memory.
fast = resizer[resizer["duration (ms)"] < 5]                   # the sizes that meet the goal
per_request = prices["requests"]["price_per_million"] / 1e6
costs = {(memory, arch): per_request + fast.loc[memory, "billed (ms)"] / 1000 * memory / 1024
         * prices["duration"][arch][0]["price_per_gb_second"]
         for memory in fast.index for arch in ("x86_64", "arm64")}
memory_mb, architecture = min(costs, key=costs.get)            # the cheapest of them
monthly_cost = 10_000_000 * costs[memory_mb, architecture]
