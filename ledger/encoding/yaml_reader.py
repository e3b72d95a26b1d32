"""The YAML half of the one reader: YAML 1.2 core schema text to plain data, with lines.

ruamel.yaml parses and composes; this module refuses what the rules of
:mod:`ledger.encoding.reader` refuse at two points. Before composing, the event stream is
checked for a ``%YAML`` directive other than 1.2 and for nesting beyond :data:`MAX_DEPTH`
(the composer recurses once per level). After composing, the node walk refuses tags outside
the core schema, merge keys, keys that are not text, duplicate keys and numbers that are not
plain decimal, and records the line of every value.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, DocumentStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ledger.encoding.document import MAX_DEPTH, Document, FieldPath, MalformedError, ReadError
from ledger.encoding.number_text import exact_number
from ledger.encoding.walk import PlainWalker, check_key


def read_yaml(text: str, *, what: str = "document") -> Document:
    """Read YAML 1.2 text with exact numbers and per-value lines.

    Raises :class:`MalformedError` or :class:`ReadError`.
    """
    yaml = YAML(typ="safe", pure=True)
    try:
        _yaml_structure_check(yaml, text)
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "unreadable").split())
        raise MalformedError(
            f"{what} is not valid YAML: {problem}",
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    except YAMLError as exc:
        raise MalformedError(f"{what} is not valid YAML: {' '.join(str(exc).split())}") from None
    lines: dict[FieldPath, int] = {}
    data = None if node is None else _YamlWalker(lines).plain(node, ())
    return Document(data, lines)


def _yaml_structure_check(yaml: YAML, text: str) -> None:
    """Refuse YAML 1.1 documents and deep nesting from the event stream, before composing
    (ruamel's composer recurses once per level)."""
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, DocumentStartEvent) and event.version not in (None, (1, 2)):
            version = ".".join(str(part) for part in event.version)
            raise ReadError(
                f"%YAML {version} documents are not read: this reader follows YAML 1.2",
                line=event.start_mark.line + 1,
            )
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ReadError(
                    f"nested more than {MAX_DEPTH} levels deep",
                    line=event.start_mark.line + 1,
                    column=event.start_mark.column + 1,
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


_CORE = "tag:yaml.org,2002:"


class _YamlWalker(PlainWalker):
    """Plain data from composed nodes, recording in ``lines`` where each value starts."""

    def __init__(self, lines: dict[FieldPath, int]) -> None:
        super().__init__()
        self.lines = lines

    def line_of(self, value: Any) -> int | None:
        return value.start_mark.line + 1 if isinstance(value, Node) else None

    def convert(self, value: Any, path: FieldPath) -> Any:
        self.lines.setdefault(path, value.start_mark.line + 1)
        if isinstance(value, MappingNode):
            return self._mapping(value, path)
        if isinstance(value, SequenceNode):
            return self._sequence(value, path)
        assert isinstance(value, ScalarNode)
        return self._scalar(value, path)

    def _refuse(self, problem: str, path: FieldPath, node: Node) -> ReadError:
        return self.error(problem, path, node.start_mark.line + 1, node.start_mark.column + 1)

    def _sequence(self, node: SequenceNode, path: FieldPath) -> list[Any]:
        tag = str(node.tag)
        if tag != _CORE + "seq":
            raise self._refuse(f"tag {tag} is not read; use a plain list", path, node)
        return [self.plain(item, (*path, number)) for number, item in enumerate(node.value)]

    def _mapping(self, node: MappingNode, path: FieldPath) -> dict[str, Any]:
        tag = str(node.tag)
        if tag != _CORE + "map":
            raise self._refuse(f"tag {tag} is not read; use a plain mapping", path, node)
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key in result:
                raise self._refuse(f"duplicate key {key!r}, first on line {first_line[key]}", path, key_node)
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.plain(value_node, (*path, key))
        return result

    def _key(self, node: Node, path: FieldPath) -> str:
        """A mapping key's text: plain text only, never a merge key (``<<``) or a collection."""
        if str(node.tag) == _CORE + "merge":
            raise self._refuse("merge keys (<<) are not read; write the keys out", path, node)
        if not isinstance(node, ScalarNode) or str(node.tag) != _CORE + "str":
            shown = node.value if isinstance(node, ScalarNode) else "a collection"
            raise self._refuse(f"key {shown!r} is not text; quote it", path, node)
        key = str(node.value)
        check_key(key, lambda problem: self._refuse(problem, path, node))
        return key

    def _scalar(self, node: ScalarNode, path: FieldPath) -> Any:
        tag, text = str(node.tag), str(node.value)
        if tag in (_CORE + "str", _CORE + "timestamp"):
            # Timestamps are not in the YAML 1.2 core schema: kept as text, as they arrive in JSON.
            return text
        if tag in (_CORE + "int", _CORE + "float"):
            try:
                return exact_number(text.strip(), integer=tag == _CORE + "int")
            except ValueError as exc:
                raise self._refuse(str(exc), path, node) from None
        if tag == _CORE + "bool":
            return text.lower() == "true"
        if tag == _CORE + "null":
            return None
        raise self._refuse(
            f"tag {tag} is not read; write plain text, numbers, lists and mappings", path, node
        )
