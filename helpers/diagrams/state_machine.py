"""A state machine drawn from its ASL, with an execution's path highlighted: `draw_state_machine(...)`."""
from __future__ import annotations

import html
import json
import re
import textwrap
from typing import TYPE_CHECKING, Any

import graphviz

from . import asl
from .execution import ExecutionPath, execution_path
from .render import Diagram
from .style import CAUGHT_COLOR, ERROR_COLOR, ERROR_FILL, FONT, MUTED, OK_COLOR, SERVICES, short_name

if TYPE_CHECKING:
    from ..lab import Lab

_TASK = SERVICES["states"]
#: One shape per state type.
STATE_SHAPES: dict[str, dict[str, str]] = {
    "Task": {"shape": "box", "style": "rounded,filled", "fillcolor": _TASK.fill, "color": _TASK.color},
    "Pass": {"shape": "box", "style": "filled", "fillcolor": "#F2F3F3", "color": "#545B64"},
    "Wait": {"shape": "hexagon", "style": "filled", "fillcolor": "#FFF4D6", "color": "#B58B00"},
    "Choice": {"shape": "diamond", "style": "filled", "fillcolor": "#E8DDFF", "color": "#8C4FFF"},
    "Succeed": {"shape": "box", "style": "rounded,filled", "fillcolor": "#DFF3D8", "color": OK_COLOR,
                "peripheries": "2"},
    "Fail": {"shape": "octagon", "style": "filled", "fillcolor": ERROR_FILL, "color": ERROR_COLOR},
    "Parallel": {"shape": "box", "style": "filled", "fillcolor": "#232F3E", "fontcolor": "white", "color": "#232F3E",
                 "height": "0.25"},
    "Map": {"shape": "box", "style": "filled", "fillcolor": "#232F3E", "fontcolor": "white", "color": "#232F3E",
            "height": "0.25"},
}
RETRY_COLOR = "#5A6B86"


def draw_state_machine(machine: str | dict[str, Any], execution_arn: str | None = None, *,
                       lab: Lab | None = None, title: str = "") -> Diagram:
    """Draw `machine` (an ASL dict or JSON, a state machine ARN, or an execution ARN) top to bottom.

    Given an execution (ARN), the states it entered and the transitions it took are drawn green and
    bold, failed states red, caught failures orange, retries counted on their loop.
    """
    if isinstance(machine, str) and ":execution:" in machine:
        execution_arn, machine = machine, _backend(lab).describe_execution(machine).state_machine_arn
    if isinstance(machine, str) and machine.startswith("arn:"):
        machine = _backend(lab).describe_state_machine(machine).definition
    path = execution_path(_lab(lab), execution_arn) if execution_arn else None
    return Diagram(_Builder(path).build(asl.load(machine), title))


def _lab(lab: Lab | None) -> Lab:
    if lab is not None:
        return lab
    from ..lab import current

    return current()


def _backend(lab: Lab | None) -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    lab = _lab(lab)
    return stepfunctions_parser_backends[lab.account_id][lab.region]


