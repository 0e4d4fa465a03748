"""The check of notebook 06's exercise wants the right design *and* a reason that names what decides it."""
from __future__ import annotations

from helpers.checks.comparison import SCENARIOS, choose_the_design

RIGHT = {"new-teams": "choreography", "catering": "orchestration", "bakery": "hybrid"}
REASONED = {
    "new-teams": "each team subscribes on its own and nobody else has to change",
    "catering": "the manager must see where each order is, and failures need compensation in reverse",
    "bakery": "events between the teams keep them independent, a state machine inside the bakery runs its steps",
}


def test_right_choices_with_reasons_pass():
    verdict = choose_the_design(RIGHT, REASONED)
    assert verdict.passed and "for the right reasons" in verdict.message


def test_untouched_cell_says_not_yet_with_a_hint():
    verdict = choose_the_design({scenario: ... for scenario in SCENARIOS}, {scenario: "" for scenario in SCENARIOS})
    assert not verdict.passed and "0 of 3 fit" in verdict.message and "not chosen yet" in verdict.message
    assert verdict.hint


def test_any_four_words_are_not_a_reason():
    verdict = choose_the_design(RIGHT, {scenario: "because it is better" for scenario in SCENARIOS})
    assert not verdict.passed and "now say why" in verdict.message
    assert "does not name independent teams or consumers" in verdict.message
    assert "does not name between the contexts: events nor within the bakery: a workflow" in verdict.message


def test_a_hybrid_reason_must_name_both_levels():
    half = {**REASONED, "bakery": "events between the teams keep them independent of each other"}
    verdict = choose_the_design(RIGHT, half)
    assert not verdict.passed and "does not name within the bakery: a workflow" in verdict.message


def test_each_wrong_choice_is_explained():
    verdict = choose_the_design({"new-teams": "orchestration", "catering": "choreography", "bakery": "orchestration"},
                                REASONED)
    assert not verdict.passed and "0 of 3 fit" in verdict.message
    assert "new-teams: orchestration fits less: a central workflow" in verdict.message
    assert "catering: choreography fits less: nobody would know where an order is" in verdict.message
    assert "bakery: orchestration fits less: one state machine across every team" in verdict.message
    assert "not one of" in choose_the_design({"new-teams": "kafka"}).message
    assert not choose_the_design(None).passed
