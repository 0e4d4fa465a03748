"""EventBridge: what a target receives, built from `Input`, `InputPath` or `InputTransformer`.

AWS rules (aws-semantics.md 4 [E6][E6b]): `Input` is passed as is; `InputPath` passes the part of the
event a JSON path selects; an `InputTransformer` fills `<variable>` placeholders of its
`InputTemplate` from `InputPathsMap` and the reserved variables `aws.events.rule-arn`,
`aws.events.rule-name`, `aws.events.event.ingestion-time` (ISO 8601), `aws.events.event` (the event
without `detail`) and `aws.events.event.json` (the whole event). In a JSON template an unquoted
string placeholder becomes a JSON string and a quoted one is inserted as is; in a text template every
value is inserted as is. JSON passed to a target is minified. A variable whose path is not in the
event is not created: the lab inserts nothing in text and `null` in JSON (modeled; AWS's page says
only that the variable "won't appear in the output").
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


@dataclass(frozen=True)
class RuleContext:
    """What the reserved variables of an input transformer refer to."""

    rule_name: str
    rule_arn: str
    ingestion_time: str


def minified(value: Any) -> str:
    """JSON as EventBridge passes it to targets: no whitespace."""
    return json.dumps(value, separators=(",", ":"))


@functools.lru_cache(maxsize=1024)
def _compiled(path: str) -> Any:
    """A JSON path parsed once (jsonpath_ng's parser costs about half a millisecond a path)."""
    from jsonpath_ng.ext import parse

    return parse(path)


def select(event: dict[str, Any], path: str) -> Any:
    """The value at JSON path `path` in `event` (a list for wildcard paths), or _MISSING."""
    found = [match.value for match in _compiled(path).find(event)]
    if not found:
        return _MISSING
    return found if "*" in path else found[0]


#: The variables every input transformer can use without defining them (aws-semantics.md 4 [E6]).
RESERVED_VARIABLES = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
                      "aws.events.event", "aws.events.event.json")


def check_template(target_id: str, transformer: dict[str, Any]) -> None:
    """PutTargets: every placeholder must be an InputPathsMap key or a reserved variable. AWS answers
    ValidationException "InputTemplate for target <id> contains invalid placeholder <name>." (the
    wording LocalStack reproduces from AWS, localstack-core/localstack/services/events/target.py)."""
    from moto.events.exceptions import ValidationException

    defined = set(transformer.get("InputPathsMap") or {}) | set(RESERVED_VARIABLES)
    for name in _PLACEHOLDER.findall(transformer.get("InputTemplate") or ""):
        if name not in defined:
            raise ValidationException(f"InputTemplate for target {target_id} contains invalid placeholder {name}.")


def target_input(target: dict[str, Any], event: dict[str, Any], rule: RuleContext) -> str:
    """The text EventBridge sends to `target` for `event`."""
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        value = select(event, target["InputPath"])
        return minified(None if value is _MISSING else value)
    transformer = target.get("InputTransformer")
    if transformer:
        return render(transformer["InputTemplate"], _variables(transformer, event, rule))
    return minified(event)


def _variables(transformer: dict[str, Any], event: dict[str, Any], rule: RuleContext) -> dict[str, Any]:
    values = {name: select(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update(zip(RESERVED_VARIABLES, (rule.rule_arn, rule.rule_name, rule.ingestion_time,
                                           {k: v for k, v in event.items() if k != "detail"}, event)))
    return values


def render(template: str, values: dict[str, Any]) -> str:
    """Fill `template`'s placeholders; JSON templates come out minified."""
    is_json = template.lstrip().startswith(("{", "["))
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        char = template[i]
        if char == "\\":
            out.append(template[i:i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        match = _PLACEHOLDER.match(template, i) if char == "<" else None
        if match and match.group(1) in values:
            out.append(_format(values[match.group(1)], quoted=in_string or not is_json))
            i = match.end()
            continue
        out.append(char)
        i += 1
    text = "".join(out)
    if is_json:
        try:
            return minified(json.loads(text))
        except ValueError:
            return text
    return text


def _format(value: Any, quoted: bool) -> str:
    """A value inside quotes (or a text template) goes in as is; outside quotes, as JSON."""
    if value is _MISSING:
        return "" if quoted else "null"
    if quoted:
        return value if isinstance(value, str) else minified(value)
    return minified(value)
