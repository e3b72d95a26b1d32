"""Policy text to a validated Policy. Errors name the line and the field.

The policy's identity is the SHA-256 of its exact bytes: two files that parse the same
but differ in a comment are different policies, because the text is what was adopted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from policies.errors import PolicyFileError
from policies.model import Policy


class _ExactLoader(yaml.SafeLoader):
    """Reads YAML floats as Decimals, so 0.35 is exactly 0.35."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))  # type: ignore[arg-type]


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    text: str
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.policy.policy_id} v{self.policy.version} ({self.sha256[:12]})"


def policy_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_policy_text(text: str, source: str = "policy") -> LoadedPolicy:
    try:
        node = yaml.compose(text, Loader=_ExactLoader)
        data = yaml.load(text, Loader=_ExactLoader)
    except yaml.YAMLError as exc:
        line = None
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        raise PolicyFileError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", line=line, source=source
        ) from None
    if not isinstance(data, dict):
        raise PolicyFileError(
            "a policy is a mapping (policy_id, version, scoring, ...)", line=1, source=source
        )
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise PolicyFileError(
            message,
            field=".".join(str(p) for p in loc) or "(top level)",
            line=_line_of(node, loc),
            source=source,
        ) from None
    return LoadedPolicy(policy, text, policy_sha256(text))


def load_policy_file(path: Path) -> LoadedPolicy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyFileError("file does not exist", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(f"cannot read: {exc}", source=str(path)) from None
    return load_policy_text(text, source=str(path))


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node on the error's path."""
    if node is None:
        return None
    line = int(node.start_mark.line) + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = int(node.start_mark.line) + 1
    return line


def default_policy_path() -> Path:
    return Path(__file__).with_name("default.yaml")


def load_default_policy() -> LoadedPolicy:
    return load_policy_file(default_policy_path())
