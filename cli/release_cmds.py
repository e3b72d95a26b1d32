"""Approvals and the release lifecycle: approve, canary, promote, rollback, and the CI gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.context import AppContext, actor_options, load_actor, pass_app
from cli.decision_cmds import decision_tier
from ledger.errors import InputError
from ledger.tlog.entry import Entry
from ledger.tlog.note import Verifier
from services.decisions import RecordedDecision


def _done(entry: Entry, what: str) -> None:
    click.echo(f"recorded entry {entry.seq} ({entry.kind}), hash {entry.leaf_hash.hex()}: {what}")


def show_signed(recorded: RecordedDecision, what: str) -> None:
    """What the approver is about to sign, read from the decision entry itself (never from
    the lookup table): model@version, index, band, tier, failed gates, data, rollback path."""
    p, a = recorded.entry.payload, recorded.assessment
    failed = [g["name"] for g in a["gates"] if not g["passed"]]
    data = p.get("data_sensitivity") or {}
    back = p.get("rollback") or {}
    click.echo(
        f"signing {what} of {p['model']}@{p['version']} (entry {recorded.entry.seq}, "
        f"hash {recorded.entry.leaf_hash.hex()}):"
    )
    click.echo(
        f"  index {a['index']}, band {a['band']}, tier {decision_tier(recorded)}, "
        f"failed gates: {', '.join(failed) or 'none'}"
    )
    click.echo(
        f"  data {data.get('classification', 'unstated')}; rollback to {back.get('target_version', 'none')}"
        f" (rehearsed {back.get('rehearsed_at', 'never')})"
    )


@click.command()
@click.argument("decision_id")
@click.option("--reject", is_flag=True, help="Record a rejection instead of an approval.")
@click.option("--comment", default="", help="Why.")
@click.option("--role", help="Approve in this role (default: a role you hold that the tier still needs).")
@click.option("--server", help="Send the signed approval to this API server instead of the local ledger.")
@click.option("--token", "bearer", envvar="RLEDGER_TOKEN", help="API token for --server (env RLEDGER_TOKEN).")
@click.option(
    "--log-key",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RLEDGER_LOG_KEY",
    help="The log's verifier key (what `rledger key` prints), got from outside the server; "
    "required with --server (env RLEDGER_LOG_KEY).",
)
@actor_options
@pass_app
def approve(
    app: AppContext,
    decision_id: str,
    reject: bool,
    comment: str,
    role: str | None,
    server: str | None,
    bearer: str | None,
    log_key: Path | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Sign and record an approval (or --reject) of a decision with your own key."""
    what = "a rejection" if reject else "an approval"
    if server is not None:
        from cli.api_cmds import ApprovalChoice, approve_remote

        bearer, verifier = _server_credentials(bearer, log_key)
        recorded = approve_remote(
            server,
            bearer,
            verifier,
            decision_id,
            load_actor(actor_name, key_file),
            ApprovalChoice(reject, comment, role),
            lambda shown: show_signed(shown, what),
        )
        click.echo(
            f"recorded entry {recorded['seq']} ({recorded['kind']}) on {server}, hash {recorded['hash']}"
        )
        return
    actor = load_actor(actor_name, key_file)
    service = app.service(writing=True)
    shown = service.decisions.get(decision_id)
    show_signed(shown, what)
    # The full leaf hash shown above, not decision_id again: the signature lands on what was shown.
    entry = service.lifecycle.approve(
        shown.ref.leaf_hex, actor.name, actor.key, reject=reject, comment=comment, role=role
    )
    p = entry.payload
    _done(entry, f"{p['verdict']} by {p['approver']} as {p['role']}")


def _server_credentials(bearer: str | None, log_key: Path | None) -> tuple[str, Verifier]:
    """The token and the log's verifier key that --server needs; the key must come from
    outside the server, or a lying server could sign its own checkpoints."""
    from cli.remote import read_log_key

    if not bearer:
        raise click.UsageError("--server needs --token (or RLEDGER_TOKEN)")
    if log_key is None:
        raise click.UsageError(
            "--server needs --log-key FILE: the log's verifier key (`rledger key`), got from "
            "outside the server, to check what it sends (or RLEDGER_LOG_KEY)"
        )
    return bearer, read_log_key(log_key)


