"""Diagrams in the series' visual language (graphviz, SVG): architecture, state machines, flows."""
from __future__ import annotations

from .architecture import draw_architecture
from .render import Diagram

__all__ = ["Diagram", "draw_architecture"]
