"""The series' visual language: one colour and shape per service, one line style per kind of link."""
from __future__ import annotations

from dataclasses import dataclass

import graphviz

FONT = "Helvetica"


@dataclass(frozen=True)
class ServiceStyle:
    """How a resource of one service looks in every diagram."""

    label: str
    shape: str
    color: str
    fill: str
    style: str = "filled"

    def attrs(self) -> dict[str, str]:
        """Graphviz node attributes."""
        return {"shape": self.shape, "color": self.color, "fillcolor": self.fill, "style": self.style,
                "fontname": FONT, "fontsize": "11", "penwidth": "1.4"}


#: One entry per kind of participant; keys are what `kind_of_arn` returns.
SERVICES: dict[str, ServiceStyle] = {
    "client": ServiceStyle("Client (your code)", "box", "#232F3E", "#EAEDED", "rounded,filled"),
    "lambda": ServiceStyle("Lambda function", "box", "#ED7100", "#FDEBD9", "rounded,filled"),
    "lambda-async": ServiceStyle("Lambda event queue (async)", "box", "#ED7100", "#FFF6EE",
                                 "rounded,filled,dashed"),
    "sqs": ServiceStyle("SQS queue", "cds", "#E7157B", "#FBDDEB"),
    "sns": ServiceStyle("SNS topic", "invtrapezium", "#DD344C", "#F9DDE1"),
    "events-bus": ServiceStyle("EventBridge bus", "parallelogram", "#8C4FFF", "#E8DDFF"),
    "events-rule": ServiceStyle("EventBridge rule", "hexagon", "#8C4FFF", "#F6F1FF"),
    "events-archive": ServiceStyle("EventBridge archive", "folder", "#8C4FFF", "#F6F1FF"),
    "states": ServiceStyle("Step Functions state machine", "component", "#BC1356", "#F5D9E4"),
    "dynamodb": ServiceStyle("DynamoDB table", "cylinder", "#3B48CC", "#DEE0F7"),
    "kinesis": ServiceStyle("Kinesis stream", "box", "#01A88D", "#D6F2EE", "filled,diagonals"),
    "logs": ServiceStyle("CloudWatch Logs group", "note", "#3F8624", "#E2EFDA"),
    "other": ServiceStyle("Other endpoint", "box", "#7D8998", "#F2F3F3"),
}

#: Line styles: synchronous calls solid, asynchronous deliveries dashed, failure paths red.
LINKS: dict[str, dict[str, str]] = {
    "sync": {"style": "solid", "color": "#232F3E"},
    "async": {"style": "dashed", "color": "#232F3E"},
    "poll": {"style": "bold", "color": "#545B64", "arrowhead": "vee"},
    "success": {"style": "dashed", "color": "#1D8102"},
    "failure": {"style": "dashed", "color": "#D13212"},
    "contains": {"style": "solid", "color": "#8C4FFF", "arrowhead": "none"},
    "archive": {"style": "dotted", "color": "#8C4FFF", "arrowhead": "normal"},
    "return": {"style": "dotted", "color": "#545B64", "arrowhead": "open"},
}
LINK_LABELS = {"sync": "synchronous call", "async": "asynchronous delivery", "poll": "poller (event source mapping)",
               "success": "on success", "failure": "failure path (retry exhausted, DLQ)",
               "contains": "bus routes to rule",
               "archive": "bus keeps matching events in archive", "return": "response"}
_DRAWN = {"solid": "━━━", "bold": "━━━", "dashed": "╌╌╌", "dotted": "┈┈┈"}
ERROR_COLOR = "#D13212"
ERROR_FILL = "#FADBD8"
OK_COLOR = "#1D8102"
CAUGHT_COLOR = "#E07B00"
MUTED = "#8D99A8"


def kind_of_arn(arn: str) -> str:
    """The `SERVICES` key for an ARN or queue URL."""
    if arn.startswith("https://sqs.") or arn.startswith("http://sqs."):
        return "sqs"
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return "other"
    service, rest = parts[2], parts[5]
    if service == "events":
        return {"rule": "events-rule", "archive": "events-archive"}.get(rest.split("/")[0], "events-bus")
    return {"lambda": "lambda", "sqs": "sqs", "sns": "sns", "states": "states", "dynamodb": "dynamodb",
            "kinesis": "kinesis", "logs": "logs"}.get(service, "other")


def short_name(arn: str) -> str:
    """A readable name for an ARN or queue URL: `orders`, `f`, `shop/order-placed`..."""
    if "://" in arn:
        return arn.rstrip("/").rsplit("/", 1)[-1]
    parts = arn.split(":")
    if len(parts) < 6:
        return arn
    kind = kind_of_arn(arn)
    if kind == "lambda":
        return parts[6] if len(parts) > 6 else parts[-1]
    if kind in ("events-bus", "events-rule", "events-archive", "dynamodb", "kinesis"):
        path = ":".join(parts[5:]).split("/", 1)
        name = path[-1]
        return name.split("/stream/")[0] if kind == "dynamodb" else name
    if kind == "logs":
        return ":".join(parts[6:7]) or parts[-1]
    return parts[-1] if kind != "states" else parts[6]


def link_attrs(kind: str, label: str = "") -> dict[str, str]:
    """Graphviz edge attributes for a link of this kind."""
    attrs = {"fontname": FONT, "fontsize": "9", "penwidth": "1.2", **LINKS[kind]}
    if label:
        attrs["label"] = label
        attrs["fontcolor"] = LINKS[kind]["color"]
    return attrs


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def links_legend_label(links: list[str], across: bool = False) -> str:
    """An HTML-like label: a line per kind of link (or, `across`, all of them on one line)."""
    cells = [f'<TD ALIGN="LEFT"><FONT COLOR="{LINKS[k]["color"]}">{_DRAWN[LINKS[k]["style"]]} {LINK_LABELS[k]}'
             f"</FONT></TD>" for k in links]
    rows = f"<TR>{''.join(cells)}</TR>" if across else "".join(f"<TR>{cell}</TR>" for cell in cells)
    return f'<<TABLE BORDER="0" CELLSPACING="2">{rows}</TABLE>>'


def add_legend(graph: graphviz.Digraph, kinds: list[str], links: list[str]) -> None:
    """A legend cluster: a sample node per service used and a line per kind of link used."""
    if not kinds and not links:
        return
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="Legend", fontname=FONT, fontsize="10", style="rounded,dashed", color=MUTED)
        for kind in kinds:
            legend.node(f"legend_{kind}", SERVICES[kind].label,
                        **{**SERVICES[kind].attrs(), "fontsize": "9", "height": "0.3", "margin": "0.06,0.02"})
        if links:
            legend.node("legend_links", links_legend_label(links), shape="plaintext", fontname=FONT, fontsize="10")
