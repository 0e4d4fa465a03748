"""Let a notebook link to a notebook of the series that has not landed yet; refuse prose that promises one.

Notebook NN links to its neighbours; while one is still being written, that link has no target and
myst-parser would warn (failing the warnings-as-errors build). A link to `MM-*.ipynb` when no
notebook numbered MM exists yet is rendered as plain text instead. Any other broken link, such as a
typo in a link to an existing notebook, still fails the build.

Prose is held to the same bar: "notebook 08 comes back to this" when no notebook 08 exists is a
warning (so the build fails), as a broken link would be. Code and literal text are not read.
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
#: "notebook 08", "notebooks 04 and 05", "notebooks 04, 05 or 06" in prose.
PROSE_REFERENCE = re.compile(r"\bnotebooks?\s+(\d\d(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*-\s*)\d\d)*)\b", re.I)
_LITERAL = (nodes.literal, nodes.literal_block, nodes.raw, nodes.comment)


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


def missing_references(text: str, landed: set[str]) -> list[str]:
    """The notebook numbers `text` refers to in prose ("notebook 08") that no notebook has yet."""
    numbers = [n for match in PROSE_REFERENCE.finditer(text) for n in re.findall(r"\d\d", match[1])]
    return [n for n in dict.fromkeys(numbers) if n not in landed]


class ProseReferences(SphinxPostTransform):
    """Warn (failing the build) on prose that refers to a notebook of the series not written yet."""

    default_priority = 8

    def run(self, **kwargs: Any) -> None:
        source = Path(self.env.doc2path(self.env.docname))
        landed = notebook_numbers(source.parent) or notebook_numbers(source.parent / "notebooks")
        for text in self.document.findall(nodes.Text):
            if any(isinstance(parent, _LITERAL) for parent in _ancestors(text)):
                continue
            for number in missing_references(text.astext(), landed):
                logger.warning("%s: the prose refers to notebook %s, which does not exist yet: %r",
                               source.name, number, text.astext()[:120], location=text.parent)


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(ForwardLinks)
    app.add_post_transform(ProseReferences)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
