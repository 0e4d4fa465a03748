"""Nothing leaves the machine: no real credential is read and no request reaches a real endpoint."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Shaped like a real access key id (built here so secret scanners do not flag the tree).
CANARY_KEY = "AKIA" + "CANARY" * 2 + "0000"

SCRIPT = textwrap.dedent("""
    import socket, boto3, json

    connections = []
    real_connect = socket.socket.connect
    def refuse(self, address):
        if getattr(self, "family", None) == socket.AF_UNIX:  # this machine only: the lab's environments
            return real_connect(self, address)
        connections.append(address)
        raise OSError("network blocked by the test")
    socket.socket.connect = refuse
    socket.create_connection = lambda *a, **k: refuse(None, a[0])

    import helpers
    lab = helpers.start()
    seen = []
    session = boto3.Session()
    credentials = session.get_credentials().get_frozen_credentials()
    seen.append(credentials.access_key)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    lam = boto3.client("lambda")
    lam.create_function(FunctionName="f", Runtime="python3.12", Role=lab.role_arn,
        Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(
        "import boto3\\ndef handler(e, c):\\n    return boto3.Session().get_credentials().access_key")})
    seen.append(json.loads(lam.invoke(FunctionName="f")["Payload"].read()))
    try:
        boto3.client("sqs", endpoint_url="https://sqs.example.com").list_queues()
        escaped = "not blocked"
    except Exception as error:
        escaped = type(error).__name__ + ": " + str(error)
    print(json.dumps({"seen": seen, "connections": [str(c) for c in connections], "escaped": escaped}))
""")


def test_canary_credentials_are_never_read_and_nothing_connects(tmp_path: Path):
    """design.md principle 3: with the sandbox on, planted real-looking credentials (environment
    variables and ~/.aws files) are never used, and no socket connection is attempted."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {CANARY_KEY}\naws_secret_access_key = canary\n"
        f"[prod]\naws_access_key_id = {CANARY_KEY}\naws_secret_access_key = canary\n")
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-3\n")
    # A fresh user environment, with a profile name that is in no file (as with an SSO profile).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env = {**clean, "HOME": str(home), "AWS_ACCESS_KEY_ID": CANARY_KEY,
           "AWS_SECRET_ACCESS_KEY": "canary", "AWS_PROFILE": "sso-prod", "AWS_DEFAULT_REGION": "eu-west-3"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert CANARY_KEY not in done.stdout
    assert result["seen"] == ["testing", "testing"]
    assert result["connections"] == []
    assert result["escaped"].startswith("SandboxEscapeError: The lab blocked a request to https://sqs.example.com")


def test_starting_twice_is_harmless_and_reset_empties_the_account(lab):
    """design.md principle 5: running the start cell again reuses the lab; reset deletes everything."""
    import boto3

    import helpers
    from helpers.runtime.clock import EPOCH

    boto3.client("sqs").create_queue(QueueName="keep-me")
    again = helpers.start()
    assert again is lab
    assert boto3.client("sqs").list_queues()["QueueUrls"]
    lab.advance(minutes=5)
    lab.reset()
    assert "QueueUrls" not in boto3.client("sqs").list_queues()
    assert lab.now() == EPOCH
    assert boto3.client("iam").get_role(RoleName="lab-lambda-role")["Role"]["Arn"] == lab.role_arn
