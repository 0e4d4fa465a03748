"""An AWS CLI profile for the lab's server, written in a folder the lab owns (never `~/.aws`)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from .. import sandbox

PROFILE = "serverless-lab"
#: Where `make server` writes the CLI's files unless told otherwise.
DEFAULT_FOLDER = Path(tempfile.gettempdir()) / "serverless-lab-aws"


def write_profile(endpoint_url: str, folder: Path = DEFAULT_FOLDER) -> dict[str, str]:
    """Write a config and a credentials file naming the lab's endpoint and its fake keys.

    Returns the environment variables that point the AWS CLI (or any SDK) at them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config, credentials = folder / "config", folder / "credentials"
    config.write_text(f"[profile {PROFILE}]\nregion = {sandbox.REGION}\noutput = json\n"
                      f"endpoint_url = {endpoint_url}\n")
    credentials.write_text(f"[{PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    return {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
