# Exercise 1: a solution.
lambda_.put_function_event_invoke_config(
    FunctionName="send-receipt",
    DestinationConfig={"OnFailure": {"Destination": receipt_failures_arn}},
)
lambda_.invoke(FunctionName="send-receipt", InvocationType="Event", Payload=json.dumps(wallet_order))
lab.advance(minutes=3)     # attempts at +0, +1 and +3 minutes; then the record goes to the queue
print(json.loads(peek(receipt_failures_url)[-1]["Body"])["requestContext"])
