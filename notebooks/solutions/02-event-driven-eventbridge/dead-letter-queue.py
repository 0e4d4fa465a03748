# Exercise: create the queue "bistro-dlq" and attach it to the printer target as its DeadLetterConfig.
helpers.delete_if_exists("queue", "bistro-dlq")
dlq_url = sqs.create_queue(QueueName="bistro-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_targets(Rule="kitchen-printer", EventBusName="bistro", Targets=[
    {"Id": "printer", "Arn": printer_arn, "DeadLetterConfig": {"Arn": dlq_arn}}])["FailedEntryCount"]
