"""Release policies as files: a pydantic schema, a YAML loader that names lines, and evaluation.

- ``model``     the policy schema (export it with ``python -m policies.schema``);
- ``loader``    YAML text to a validated :class:`~policies.model.Policy`, errors with line numbers;
- ``freeze``    freeze windows (date ranges and recurring weekly windows, in a time zone);
- ``evaluate``  a decision under a policy at a given moment: outcome plus the rules that fired;
- ``cases``     ``rledger policy test``: expected outcomes for given inputs.

Nothing here reads the clock, the network or a database.
"""
