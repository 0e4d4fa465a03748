"""Put a "download this notebook" link under the title of every notebook page.

The link serves the notebook as committed (no outputs), ready to run in JupyterLab.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx


def add_download_link(app: Sphinx, doctree: nodes.document) -> None:
    """Insert the link after the page's first title, before Sphinx collects the downloads."""
    source = PurePosixPath(app.env.doc2path(app.env.docname, False))
    if source.suffix != ".ipynb":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    link = addnodes.download_reference(
        "", "", nodes.literal(text=source.name), refdoc=app.env.docname,
        reftarget=f"/{source}", refexplicit=True, refdomain="", reftype="download")
    paragraph = nodes.paragraph("", "", nodes.Text("Download this notebook to run it yourself: "), link,
                                classes=["notebook-download"])
    section.insert(1, paragraph)


def setup(app: Sphinx) -> dict[str, Any]:
    # Before sphinx.environment.collectors.asset's DownloadFileCollector (priority 500).
    app.connect("doctree-read", add_download_link, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
