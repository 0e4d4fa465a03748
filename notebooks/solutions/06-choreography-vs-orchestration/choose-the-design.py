# Exercise choose-the-design: a solution.
choices = {"new-teams": "choreography", "catering": "orchestration", "bakery": "hybrid"}
why = {
    "new-teams": "independent teams each subscribe to the fact with a rule of their own; nobody else changes",
    "catering": "one process whose state the manager must see, with a two-day wait and compensations in reverse order",
    "bakery": "events between the teams keep them independent; inside the bakery its own steps are a state machine",
}
