"""Policy text to a validated Policy. Errors name the line and the field.

The policy's identity is the SHA-256 of its exact bytes: two files that parse the same
but differ in a comment are different policies, because the text is what was adopted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ledger.encoding.reader import ReadError, read_yaml
from policies.errors import PolicyFileError
from policies.model import Policy


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
    """Read and validate policy text (YAML 1.2, through the shared reader: exact numbers,
    duplicate keys refused). Raises :class:`PolicyFileError` naming the line and the field."""
    try:
        document = read_yaml(text, what="policy")
    except ReadError as exc:
        problem = exc.problem.removeprefix("policy is ")
        raise PolicyFileError(problem, field=exc.field, line=exc.line, source=source) from None
    data = document.data
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
            line=document.line_of(loc),
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


def default_policy_path() -> Path:
    return Path(__file__).with_name("default.yaml")


def load_default_policy() -> LoadedPolicy:
    return load_policy_file(default_policy_path())
