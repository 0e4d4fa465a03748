"""The pattern playground's matcher and explainer agree with EventBridge's rules in the lab."""
from __future__ import annotations

import json

import boto3
import pytest

from helpers.patterns import Check, explain, matches

EVENT = {"id": "e-1", "account": "123456789012", "source": "com.shop.orders", "time": "2026-01-05T09:00:00Z",
         "region": "us-east-1", "resources": [], "detail-type": "Order Placed",
         "detail": {"total": 150, "city": "Paris", "ip": "10.0.0.5"}}


def test_explain_names_each_field_its_operator_and_why(lab):
    """aws-semantics.md 4 [E4][E5]: fields are ANDed, a field's values ORed; each check says why."""
    pattern = {"source": [{"prefix": "com.shop"}], "detail": {"total": [{"numeric": [">", 100]}],
                                                            "coupon": [{"exists": True}]}}
    assert explain(pattern, EVENT) == [
        Check("source", "prefix", True, '"com.shop.orders" matches prefix "com.shop"'),
        Check("detail.total", "numeric", True, '150 matches numeric [">", 100]'),
        Check("detail.coupon", "exists", False, "absent does not match exists true"),
    ]
    assert matches(pattern, EVENT) is False


def test_explain_or_reports_each_alternative(lab):
    """aws-semantics.md 4 [E5]: `$or` matches when any alternative does."""
    pattern = {"detail": {"$or": [{"city": ["Berlin"]}, {"ip": [{"cidr": "10.0.0.0/24"}]}]}}
    checks = explain(pattern, EVENT)
    assert checks[0] == Check("detail", "$or", True, "alternative(s) [1] match")
    assert [(c.field, c.ok) for c in checks[1:]] == [("$or[0] detail.city", False), ("$or[1] detail.ip", True)]
    assert matches(pattern, EVENT) is True


def test_a_list_is_an_or_of_values_and_operators(lab):
    """aws-semantics.md 4 [E4]: a list of values and operators matches when any of them does."""
    [check] = explain({"detail": {"city": ["Lyon", {"prefix": "Pa"}]}}, EVENT)
    assert check == Check("detail.city", "exact | prefix", True, '"Paris" matches prefix "Pa"')


@pytest.mark.parametrize("pattern", [
    {"source": ["com.shop.orders"]},
    {"detail": {"total": [{"numeric": [">=", 200]}]}},
    {"detail": {"city": [{"anything-but": {"equals-ignore-case": "paris"}}]}},
    {"detail": {"city": [{"wildcard": "P*s"}], "ip": [{"cidr": "10.0.1.0/24"}]}},
])
def test_matches_agrees_with_test_event_pattern(lab, pattern):
    """aws-semantics.md 4: the playground uses the matcher rules use, so it answers as TestEventPattern does."""
    answer = boto3.client("events").test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))
    assert matches(pattern, EVENT) is answer["Result"]
    assert all(c.ok for c in explain(pattern, EVENT)) is answer["Result"]
