# Exercise flaky-payment: a solution.
flaky = json.loads(definition)                                    # a fresh copy of the definition
charge_card = flaky["States"]["PayAndCook"]["Branches"][0]["States"]["ChargeCard"]

# Retry only the transient error, with a backoff (1 s, then 2 s), enough times to outlast two timeouts.
# A declined card (PaymentDeclined) still goes straight to the Catch: asking again won't change the answer.
charge_card["Retry"] = [
    {"ErrorEquals": ["PaymentProviderTimeout"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2},
]

sfn.update_state_machine(stateMachineArn=machine_arn, definition=json.dumps(flaky))
charge_card
