"""A policy's scoring section, in the form :mod:`ledger.scoring` computes with.

The policy owns the numbers (weight profiles, gates, bands, risk weights and tiers); the
scoring owns the formulas (seed 000, seed 001). This is the one place the two meet.
"""

from __future__ import annotations

from types import MappingProxyType

from ledger.scoring.rules import CatalogueGate, ScoringRules, SensitivityEscalation, SeverityEffect
from policies.loader import LoadedPolicy


def scoring_rules(loaded: LoadedPolicy) -> ScoringRules:
    """The policy's scoring section in the form ledger.scoring computes with."""
    p = loaded.policy
    return ScoringRules(
        rules_id=f"policy:{p.policy_id}@{p.version}:{loaded.sha256}",
        weight_profiles=MappingProxyType(
            {name: MappingProxyType(w.model_dump()) for name, w in p.scoring.weight_profiles.items()}
        ),
        parity=p.scoring.bands.parity,
        green_margin=p.scoring.bands.green_margin,
        risk_weights=MappingProxyType(dict(p.risk.factor_weights)),
        tier_low_below=p.risk.low_below,
        tier_medium_below=p.risk.medium_below,
        escalations=tuple(
            SensitivityEscalation(e.classification, e.min_tier, frozenset(e.categories))
            for e in p.risk.escalations
        ),
        gate_catalogue=tuple(
            CatalogueGate(g.name, g.direction, g.threshold, g.severity, g.required) for g in p.scoring.gates
        ),
        severity_effects=MappingProxyType(
            {s: SeverityEffect(e.effect, e.penalty) for s, e in p.scoring.severity_effects.items()}
        ),
    )
