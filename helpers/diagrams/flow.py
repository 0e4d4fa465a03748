"""One flow as a sequence diagram, and a whole trace as a service map (like X-Ray's)."""
from __future__ import annotations

import html
from collections import Counter
from typing import TYPE_CHECKING

import graphviz

from .interactions import Interaction, Participant, interactions
from .render import Diagram
from .style import ERROR_COLOR, FONT, LINKS, MUTED, SERVICES, add_legend, link_attrs, links_legend_label

if TYPE_CHECKING:
    import pandas as pd

    from ..lab import Lab

#: Rows beyond this are left out of a sequence diagram (it says so).
MAX_ROWS = 200


def draw_sequence(flow: str | pd.DataFrame = "last", lab: Lab | None = None, *, title: str = "") -> Diagram:
    """One correlation id's hops: participants left to right, virtual time downwards.

    `flow` is a trace id (or "last"), or a trace DataFrame already filtered to what you want to see.
    Synchronous calls are solid, asynchronous deliveries dashed, responses dotted, failures red.
    """
    frame = _trace(lab, flow) if flow is None or isinstance(flow, str) else flow
    items = interactions(frame)
    shown, hidden = items[:MAX_ROWS], len(items) - MAX_ROWS
    if hidden > 0:
        title = f"{title} (first {MAX_ROWS} of {len(items)} hops)".strip()
    return Diagram(_sequence_graph(shown, title))


def draw_service_map(trace: pd.DataFrame | None = None, lab: Lab | None = None, *, title: str = "") -> Diagram:
    """Every participant of a trace with how many calls it received and how many failed; edges counted."""
    frame = trace if trace is not None else _trace(lab, None)
    items = interactions(frame)
    calls: Counter[Participant] = Counter()
    made: Counter[Participant] = Counter()  # calls a participant sent (a client receives none)
    errors: Counter[Participant] = Counter()
    edges: Counter[tuple[Participant, Participant, str]] = Counter()
    edge_errors: Counter[tuple[Participant, Participant, str]] = Counter()
    nodes: dict[Participant, None] = {}
    for item in items:
        nodes.setdefault(item.source)
        if item.target is None:
            errors[item.source] += item.error
            continue
        nodes.setdefault(item.target)
        key = (item.source, item.target, item.link)
        edges[key] += 1
        edge_errors[key] += item.error
        if item.link == "return":
            errors[item.source] += item.error
        else:
            calls[item.target] += 1
            made[item.source] += 1
            errors[item.target] += item.error
    graph = graphviz.Digraph("service_map", graph_attr={"rankdir": "LR", "fontname": FONT, "label": title,
                                                        "labelloc": "t", "ranksep": "0.8"})
    ids = {p: _participant_id(p) for p in nodes}
    for participant in nodes:
        count, failed = calls[participant], errors[participant]
        stats = (f"{count} call{'s' * (count != 1)}" if count or not made[participant]
                 else f"made {made[participant]} call{'s' * (made[participant] != 1)}")
        stats += f" · {failed} error{'s' * (failed != 1)}" if failed else ""
        name = html.escape(participant_label(participant)).replace("\n", "<BR/>")
        attrs = {**SERVICES[participant[0]].attrs(),
                 "label": f'<<B>{name}</B><BR/><FONT POINT-SIZE="9">{stats}</FONT>>'}
        if failed:
            attrs.update(color=ERROR_COLOR, penwidth="2.5")
        graph.node(ids[participant], **attrs)
    for (source, target, link), count in edges.items():
        failed = edge_errors[(source, target, link)]
        label = f"×{count}" + (f" ({failed} failed)" if failed else "")
        graph.edge(ids[source], ids[target], **link_attrs(link, label))
    add_legend(graph, [k for k in SERVICES if any(p[0] == k for p in nodes)],
               [k for k in LINKS if any(key[2] == k for key in edges)])
    return Diagram(graph)


def _trace(lab: Lab | None, flow: str | None) -> pd.DataFrame:
    from ..trace import trace

    return trace(lab, flow=flow)


def participant_label(participant: Participant) -> str:
    """What a participant is called in a diagram."""
    kind, name = participant
    return f"{name}\nevent queue" if kind == "lambda-async" else name


def _participant_id(participant: Participant) -> str:
    return "p_" + "".join(c if c.isalnum() or c in "_.-" else "_" for c in f"{participant[0]}__{participant[1]}")


def _sequence_graph(items: list[Interaction], title: str) -> graphviz.Digraph:
    """A grid: a header row of participants, then one row per interaction, lifelines joining the rows."""
    participants: dict[Participant, None] = {("client", "client"): None} if any(
        i.source[0] == "client" for i in items) else {}
    for item in items:
        participants.setdefault(item.source)
        if item.target is not None:
            participants.setdefault(item.target)
    columns = list(participants)
    ids = {p: _participant_id(p) for p in columns}
    graph = graphviz.Digraph("sequence", graph_attr={
        "rankdir": "TB", "fontname": FONT, "label": title, "labelloc": "t", "nodesep": "0.2", "ranksep": "0.25",
        "newrank": "true", "splines": "line"}, node_attr={"fontname": FONT, "fontsize": "10"},
        edge_attr={"fontname": FONT, "fontsize": "9"})
    with graph.subgraph(name="header") as header:
        header.attr(rank="same")
        header.node("time_h", "virtual time", shape="plaintext", fontcolor=MUTED)
        for p in columns:
            header.node(ids[p], participant_label(p), group=ids[p],
                        **{**SERVICES[p[0]].attrs(), "tooltip": SERVICES[p[0]].label})
        _order(header, ["time_h"] + [ids[p] for p in columns])
    previous = {p: ids[p] for p in columns}
    for row, item in enumerate(items):
        cells = {p: f"{ids[p]}__{row}" for p in columns}
        with graph.subgraph(name=f"row{row}") as line:
            line.attr(rank="same")
            line.node(f"time_{row}", f"+{item.t:.3f} s", shape="plaintext", fontcolor=MUTED, fontsize="9")
            for p in columns:
                if item.target is None and p == item.source:
                    color = ERROR_COLOR if item.error else "#545B64"
                    line.node(cells[p], item.label, shape="note", fontsize="9", color=color, fontcolor=color,
                              style="filled", fillcolor=SERVICES[p[0]].fill, group=ids[p])
                else:
                    line.node(cells[p], "", shape="point", width="0.02", color=MUTED, group=ids[p])
            _order(line, [f"time_{row}"] + [cells[p] for p in columns])
        for p in columns:
            graph.edge(previous[p], cells[p], style="dashed", color="#C8CED6", arrowhead="none")
            previous[p] = cells[p]
        if item.target is not None:
            attrs = link_attrs(item.link, item.label)
            if item.error:
                attrs.update(color=ERROR_COLOR, fontcolor=ERROR_COLOR)
            graph.edge(cells[item.source], cells[item.target], constraint="false", **attrs)
    links = sorted({i.link for i in items if i.target is not None}, key=list(LINKS).index)
    if links:  # under the time column, so the legend adds no width
        graph.node("legend_links", links_legend_label(links), shape="plaintext", fontsize="9")
        graph.edge(f"time_{len(items) - 1}" if items else "time_h", "legend_links", style="invis")
    return graph


def _order(subgraph: graphviz.Digraph, node_ids: list[str]) -> None:
    """Keep nodes of one rank left to right in this order."""
    for left, right in zip(node_ids, node_ids[1:]):
        subgraph.edge(left, right, style="invis")
