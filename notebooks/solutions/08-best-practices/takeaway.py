# Exercise takeaway: a solution.
# A handler that charges each order once: a duplicate from the app finds the charge and does nothing.
practices.function("takeaway", "charge_once.py", timeout=10,
                   CHARGES_TABLE="takeaway-charges", IDEMPOTENCY_TABLE="takeaway-idempotency")

# A queue keeps every order until it is charged. It retries every 120 s (at least six times the function's
# 10 s timeout, as AWS recommends) for 10 receives: 20 minutes, longer than the outage, and an order caught
# by it is still charged within the 20 minutes it may wait.
# Then the order that can never be charged moves to the DLQ, for a person (and an alarm) to see.
dlq_url, dlq_arn = practices.queue("takeaway-dlq")
orders_url, orders_arn = practices.queue("takeaway-orders", VisibilityTimeout="120", RedrivePolicy=json.dumps(
    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"}))
lambda_.create_event_source_mapping(EventSourceArn=orders_arn, FunctionName="takeaway", BatchSize=1)
cloudwatch.put_metric_alarm(
    AlarmName="takeaway-dlq-not-empty", Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
    Dimensions=[{"Name": "QueueName", "Value": "takeaway-dlq"}], Statistic="Maximum", Period=60,
    EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")

entry = orders_url        # the app sends each order to the queue
