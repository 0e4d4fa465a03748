"""Server mode: the lab's AWS on a loopback port, for the AWS CLI, another notebook or a script.

    server = helpers.serve()          # in a notebook: this kernel's lab, served on 127.0.0.1
    server.url                        # http://127.0.0.1:PORT, e.g. `aws --endpoint-url ...`
    server.stop()

`make server` (`python -m helpers.server`) does the same in a terminal of its own. Handlers keep
running in the lab, on its clock; `POST /lab-api/advance` lets virtual time pass from any client.
Only 127.0.0.1 is bound: nothing outside this machine can reach the lab.
"""
from __future__ import annotations

import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ..lab import Lab, start
from .app import LabApp
from .profile import DEFAULT_FOLDER, PROFILE, write_profile

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """No line per request (a notebook's output stays the learner's)."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class LabServer:
    """The lab served over HTTP, one request at a time (as the notebook's calls run, in order)."""

    def __init__(self, lab: Lab, port: int = 0, log_requests: bool = False) -> None:
        self.lab = lab
        handler = WSGIRequestHandler if log_requests else _QuietHandler
        self._server: BaseWSGIServer = make_server(HOST, port, LabApp(lab), threaded=False, request_handler=handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="lab-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint URL to give the CLI or an SDK."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> "LabServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (the lab itself keeps running in this process)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def write_profile(self, folder: Path = DEFAULT_FOLDER) -> dict[str, str]:
        """Write an AWS CLI profile (`--profile serverless-lab`) for this server; see `profile.write_profile`."""
        return write_profile(self.url, folder)

    def __repr__(self) -> str:
        return f"<Lab server on {self.url}: aws --endpoint-url {self.url} ...>"


def serve(port: int = 0, lab: Lab | None = None, log_requests: bool = False) -> LabServer:
    """Serve this kernel's lab (started if need be) on 127.0.0.1:`port` (0: any free port)."""
    return LabServer(lab or start(), port, log_requests).start()


__all__ = ["HOST", "PROFILE", "LabServer", "serve", "write_profile"]
