"""``rledger examples``: the shipped policy, its cases and example input files, after any install."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.examples.write import write_examples
from ledger.clock import clock_from_environment


@click.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write into (created if missing; existing files are never overwritten).",
)
def examples(out: Path) -> None:
    """Write the shipped policy (default.yaml), its cases, and example decision, canary and
    terms files into OUT. Try: rledger policy test OUT/default.yaml --cases OUT/cases"""
    written = write_examples(out, clock_from_environment(os.environ).now())
    shown = sorted(
        {
            str(p.relative_to(out).parts[0]) + ("/" if len(p.relative_to(out).parts) > 1 else "")
            for p in written.files
        }
    )
    click.echo(f"wrote {len(written.files)} files into {out}: {', '.join(shown)}")
    click.echo(f"try: rledger policy test {out / 'default.yaml'} --cases {out / 'cases'}")
