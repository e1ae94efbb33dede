"""YAML loading that remembers where every value came from, so errors can name file:line.

PyYAML silently keeps the last of duplicate keys; we refuse them instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]


@dataclass
class Marked:
    """A parsed document plus the line (1-based) of each value, keyed by its path."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int:
        """Line of the deepest known ancestor of `loc` (a missing field points at its parent)."""
        for n in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:n]))
            if line is not None:
                return line
        return 1

    def where(self, loc: Loc) -> str:
        return f"{self.path}:{self.line_of(loc)}"


class YamlError(Exception):
    """A file that is not readable YAML; the message already names file:line."""


def load(path: Path) -> Marked:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlError(f"{path}:1: cannot read file: {exc.strerror}") from exc
    return parse(text, path)


def parse(text: str, path: Path) -> Marked:
    """`text` as if read from `path` (errors name that path and the line)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise YamlError(f"{path}:{line}: invalid YAML: {exc.problem}") from exc
    if node is None:
        return Marked(path, None, {(): 1})
    marked = Marked(path, None)
    _check_and_mark(node, (), marked)
    try:
        marked.data = yaml.SafeLoader(text).get_single_data()
    except ValueError as exc:  # a scalar YAML reads as a date that does not exist
        line = _bad_scalar_line(node)
        raise YamlError(f"{path}:{line}: invalid value: {exc}") from exc
    return marked


def _bad_scalar_line(node: yaml.Node) -> int:
    """The line of the first scalar whose value cannot be constructed (2026-02-30)."""
    constructor = yaml.SafeLoader("")
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            try:
                constructor.construct_object(current, deep=True)
            except ValueError:
                return int(current.start_mark.line) + 1
        elif isinstance(current, yaml.MappingNode):
            stack.extend(v for pair in current.value for v in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return 1


def _check_and_mark(node: yaml.Node, loc: Loc, marked: Marked) -> None:
    marked.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlError(
                    f"{marked.path}:{line}: duplicate key {key!r} (first on line {seen[key]})"
                )
            seen[key] = line
            _check_and_mark(value_node, (*loc, key), marked)
            marked.lines[(*loc, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_and_mark(item, (*loc, i), marked)
