LOYALTY = """
import boto3

dynamodb = boto3.client("dynamodb")

def handler(event, context):
    paid = event["detail"]
    try:
        dynamodb.update_item(
            TableName="loyalty", Key={"customer_id": {"S": paid["customer_id"]}},
            UpdateExpression="ADD points :points, rewarded :order", ConditionExpression="NOT contains(rewarded, :id)",
            ExpressionAttributeValues={":points": {"N": str(int(paid["amount"]))},
                                       ":order": {"SS": [paid["order_id"]]}, ":id": {"S": paid["order_id"]}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        print(f"{paid['order_id']} was rewarded already")
"""
helpers.delete_if_exists("table", "loyalty")
dynamodb.create_table(TableName="loyalty", BillingMode="PAY_PER_REQUEST",
                      AttributeDefinitions=[{"AttributeName": "customer_id", "AttributeType": "S"}],
                      KeySchema=[{"AttributeName": "customer_id", "KeyType": "HASH"}])
helpers.delete_if_exists("function", "loyalty")
loyalty_arn = lambda_.create_function(FunctionName="loyalty", Runtime="python3.12", Role=lab.role_arn,
                                      Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(LOYALTY)})["FunctionArn"]
events.put_rule(Name="to-loyalty", EventBusName="bistro", EventPattern=json.dumps({"detail-type": ["PaymentSucceeded"]}))
events.put_targets(Rule="to-loyalty", EventBusName="bistro", Targets=[{"Id": "loyalty", "Arn": loyalty_arn}])
