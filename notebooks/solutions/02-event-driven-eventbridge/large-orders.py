# Exercise: complete the pattern (keep source and detail-type; add what goes under "detail").
large_north_orders = {
    "source": ["bistro.orders"],
    "detail-type": ["OrderPlaced"],
    "detail": {
        "restaurant_region": ["north"],
        "total": [{"numeric": [">", 50]}],
    },
}
