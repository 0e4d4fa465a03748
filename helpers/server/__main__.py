"""`make server`: start a lab and serve it until Ctrl-C."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from . import PROFILE, serve
from .profile import DEFAULT_FOLDER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.server", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("LAB_PORT", "4599")))
    parser.add_argument("--profile-dir", type=Path, default=DEFAULT_FOLDER,
                        help="where to write the AWS CLI's config and credentials files")
    args = parser.parse_args(argv)
    server = serve(args.port, log_requests=True)
    variables = server.write_profile(args.profile_dir)
    # Before the banner: whoever reads the banner may stop the server at once (SIGTERM).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    exports = " ".join(f"{name}={value}" for name, value in variables.items())
    print(f"The lab is serving AWS on {server.url} (virtual time {server.lab.now():%H:%M:%S}). In another terminal:\n"
          f"  export {exports}\n"
          f"  aws --profile {PROFILE} --endpoint-url {server.url} sqs list-queues\n"
          f"  curl -X POST {server.url}/lab-api/advance -d '{{\"minutes\": 3}}'   # let virtual time pass\n"
          "Ctrl-C stops it; everything it held is gone.", flush=True)
    try:
        while not threading.Event().wait(1.0):  # a wait Ctrl-C interrupts on every platform
            pass
    except (KeyboardInterrupt, SystemExit):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
