"""A diagram that shows itself in Jupyter as SVG, or says how to install Graphviz and shows its DOT source."""
from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import graphviz

INSTALL_HINT = ("Graphviz's `dot` program is not installed, so this diagram cannot be drawn. Install it "
                "(`conda install -c conda-forge graphviz`, `sudo apt-get install graphviz` or "
                "`brew install graphviz`), then run the cell again. Here is the diagram's DOT source:")
#: The site's content column: 562 pt = 749 CSS px. A wider drawing is scaled down to it, but never below
#: MIN_SCALE (its text would be too small to read): then it keeps that scale inside a container that
#: scrolls sideways and says so.
MAX_WIDTH_PT = 562.0
MIN_SCALE = 0.7
SCROLL_NOTE = "A wide diagram: scroll sideways to see all of it."


class Diagram:
    """A graphviz diagram: `.source` is its DOT text, `.svg()` its drawing (None when `dot` is missing)."""

    def __init__(self, graph: graphviz.Digraph) -> None:
        self.graph = graph
        self._svg: str | None = None
        self.problem: str | None = None
        self._scrolls = False

    @property
    def source(self) -> str:
        """The DOT source."""
        return self.graph.source

    def svg(self) -> str | None:
        """The SVG drawing, or None if Graphviz could not draw it (see `.problem`)."""
        if self._svg is None and self.problem is None:
            try:
                self._svg = self._fitted(self.graph.pipe(format="svg", encoding="utf-8"))
            except graphviz.ExecutableNotFound:
                self.problem = INSTALL_HINT
            except (graphviz.CalledProcessError, subprocess.SubprocessError, OSError) as err:
                self.problem = f"Graphviz could not draw this diagram ({err}). Its DOT source:"
        return self._svg

    @property
    def scrolls(self) -> bool:
        """Whether the drawing is wider than the content column even at MIN_SCALE (so it scrolls)."""
        self.svg()
        return self._scrolls

    def _fitted(self, svg: str) -> str:
        """`svg`, or, when wider than the content column, the drawing again at a smaller scale."""
        width = _width_pt(svg)
        if width <= MAX_WIDTH_PT or "size" in self.graph.graph_attr:
            return svg
        scale = max(MAX_WIDTH_PT / width, MIN_SCALE)
        self._scrolls = width * scale > MAX_WIDTH_PT + 1
        graph = self.graph.copy()
        graph.graph_attr["size"] = f"{width * scale / 72:.2f},1000"
        return graph.pipe(format="svg", encoding="utf-8")

    def save(self, path: str | Path) -> Path:
        """Write the SVG (or, without Graphviz, the DOT source next to it as `.dot`)."""
        path = Path(path)
        svg = self.svg()
        if svg is None:
            path = path.with_suffix(".dot")
        path.write_text(svg if svg is not None else self.source, encoding="utf-8")
        return path

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        svg = self.svg()
        if svg is not None:
            # Frontends prefer text/html: a wide drawing shows in its scroll container.
            return {"text/html": self._repr_html_(), "image/svg+xml": svg} if self.scrolls else {"image/svg+xml": svg}
        return {"text/html": self._repr_html_(), "text/plain": f"{self.problem}\n\n{self.source}"}

    def _repr_svg_(self) -> str | None:
        return self.svg()

    def _repr_html_(self) -> str:
        svg = self.svg()
        if svg is not None and self.scrolls:
            return (f'<div data-scroll-note="{SCROLL_NOTE}" style="overflow-x:auto;max-width:100%">'
                    f'<p style="margin:0 0 4px;font-size:0.85em;color:#687078">{SCROLL_NOTE}</p>{svg}</div>')
        if svg is not None:
            return svg
        return (f"<div><p><b>{html.escape(self.problem or '')}</b></p>"
                f"<pre style='font-size:11px'>{html.escape(self.source)}</pre></div>")

    def __repr__(self) -> str:
        return f"<Diagram: {len(self.source.splitlines())} lines of DOT; display it in Jupyter or call .svg()>"


def _width_pt(svg: str) -> float:
    found = re.search(r'<svg width="([\d.]+)pt"', svg)
    return float(found[1]) if found else 0.0
