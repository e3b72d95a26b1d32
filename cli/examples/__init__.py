"""Example files for a plain install: ``rledger examples --out DIR`` writes them.

The shipped policy and its cases live in the ``policies`` package, the demo's decision files in
``cli.demo``, and this package holds the README's decision file (``release.yaml``, a
template dated when written), a canary summary and contract terms. See
:func:`cli.examples.write.write_examples`.
"""
