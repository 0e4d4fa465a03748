"""Point the exercise verdicts' links at the published solutions page.

A verdict (helpers.exercises) is rich output that links to `solutions.md#<exercise>`, which JupyterLab
opens beside the notebook. On the site that page is `solutions.html`; markdown links are resolved by
myst-parser, but a notebook's HTML output is not, so its links are rewritten here.
"""
from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

SOURCE_LINK = 'href="solutions.md#'
SITE_LINK = 'href="solutions.html#'


def rewrite(body: str) -> str:
    """The page body with every verdict link pointing at the site's solutions page."""
    return body.replace(SOURCE_LINK, SITE_LINK)


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if "body" in context:
        context["body"] = rewrite(context["body"])


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
