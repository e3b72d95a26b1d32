"""Who may do what, and when: identities, signed statements and the release lifecycle.

The same state machine (``state.GovernanceState``) decides whether a new entry may be
appended and re-checks every entry when the log is verified, so what the ledger enforces
and what an auditor verifies cannot drift apart.
"""

# Importing the handler modules registers what each entry kind may do (state.HANDLERS).
from governance import identities, lifecycle, tokens

__all__ = ["identities", "lifecycle", "tokens"]
