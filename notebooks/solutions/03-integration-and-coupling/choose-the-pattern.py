# Solution: choose the pattern.
choices = {
    "card-check": "sync",
    "ticket-printer": "queue",
    "new-teams": "bus",
}
why = {
    "card-check": "The page needs the answer before it loads, so the caller must wait for it.",
    "ticket-printer": "A queue keeps the tickets through an hour's jam and lets the printer take them at its own pace.",
    "new-teams": "The order service names no consumer; each team adds a rule that filters on the event's content.",
}
