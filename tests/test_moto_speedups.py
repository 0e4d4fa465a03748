"""The lab's shortcuts through moto's request path change nothing a learner sees (issue 15: moto's
overhead is fair to work around where it dominates): requests are routed as moto routes them, and a
backend found by the fast lookup is still reset with the lab."""
from __future__ import annotations

import re

import boto3

import helpers
from helpers.motoext import core


def test_each_service_s_routes_are_moto_s_own_built_once(lab: helpers.Lab):
    boto3.client("sqs").list_queues()
    boto3.client("lambda").list_functions()
    from moto.awslambda.models import lambda_backends

    routes = core._routes("lambda")
    assert core._routes("lambda") is routes                       # built once
    urls = lambda_backends[lab.account_id][lab.region].urls          # what moto rebuilds per request
    assert [(pattern.pattern, handler) for pattern, handler in routes] == list(urls.items())
    assert all(isinstance(pattern, re.Pattern) for pattern, _ in routes)


def test_a_backend_found_by_the_fast_lookup_is_still_reset_with_the_lab(lab: helpers.Lab):
    sqs = boto3.client("sqs")
    for _ in range(2):  # the second round proves the backend was registered again after the first reset
        sqs.create_queue(QueueName="orders")
        assert len(sqs.list_queues()["QueueUrls"]) == 1
        lab.reset()
        assert "QueueUrls" not in sqs.list_queues()


def test_a_url_no_service_answers_gets_moto_s_answer(lab: helpers.Lab):
    from botocore.awsrequest import AWSPreparedRequest

    request = AWSPreparedRequest("GET", "https://nothing-here.us-east-1.amazonaws.com/x", {}, b"", False)
    assert core._routed(request) == (404, {}, "Not yet implemented")