class _Builder:
    """Turns ASL into a Digraph; node ids are scoped so nested branches may reuse state names."""

    def __init__(self, path: ExecutionPath | None) -> None:
        self.path = path
        self.visited = set(path.entered) if path else set()

    def build(self, machine: dict[str, Any], title: str) -> graphviz.Digraph:
        graph = graphviz.Digraph("state_machine", graph_attr={
            "rankdir": "TB", "fontname": FONT, "label": title, "labelloc": "t", "nodesep": "0.35",
            "ranksep": "0.45"}, node_attr={"fontname": FONT, "fontsize": "11"},
            edge_attr={"fontname": FONT, "fontsize": "9"})
        graph.node("start", "", shape="circle", style="filled", fillcolor="#232F3E", width="0.2")
        graph.node("end", "", shape="doublecircle", style="filled", fillcolor="#232F3E", width="0.15")
        entry, terminals = self.machine(graph, machine, "")
        self.edge(graph, "start", entry, None, machine["StartAt"], label="Start")
        for name, exit_id in terminals:
            self.edge(graph, exit_id, "end", name, None, label="End")
        if self.path is not None:
            graph.attr(label=f"{title}\nexecution {self.path.status}".strip(), fontcolor=self._status_color())
        return graph

    def machine(self, graph: graphviz.Digraph, machine: dict[str, Any], scope: str
                ) -> tuple[str, list[tuple[str, str]]]:
        """Draw one (sub-)machine: returns its entry node id and its terminal states' (name, exit id)."""
        states: dict[str, dict[str, Any]] = machine.get("States", {})
        ports = {name: self.state(graph, name, state, scope) for name, state in states.items()}
        terminals = []
        for name, state in states.items():
            exit_id = ports[name][1]
            if state.get("Type") == "Choice":
                for rule in state.get("Choices", []):
                    self.edge(graph, exit_id, ports[rule["Next"]][0], name, rule["Next"],
                              label="\\n".join(_wrapped(asl.condition_text(rule))), exclusive=True)
                if "Default" in state:
                    self.edge(graph, exit_id, ports[state["Default"]][0], name, state["Default"],
                              label="Default", exclusive=True)
            elif "Next" in state:
                self.edge(graph, exit_id, ports[state["Next"]][0], name, state["Next"])
            if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
                terminals.append((name, exit_id))
            for retrier in state.get("Retry", []):
                self.retry(graph, exit_id, name, retrier)
            for catcher in state.get("Catch", []):
                errors = ", ".join(catcher.get("ErrorEquals", []))
                self.edge(graph, exit_id, ports[catcher["Next"]][0], name, catcher["Next"], label=f"Catch {errors}",
                          exclusive=True, style="dashed", color=CAUGHT_COLOR, fontcolor=CAUGHT_COLOR)
        return ports[machine["StartAt"]][0], terminals

    def state(self, graph: graphviz.Digraph, name: str, state: dict[str, Any], scope: str) -> tuple[str, str]:
        """Draw one state: returns (id where transitions arrive, id they leave from)."""
        kind = state.get("Type", "Pass")
        node_id = _node_id(scope, name)
        attrs = {**STATE_SHAPES.get(kind, STATE_SHAPES["Pass"]), "label": self._label(name, kind, state),
                 **self._highlight(name)}
        inner = asl.sub_machines(state)
        if not inner:
            graph.node(node_id, **attrs)
            return node_id, node_id
        exit_id = f"{node_id}__join"
        with graph.subgraph(name=f"cluster_{node_id}") as cluster:
            cluster.attr(label=f"{name} ({kind})", style="rounded,dashed" if kind == "Map" else "rounded",
                         color="#545B64", fontname=FONT, fontsize="10")
            cluster.node(node_id, **attrs)
            cluster.node(exit_id, "", shape="box", style="filled", fillcolor="#232F3E", height="0.06", width="0.8")
            for index, sub in enumerate(inner):
                label = f"branch {index + 1}" if kind == "Parallel" else "iterator (per item)"
                with cluster.subgraph(name=f"cluster_{node_id}__b{index}") as branch:
                    branch.attr(label=label, style="dotted", color=MUTED, fontsize="9")
                    entry, terminals = self.machine(branch, sub, f"{scope}{name}.b{index}.")
                self.edge(graph, node_id, entry, name, sub.get("StartAt"))
                for terminal, terminal_exit in terminals:
                    self.edge(graph, terminal_exit, exit_id, terminal, name)
        return node_id, exit_id

    def retry(self, graph: graphviz.Digraph, node_id: str, name: str, retrier: dict[str, Any]) -> None:
        """A dotted loop on the state: what it retries, how often, how far apart (the errors listed in
        full in the loop's tooltip when there are several: the drawing stays narrow)."""
        errors = retrier.get("ErrorEquals", [])
        timing = f"×{retrier.get('MaxAttempts', 3)}, {retrier.get('IntervalSeconds', 1)} s × {retrier.get('BackoffRate', 2.0)}"
        if len(errors) == 1:
            label = f"↻ Retry {errors[0]} {timing}"
        else:
            prefixes = {error.split(".")[0] for error in errors}
            kind = f" {prefixes.pop()}" if len(prefixes) == 1 else ""
            label = f"↻ Retry {timing}\\non {len(errors)}{kind} errors"
        retried = self.path.retried.get(name, 0) if self.path else 0
        color = CAUGHT_COLOR if retried else RETRY_COLOR
        if retried:
            label += f"\\nretried {retried}×"
        graph.edge(node_id, node_id, label=label, tooltip=", ".join(errors), color=color, fontcolor=color,
                   style="dotted", penwidth="2" if retried else "1")

    def edge(self, graph: graphviz.Digraph, tail: str, head: str, tail_state: str | None, head_state: str | None,
             exclusive: bool = False, **attrs: str) -> None:
        """A transition; green and bold when the execution took it."""
        if self._taken(tail_state, head_state, exclusive):
            attrs = {**attrs, "color": OK_COLOR, "penwidth": "2.5"}
        elif self.path is not None:
            attrs = {**attrs, "color": attrs.get("color", MUTED)}
        graph.edge(tail, head, **{k: v for k, v in attrs.items() if v})

    def _taken(self, tail: str | None, head: str | None, exclusive: bool) -> bool:
        if self.path is None:
            return False
        if tail is None:
            return head in self.visited
        if head is None:
            return tail in self.visited and self.path.status != "RUNNING" and tail not in self.path.caught
        if exclusive:
            return (tail, head) in self.path.steps
        return tail in self.visited and head in self.visited and tail not in (self.path.failed - self.path.caught)

    def _label(self, name: str, kind: str, state: dict[str, Any]) -> str:
        detail = _subtitle(kind, state)
        lines = [f"<B>{html.escape(name)}</B>"]
        lines += [f'<FONT POINT-SIZE="9">{html.escape(part)}</FONT>' for part in _wrapped(detail)]
        if self.path is not None and name in self.path.failed:
            mark, color = ("✗ failed, caught", CAUGHT_COLOR) if name in self.path.caught else ("✗ failed", ERROR_COLOR)
            lines.append(f'<FONT POINT-SIZE="9" COLOR="{color}"><B>{mark}</B></FONT>')
        return "<" + "<BR/>".join(lines) + ">"

    def _highlight(self, name: str) -> dict[str, str]:
        if self.path is None:
            return {}
        if name in self.path.caught:
            return {"color": CAUGHT_COLOR, "fillcolor": ERROR_FILL, "penwidth": "3"}
        if name in self.path.failed:
            return {"color": ERROR_COLOR, "fillcolor": ERROR_FILL, "penwidth": "3"}
        if name in self.visited:
            return {"color": OK_COLOR, "penwidth": "3"}
        return {"color": MUTED, "fontcolor": MUTED}

    def _status_color(self) -> str:
        return {"SUCCEEDED": OK_COLOR, "RUNNING": "#232F3E"}.get(self.path.status if self.path else "", ERROR_COLOR)


