"""Diagrams in the series' visual language (graphviz, SVG): architecture, state machines, flows.

Each function returns a `Diagram`: it displays as SVG in Jupyter, `.source` is its DOT text, and
without Graphviz's `dot` program it shows how to install it and the DOT source instead.
"""
from __future__ import annotations

from .architecture import draw_architecture
from .flow import draw_sequence, draw_service_map
from .render import Diagram
from .state_machine import draw_state_machine

__all__ = ["Diagram", "draw_architecture", "draw_sequence", "draw_service_map", "draw_state_machine"]
