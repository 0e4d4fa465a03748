"""A diagram that shows itself in Jupyter as SVG, or says how to install Graphviz and shows its DOT source."""
from __future__ import annotations

import html
import subprocess
from pathlib import Path

import graphviz

INSTALL_HINT = ("Graphviz's `dot` program is not installed, so this diagram cannot be drawn. Install it "
                "(`conda install -c conda-forge graphviz`, `sudo apt-get install graphviz` or "
                "`brew install graphviz`), then run the cell again. Here is the diagram's DOT source:")
#: The widest a drawing may be, in inches (72 pt each): 7.8 in = 562 pt = 749 CSS px, the site's content
#: column. Graphviz scales a wider drawing down to it (`size` without "!" never scales up).
MAX_WIDTH_IN = 7.8


class Diagram:
    """A graphviz diagram: `.source` is its DOT text, `.svg()` its drawing (None when `dot` is missing)."""

    def __init__(self, graph: graphviz.Digraph) -> None:
        self.graph = graph
        self._svg: str | None = None
        self.problem: str | None = None

    @property
    def source(self) -> str:
        """The DOT source."""
        return self.graph.source

    def svg(self) -> str | None:
        """The SVG drawing, or None if Graphviz could not draw it (see `.problem`)."""
        if self._svg is None and self.problem is None:
            try:
                graph = self.graph.copy()
                graph.graph_attr.setdefault("size", f"{MAX_WIDTH_IN},100")
                self._svg = graph.pipe(format="svg", encoding="utf-8")
            except graphviz.ExecutableNotFound:
                self.problem = INSTALL_HINT
            except (graphviz.CalledProcessError, subprocess.SubprocessError, OSError) as err:
                self.problem = f"Graphviz could not draw this diagram ({err}). Its DOT source:"
        return self._svg

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
            return {"image/svg+xml": svg}
        return {"text/html": self._repr_html_(), "text/plain": f"{self.problem}\n\n{self.source}"}

    def _repr_svg_(self) -> str | None:
        return self.svg()

    def _repr_html_(self) -> str:
        svg = self.svg()
        if svg is not None:
            return svg
        return (f"<div><p><b>{html.escape(self.problem or '')}</b></p>"
                f"<pre style='font-size:11px'>{html.escape(self.source)}</pre></div>")

    def __repr__(self) -> str:
        return f"<Diagram: {len(self.source.splitlines())} lines of DOT; display it in Jupyter or call .svg()>"
