"""Diagrams in the series' visual language (graphviz, SVG): architecture, state machines, flows."""
from __future__ import annotations

from .architecture import draw_architecture
from .render import Diagram
from .state_machine import draw_state_machine

__all__ = ["Diagram", "draw_architecture", "draw_state_machine"]
