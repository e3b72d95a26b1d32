"""The rules that fired: each outcome names the policy path that produced it.

A ``RuleFired`` is recorded in every decision entry (``rules_fired``) and reported by
``rledger policy explain``, with the values the rule saw, so a reader can see why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RuleFired:
    rule: str
    outcome: str
    values: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome, "values": dict(self.values)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleFired:
        return cls(
            str(data["rule"]), str(data["outcome"]), {str(k): str(v) for k, v in data["values"].items()}
        )