def _node_id(scope: str, name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_.]", "_", f"{scope}{name}")


def _wrapped(text: str, width: int = 34) -> list[str]:
    """`text` on lines of about `width` characters, broken before " → " and " · " or at spaces:
    long subtitles and conditions are what made state machines wider than the page."""
    if len(text) <= width:
        return [text] if text else []
    parts = re.split(r"(?= → | · )", text)
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + len(part) > width:
            lines.append(part.strip())
        else:
            lines[-1] += part
    return [short for line in lines
            for short in textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)]


def _subtitle(kind: str, state: dict[str, Any]) -> str:
    """A second line: what a Task calls, how long a Wait waits, what a Map iterates, a Fail's error."""
    if kind == "Task":
        resource = str(state.get("Resource", ""))
        params = state.get("Parameters") or state.get("Arguments") or {}
        api = resource.removeprefix("arn:aws:states:::")
        target = params.get("FunctionName") or params.get("QueueUrl") or params.get("TopicArn") or \
            params.get("TableName") or params.get("StateMachineArn")
        shown = f"{api} → {short_name(target)}" if isinstance(target, str) else short_name(api) if \
            api.startswith("arn:") else api
        return shown + (f" · timeout {state['TimeoutSeconds']} s" if "TimeoutSeconds" in state else "")
    if kind == "Wait":
        for key in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"):
            if key in state:
                return f"wait {state[key]}{' s' if key == 'Seconds' else ''}"
    if kind == "Map":
        items = state.get("ItemsPath") or state.get("Items") or "$"
        concurrency = state.get("MaxConcurrency")
        return f"Map over {items}" + (f" · max {concurrency} at once" if concurrency else "")
    if kind == "Parallel":
        return f"Parallel · {len(state.get('Branches', []))} branches"
    if kind == "Fail":
        return " · ".join(str(state[k]) for k in ("Error", "Cause") if k in state)
    if kind == "Pass" and "Result" in state:
        return "result " + json.dumps(state["Result"])[:30]
    return kind if kind in ("Pass", "Choice", "Succeed") else ""
