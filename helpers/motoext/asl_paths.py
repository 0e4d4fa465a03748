"""JSONPath as Step Functions evaluates it: a definite path gives one value, an indefinite one a list.

Step Functions evaluates JSONPath the way Jayway JsonPath does ("Using JSONPath paths", Step
Functions developer guide, https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html):
a *definite* path (only `.name`, `['name']` and single `[index]` steps, e.g. `$[0].tax` after a
Parallel state) selects one node and returns its value, a scalar if the node is one; an
*indefinite* path (a wildcard `*`, a slice `[a:b]`, a union `[0,1]` or `['a','b']`, a filter
`[?(...)]`, a deep scan `..`) returns the list of matches, empty if nothing matches. A definite path
that selects nothing is an error (`States.Runtime`, "The JSONPath ... could not be found").

moto's evaluator returns a list for any path whose last step or last but one is an index (so
`$[0].tax` gave `[107]`); this module is what the lab evaluates every path with instead.
"""
from __future__ import annotations

import functools
from typing import Any

from jsonpath_ng import jsonpath as _steps
from jsonpath_ng.ext import parse as _parse


class PathNotFound(LookupError):
    """A definite path selected nothing."""


@functools.lru_cache(maxsize=4096)
def compile_path(path: str) -> tuple[Any, bool]:
    """The parsed expression of `path` and whether it is definite (raises on a malformed path)."""
    expression = _parse(path)
    return expression, _is_definite(expression)


def _is_definite(node: Any) -> bool:
    if isinstance(node, (_steps.Root, _steps.This)):
        return True
    if isinstance(node, _steps.Child):
        return _is_definite(node.left) and _is_definite(node.right)
    if isinstance(node, _steps.Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, _steps.Index):
        return len(node.indices) == 1
    return False  # Wildcard, Slice, Filter, Descendants, Union, ...


def is_valid(path: str) -> bool:
    """True when `path` is a JSONPath this evaluator accepts (it starts at the root `$`)."""
    if not isinstance(path, str) or not path.startswith("$"):
        return False
    try:
        compile_path(path)
    except Exception:  # jsonpath_ng raises its own lexer/parser errors and plain Exceptions
        return False
    return True


def is_reference_path(path: str) -> bool:
    """True for a Reference Path: a valid path that can only select one node (ASL spec, Paths)."""
    return is_valid(path) and compile_path(path)[1]


def extract(path: str, data: Any) -> Any:
    """The value `path` selects in `data`, as Step Functions returns it (see the module docstring)."""
    expression, definite = compile_path(path)
    matches = expression.find(data)
    if not definite:
        return [match.value for match in matches]
    if not matches:
        raise PathNotFound(path)
    return matches[0].value