@click.group()
def canary() -> None:
    """Canary rollouts (medium tier under the default policy)."""


@canary.command("start")
@click.argument("decision_id")
@actor_options
@pass_app
def canary_start(app: AppContext, decision_id: str, actor_name: str | None, key_file: Path | None) -> None:
    """Record that the canary has started."""
    actor = load_actor(actor_name, key_file)
    _done(
        app.service(writing=True).lifecycle.start_canary(decision_id, actor.name, actor.key), "canary started"
    )


def _summary(path: Path) -> dict[str, Any]:
    """A canary summary file (YAML 1.2, or JSON for ``.json``), read by the reader every door
    shares: exact numbers, duplicate metrics refused with their line."""
    from ledger.encoding.reader import read_file

    data = read_file(path, what="summary file").data
    if not isinstance(data, dict) or not data:
        raise InputError("a canary summary is a mapping of metric: value, e.g. error_rate: 0.01")
    return data


@canary.command("result")
@click.argument("decision_id")
@click.option("--pass/--fail", "passed", required=True, help="The canary's verdict.")
@click.option(
    "--summary",
    "summary_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Telemetry summary (YAML/JSON: metric: value) checked against the tier's acceptance criteria.",
)
@actor_options
@pass_app
def canary_result(
    app: AppContext,
    decision_id: str,
    passed: bool,
    summary_file: Path,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Record the canary's result; a pass must meet the tier's acceptance criteria."""
    actor = load_actor(actor_name, key_file)
    entry = app.service(writing=True).lifecycle.record_canary(
        decision_id, passed, _summary(summary_file), actor.name, actor.key
    )
    _done(entry, f"canary {entry.payload['verdict']}")


@click.command()
@click.argument("decision_id")
@click.option("--break-glass", is_flag=True, help="Promote despite a freeze or missing approvals (flagged).")
@click.option("--reason", default="", help="Why (required with --break-glass).")
@actor_options
@pass_app
def promote(
    app: AppContext,
    decision_id: str,
    break_glass: bool,
    reason: str,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Promote a release to production, if the policy allows it now."""
    actor = load_actor(actor_name, key_file)
    entry = app.service(writing=True).lifecycle.promote(
        decision_id, actor.name, actor.key, break_glass=break_glass, reason=reason
    )
    extra = f", superseding {entry.payload['supersedes']}" if entry.payload["supersedes"] else ""
    _done(entry, ("BREAK-GLASS promotion" if break_glass else "promoted") + extra)


@click.command()
@click.argument("decision_id")
@click.option("--to", "to_version", required=True, help="The version to roll back to.")
@click.option("--reason", required=True, help="Why.")
@actor_options
@pass_app
def rollback(
    app: AppContext,
    decision_id: str,
    to_version: str,
    reason: str,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Roll a production release back to its declared rollback target or an earlier promoted version."""
    actor = load_actor(actor_name, key_file)
    entry = app.service(writing=True).lifecycle.rollback(
        decision_id, to_version, reason, actor.name, actor.key
    )
    _done(entry, f"rolled back to {to_version}")


@click.command()
@click.argument("decision_id")
@click.option("--json", "as_json", is_flag=True, help="Print every check as JSON.")
@pass_app
def gate(app: AppContext, decision_id: str, as_json: bool) -> None:
    """CI gate: exit 0 only if the release may be promoted now; otherwise say why not."""
    report = app.service().decisions.status(decision_id)
    if as_json:
        click.echo(
            json.dumps(
                {
                    k: report[k]
                    for k in ("decision", "verdict", "blocked", "may_promote_now", "blockers", "checks")
                },
                indent=2,
            )
        )
    if report["may_promote_now"]:
        if not as_json:
            click.echo(f"{report['decision']}: may be promoted now ({report['verdict']})")
        return
    if not as_json:
        click.echo(f"{report['decision']}: may NOT be promoted now; {report['verdict']}")
        reasons = report["blockers"] or [f"the release is {report['phase']}"]
        for reason in reasons:
            click.echo(f"  - {reason}")
    raise click.exceptions.Exit(1)


COMMANDS = (approve, canary, promote, rollback, gate)
