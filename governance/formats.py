"""Ledger format versions: which rules apply to a ledger (docs/formats.md §5.1).

``ledger.init`` declares the format the ledger was written in (absent means 1). A rule added
after format 1 applies only to ledgers that declare the format it came with, so a ledger keeps
verifying under the rules it was written with, on any later version of this code.

- format 2 (issue 9): the canary window, and decisions' own instants may not lie in the future;
- format 3 (issue 11): one person is one identity (names compared after NFKC and case
  folding, a key registered to one identity only, roles the policy in force knows, separation
  of duties by key as well as by name, no retrospective approval by the break-glass promoter),
  and promotion is judged against the controls in force at that moment (freezes of the
  latest adopted policy) as well as its decision's recorded policy;
- format 4 (issue 11): authority comes only from personal signatures. A token attestation
  authorises nothing (older formats' attested entries are listed as asserted by the operator);
  a signature covers the statement envelope (kind, log origin, signed part); and every
  statement about a release names its subject, ``model`` and ``version``, beside the
  decision's entry hash.
"""

from __future__ import annotations

# The ledger format this code writes.
LEDGER_FORMAT = 4
KNOWN_FORMATS = frozenset({1, 2, 3, 4})

# The first format each family of rules applies to.
TIME_RULES = 2
IDENTITY_RULES = 3
CONTROLS_AT_ACTION = 3
PERSONAL_SIGNATURES = 4
