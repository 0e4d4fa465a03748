"""A kernel running the lab shuts down as promptly as one that does not, and leaves no process behind.

ipykernel's shutdown signals every process in the kernel's process group and waits for none to be
left; multiprocessing's resource tracker ignores SIGTERM, so before the lab moved its server
processes to groups of their own every notebook's shutdown waited until Jupyter killed the kernel.
"""
from __future__ import annotations

import os
import signal
import time

import boto3
import psutil
import pytest
from jupyter_client import KernelManager
from jupyter_client.manager import _ShutdownStatus

import helpers

pytestmark = pytest.mark.notebooks

START = """
import boto3, helpers, psutil
lab = helpers.start()
boto3.client("lambda").create_function(
    FunctionName="{name}", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
    Timeout=900, Code={{"ZipFile": helpers.zip_code({code!r})}})
"""
SERVERS = "print(*[p.pid for p in psutil.Process().children()])"


def _kernel() -> tuple[KernelManager, object]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def _run(client: object, code: str) -> str:
    """Execute `code` in the kernel and return what it printed (failing on an error)."""
    printed: list[str] = []

    def collect(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        assert message["msg_type"] != "error", message["content"]

    reply = client.execute_interactive(code, timeout=60, output_hook=collect)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def _gone(pids: list[int], within_s: float = 30.0) -> list[int]:
    """The processes of `pids` still running (not zombies) after waiting up to `within_s` for them to end."""
    deadline = time.monotonic() + within_s
    while True:
        alive = [pid for pid in pids if psutil.pid_exists(pid)
                 and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive


def test_a_kernel_with_a_warm_environment_shuts_down_without_being_killed():
    manager, client = _kernel()
    _run(client, START.format(name="hello", code="def handler(event, context):\n    return 'hi'\n"))
    assert "hi" in _run(client, 'print(boto3.client("lambda").invoke(FunctionName="hello")["Payload"].read())')
    servers = [int(pid) for pid in _run(client, SERVERS).split()]
    environments = [child.pid for pid in servers for child in psutil.Process(pid).children()]
    assert len(servers) == 2 and environments, "the forkserver, its resource tracker and one environment"
    client.stop_channels()
    manager.shutdown_kernel(now=False)
    # ShutdownRequest: the kernel ended when asked; SigtermRequest or SigkillRequest: Jupyter had to kill it
    assert manager._shutdown_status == _ShutdownStatus.ShutdownRequest
    assert _gone(servers + environments) == []


def test_a_handler_still_running_ends_with_a_killed_kernel():
    manager, client = _kernel()
    _run(client, START.format(name="spin", code="def handler(event, context):\n    while True:\n        pass\n"))
    servers = [int(pid) for pid in _run(client, SERVERS).split()]
    client.execute('boto3.client("lambda").invoke(FunctionName="spin")')  # not waited for: it spins
    deadline = time.monotonic() + 60
    while not (environments := [c.pid for pid in servers for c in psutil.Process(pid).children()]):
        assert time.monotonic() < deadline, "no environment started"
        time.sleep(0.05)
    client.stop_channels()
    manager.shutdown_kernel(now=True)  # as Jupyter's "restart" does to a kernel that does not answer
    assert _gone(servers + environments) == []


def test_a_server_started_again_also_leaves_the_notebook_s_process_group(lab):
    """The forkserver ended (killed here): the next cold start starts another, outside the group too."""
    def servers() -> list[psutil.Process]:
        return [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]

    deploy = boto3.client("lambda").create_function
    deploy(FunctionName="again", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
           Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 1\n")})
    boto3.client("lambda").invoke(FunctionName="again")
    (first,) = servers()
    lab.reset()                                             # no environment holds the old server's pipes
    os.kill(first.pid, signal.SIGKILL)                      # left unreaped: multiprocessing finds it gone
    deadline = time.monotonic() + 30
    while first.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    deploy(FunctionName="again", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
           Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 2\n")})
    assert boto3.client("lambda").invoke(FunctionName="again")["Payload"].read() == b"2"
    (second,) = servers()
    assert second.pid != first.pid and os.getpgid(second.pid) != os.getpgrp()
