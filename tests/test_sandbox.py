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
    assert result["escaped"].startswith("SandboxEscapeError: The lab's sandbox blocked a request to "
                                        "https://sqs.example.com")


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


# Every way out of the process a notebook or a handler could take, tried before and after resets.
# The test's own socket layer records any connection the sandbox let through (loopback passes).
CLIENTS_SCRIPT = textwrap.dedent("""
    import http.client, http.server, importlib.util, json, socket, threading, urllib.request
    import boto3, botocore, botocore.awsrequest, requests

    reached = []
    real_connect, real_create = socket.socket.connect, socket.create_connection
    def loopback_only(address):
        return isinstance(address, tuple) and address[0] in ("127.0.0.1", "::1", "localhost")
    def record(self, address, *rest):
        if not loopback_only(address):
            reached.append(str(address))
            raise OSError("network blocked by the test")
        return real_connect(self, address, *rest)
    def record_create(address, *args, **kwargs):
        if not loopback_only(address):
            reached.append(str(address))
            raise OSError("network blocked by the test")
        return real_create(address, *args, **kwargs)
    socket.socket.connect, socket.create_connection = record, record_create

    import helpers
    lab = helpers.start()

    # A second copy of botocore's HTTP layer, as the AWS CLI v1 bundles (awscli/botocore).
    spec = importlib.util.spec_from_file_location(
        "bundled_botocore_httpsession", botocore.__file__.replace("__init__.py", "httpsession.py"))
    bundled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bundled)

    lam = boto3.client("lambda")
    def deploy():
        lam.create_function(FunctionName="leak", Runtime="python3.12", Role=lab.role_arn,
            Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(
            "import urllib.request\\ndef handler(e, c):\\n    return urllib.request.urlopen('https://example.com').status")})

    def handler_leak():
        payload = json.loads(lam.invoke(FunctionName="leak")["Payload"].read())
        raise RuntimeError(payload.get("errorMessage", str(payload)))

    def udp():
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))

    def https_client():
        connection = http.client.HTTPSConnection("sqs.us-east-1.amazonaws.com", timeout=2)
        connection.request("GET", "/")

    attempts = {
        "botocore": lambda: boto3.client("sqs", endpoint_url="https://sqs.example.com").list_queues(),
        "bundled botocore": lambda: bundled.URLLib3Session().send(botocore.awsrequest.AWSRequest(
            method="GET", url="https://sqs.us-east-1.amazonaws.com/").prepare()),
        "requests": lambda: requests.get("https://example.com/", timeout=2),
        "urllib": lambda: urllib.request.urlopen("https://example.com/", timeout=2),
        "http.client": https_client,
        "socket": lambda: socket.socket().connect(("93.184.216.34", 443)),
        "socket to a name": lambda: socket.create_connection(("example.com", 443), timeout=2),
        "dns": lambda: socket.getaddrinfo("sqs.us-east-1.amazonaws.com", 443),
        "udp": udp,
        "handler code": handler_leak,
    }

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"local")
        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{server.server_port}/"

    phases = {}
    for phase, resets in (("started", 0), ("after a reset", 1), ("after three more resets", 3)):
        for _ in range(resets):
            lab.reset()
        deploy()
        outcome = {}
        for name, attempt in attempts.items():
            try:
                attempt()
                outcome[name] = "not blocked"
            except Exception as error:
                outcome[name] = type(error).__name__ + ": " + str(error)
        # moto keeps answering AWS URLs requested with `requests` (no network involved)
        outcome["requests to AWS"] = str(requests.get("https://sqs.us-east-1.amazonaws.com/", timeout=2).status_code)
        outcome["loopback"] = requests.get(local, timeout=2).text + " " + urllib.request.urlopen(local).read().decode()
        phases[phase] = outcome
    print(json.dumps({"phases": phases, "reached": reached}))
""")


def test_nothing_reaches_the_network_through_any_client_before_or_after_resets(tmp_path: Path):
    """design.md principle 3 (nothing leaves the machine): with the lab started, and after one and
    after four resets, botocore, a second (bundled) copy of botocore's HTTP layer, requests, urllib,
    http.client, raw TCP and UDP sockets, DNS look-ups and handler code are all refused by the
    sandbox, with canary credentials planted; loopback (a local HTTP server) keeps working."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(f"[default]\naws_access_key_id = {CANARY_KEY}\n"
                                               "aws_secret_access_key = canary\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env = {**clean, "HOME": str(home), "AWS_ACCESS_KEY_ID": CANARY_KEY, "AWS_SECRET_ACCESS_KEY": "canary"}
    done = subprocess.run([sys.executable, "-c", CLIENTS_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    result = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert CANARY_KEY not in done.stdout
    assert result["reached"] == []
    for phase, outcome in result["phases"].items():
        assert outcome.pop("loopback") == "local local", phase
        assert outcome.pop("requests to AWS") in ("200", "404"), phase  # moto's answer, not the network's
        for client, error in outcome.items():
            assert "The lab's sandbox blocked" in error, (phase, client, error)
            assert "127.0.0.1 or localhost" in error, (phase, client, error)


def test_the_lab_leaves_no_temporary_folders(tmp_path: Path):
    """Each lab keeps its files (empty AWS config, unpacked deployment packages) in one temporary
    folder; a reset removes the unpacked packages and the folder goes when the process exits."""
    script = textwrap.dedent("""
        import json, pathlib, tempfile, boto3, helpers
        temp = pathlib.Path(tempfile.gettempdir())
        def count():
            return len(list(temp.glob("serverless-lab-*")))
        def files():
            return sum(1 for path in temp.rglob("*.py"))
        lab = helpers.start()
        lam = boto3.client("lambda")
        lam.create_function(FunctionName="f", Runtime="python3.12", Role=lab.role_arn,
            Handler="lambda_function.handler",
            Code={"ZipFile": helpers.zip_code("def handler(e, c):\\n    return 1\\n")})
        lam.invoke(FunctionName="f")
        seen = {"started": count(), "code files": files()}
        lab.reset()
        seen.update({"after reset": count(), "code files after reset": files()})
        print(json.dumps(seen))
    """)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"started": 1, "code files": 1, "after reset": 1, "code files after reset": 0}
    assert list(tmp_path.glob("serverless-lab-*")) == []


def test_a_boto3_call_before_the_lab_starts_is_refused_without_reading_credentials(tmp_path: Path):
    """design.md principle 3, for a cell run before `helpers.start()`: from `import helpers` on, boto3
    sees only fake credentials and its request is refused, naming the cell to run."""
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(f"[default]\naws_access_key_id = {CANARY_KEY}\n"
                                                   "aws_secret_access_key = canary\n")
    script = textwrap.dedent("""
        import json, boto3, helpers
        key = boto3.Session().get_credentials().access_key
        try:
            boto3.client("sqs").list_queues()
            said = "not blocked"
        except Exception as error:
            said = type(error).__name__ + ": " + str(error)
        print(json.dumps({"key": key, "said": said}))
    """)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env = {**clean, "HOME": str(tmp_path), "AWS_PROFILE": "default"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert seen["key"] == "testing"
    assert seen["said"].startswith("SandboxEscapeError: The lab's sandbox blocked a request to https://sqs.")
    assert "lab = helpers.start()" in seen["said"]
