"""The architecture a learner built, drawn from the lab itself: `draw_architecture(lab)`."""
from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import graphviz

from .inventory import Inventory, Resource, read_inventory
from .render import Diagram
from .style import FONT, LINKS, SERVICES, add_legend, link_attrs

if TYPE_CHECKING:
    from ..lab import Lab


def draw_architecture(lab: Lab | None = None, *, legend: bool = True, title: str = "") -> Diagram:
    """Buses, rules, targets, queues, topics, subscriptions, mappings, functions, destinations, state machines."""
    if lab is None:
        from ..lab import current

        lab = current()
    return draw_inventory(read_inventory(lab.account_id, lab.region), legend=legend, title=title)


def draw_inventory(inventory: Inventory, *, legend: bool = True, title: str = "") -> Diagram:
    """Draw resources and links read by `read_inventory` (left to right, one style per service)."""
    graph = graphviz.Digraph("architecture", graph_attr={
        "rankdir": "LR", "fontname": FONT, "nodesep": "0.3", "ranksep": "0.7", "label": title,
        "labelloc": "t", "compound": "true"})
    ids = node_ids(inventory.resources.values())
    buses = {r.group for r in inventory.resources.values() if r.group}
    for resource in inventory.resources.values():
        if resource.group or resource.arn in buses:
            continue
        graph.node(ids[resource.arn], **_node_attrs(resource))
    for bus_arn in sorted(buses):
        bus = inventory.resources[bus_arn]
        with graph.subgraph(name=f"cluster_bus_{ids[bus_arn]}") as cluster:
            cluster.attr(label=f"event bus {bus.name}", style="rounded,dashed", color=SERVICES["events-bus"].color,
                         fontname=FONT, fontsize="10")
            cluster.node(ids[bus_arn], **_node_attrs(bus))
            for rule in inventory.resources.values():
                if rule.group == bus_arn:
                    cluster.node(ids[rule.arn], **_node_attrs(rule))
    for link in inventory.links:
        graph.edge(ids[link.source], ids[link.target], **link_attrs(link.kind, link.label))
    if legend:
        kinds = [k for k in SERVICES if any(r.kind == k for r in inventory.resources.values())]
        links = sorted({link.kind for link in inventory.links}, key=list(LINKS).index)
        add_legend(graph, kinds, links)
    return Diagram(graph)


def node_ids(resources: Iterable[Resource]) -> dict[str, str]:
    """Readable, unique DOT ids: `lambda__f`, `sqs__orders-dlq`..."""
    ids: dict[str, str] = {}
    for resource in resources:
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{resource.kind}__{resource.name}")
        ids[resource.arn] = base if base not in ids.values() else f"{base}__{len(ids)}"
    return ids


def _node_attrs(resource: Resource) -> dict[str, str]:
    attrs = SERVICES[resource.kind].attrs()
    lines = [f"<B>{html.escape(resource.name)}</B>"]
    lines += [f'<FONT POINT-SIZE="9">{html.escape(note)}</FONT>' for note in resource.notes]
    if resource.missing:
        lines.append('<FONT POINT-SIZE="9">(not in the lab)</FONT>')
        attrs["style"] = attrs["style"].replace("filled", "dashed")
    attrs["label"] = "<" + "<BR/>".join(lines) + ">"
    attrs["tooltip"] = resource.arn
    return attrs
