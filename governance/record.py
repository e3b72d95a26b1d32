"""The ``release.decision`` record: the request, the policy in force, and its evaluation.

Step 5 of a decision's path (docs/architecture.md): read and validate
(:mod:`ledger.scoring.input`), assess (:mod:`ledger.scoring.assess`), evaluate the policy
(:mod:`policies.evaluate`), then this: the payload that is signed and hashed into the log.
"""

from __future__ import annotations

from typing import Any

from ledger.scoring.input import request_fields
from ledger.scoring.request import DecisionRequest
from policies.evaluate import DecisionEvaluation, evaluate_request
from policies.loader import LoadedPolicy

DECISION_KIND = "release.decision"


def decision_record(
    loaded: LoadedPolicy, request: DecisionRequest, evaluation: DecisionEvaluation
) -> dict[str, Any]:
    """The release.decision payload (docs/formats.md): submitted fields, the policy, the evaluation.

    For a policy without ``scoring.weight_rules`` the payload is exactly what it was before
    that section existed.
    """
    return {
        **request_fields(request),
        "policy": {
            "policy_id": loaded.policy.policy_id,
            "version": loaded.policy.version,
            "sha256": loaded.sha256,
        },
        "assessment": evaluation.assessment,
        "requirements": evaluation.requirements,
        "rules_fired": [r.to_json() for r in evaluation.fired],
    }


def record_for(loaded: LoadedPolicy, request: DecisionRequest) -> dict[str, Any]:
    """The record of ``request`` under ``loaded``, evaluated afresh (replay, tests).

    Raises as :func:`policies.evaluate.evaluate_request` does, refusals included."""
    return decision_record(loaded, request, evaluate_request(loaded, request))
