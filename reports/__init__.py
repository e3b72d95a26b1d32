"""Audit-ready PDF reports that verify themselves.

Three reports (release, audit export, procurement scorecard) rendered with Jinja2 and
WeasyPrint as PDF/A-3b, each carrying ``evidence.json``: the exact bytes of every entry it
covers, their inclusion proofs, the signed checkpoint and the verifier key, plus the figures
it prints. ``reports.verify`` checks a report offline against a verifier key.

Only this package imports WeasyPrint, matplotlib, pypdf and pyHanko; the domain packages
(``ledger.tlog``, ``ledger.scoring``, ``policies``) never do.
"""
