"""Price a batch of orders: pure Python arithmetic, one thread (CPU-bound)."""


def handler(event, context):
    total = 0
    for line in range(event.get("lines", 4000)):
        total = (total * 31 + line) % 1_000_003      # the per-line tax, discount and rounding rules
    return {"checksum": total}
