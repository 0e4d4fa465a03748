"""Let a notebook link to a notebook of the series that has not landed yet.

Notebook NN links to its neighbours; while one is still being written, that link has no target and
myst-parser would warn (failing the warnings-as-errors build). A link to `MM-*.ipynb` when no
notebook numbered MM exists yet is rendered as plain text instead. Any other broken link, such as a
typo in a link to an existing notebook, still fails the build.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)
NOTEBOOK = re.compile(r"(?:.*/)?(\d\d)-[\w.-]+\.ipynb")


def notebook_numbers(folder: Path) -> set[str]:
    """The NN of every folder/NN-*.ipynb."""
    return {p.name[:2] for p in folder.glob("[0-9][0-9]-*.ipynb")}


class ForwardLinks(SphinxPostTransform):
    """Unlink references to notebooks whose number no notebook has yet."""

    default_priority = 8  # before myst-parser's MystReferenceResolver (9) warns about them

    def run(self, **kwargs: Any) -> None:
        source = Path(self.env.doc2path(self.env.docname))
        landed = notebook_numbers(source.parent)
        for node in list(self.document.findall(addnodes.pending_xref)):
            match = NOTEBOOK.fullmatch(node.get("reftarget", ""))
            if node.get("reftype") != "myst" or not match or match[1] in landed:
                continue
            logger.info("%s: %s is not written yet; linked as plain text", source.name, node["reftarget"])
            node.replace_self(nodes.inline("", "", *node.children, classes=["forward-link"]))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(ForwardLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
