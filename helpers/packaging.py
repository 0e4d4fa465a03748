"""Deployment packages: real zip files, byte-for-byte the same on every run."""
from __future__ import annotations

import io
import textwrap
import zipfile

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def zip_code(source: str | dict[str, str], filename: str = "lambda_function.py") -> bytes:
    """Zip handler code written in the notebook into a package `create_function` accepts.

    `source` is the code of `filename`, or a mapping of paths to file contents (use paths under
    `python/` for a layer). The same artifact would deploy to real AWS.
    """
    files = {filename: source} if isinstance(source, str) else dict(source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=_FIXED_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, textwrap.dedent(files[path]).lstrip("\n"), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
