"""``rledger decision``: submit, show and list release decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli import submit_batch
from cli.context import Actor, AppContext, actor_options, load_actor, pass_app
from cli.remote_statements import ServerLink, connected, recorded_line, server_options
from governance.record import DECISION_KIND
from ledger.errors import RefusedError
from ledger.scoring.input import load_decision_file, parse_request, request_fields
from services.decisions import RecordedDecision


@click.group()
def decision() -> None:
    """Release decision records."""


def summary_line(recorded: RecordedDecision) -> str:
    a = recorded.assessment
    risk = a["risk"]
    line = (
        f"{recorded.ref.model}@{recorded.ref.version}: index {a['index']} ({a['index_rounded']}), "
        f"band {a['band']}, risk {risk['score']} -> tier {decision_tier(recorded)}"
    )
    if "escalation" in risk:
        line += f" (escalated: {risk['escalation']})"
    weights = recorded.entry.payload.get("requirements", {}).get("weights_escalation")
    if weights:
        line += f" (escalated by its weights: {weights['reason']})"
    return line


def decision_tier(recorded: RecordedDecision) -> str:
    """The tier the policy requires (a weights escalation can raise it above the risk tier)."""
    requirements = recorded.entry.payload.get("requirements")
    return str(requirements["tier"] if requirements else recorded.assessment["risk"]["tier"])


@decision.command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--idempotency-key",
    help="With --server: the server remembers the answer to this key, so a retry (a CI job run "
    "again, say) gets the first answer and records nothing new (one file only).",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Many files: record each on its own, print one result line each, and exit 1 if any "
    "failed (default: all in one transaction, or none).",
)
@server_options
@actor_options
@pass_app
def submit(
    app: AppContext,
    files: tuple[Path, ...],
    idempotency_key: str | None,
    keep_going: bool,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Validate, score, sign and record decision files (YAML or JSON) as their requester.

    FILES is one decision file, or many, directories (their *.yaml, *.yml and *.json files,
    sorted) and JSON Lines files (.jsonl, one decision per line). Every decision is checked
    before any is recorded; then all are recorded in one transaction, or none (each refusal
    names its file or line). With --keep-going, each is recorded on its own.
    """
    if submit_batch.is_batch(files):
        _submit_many(app, files, idempotency_key, keep_going, remote, load_actor(actor_name, key_file))
        return
    data = load_decision_file(files[0])
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        _submit_remote(remote, actor, data, idempotency_key)
        return
    if idempotency_key is not None:
        raise click.UsageError(
            "--idempotency-key is for --server; the local ledger refuses a duplicate anyway"
        )
    recorded = app.service(writing=True).decisions.submit(data, actor.name, actor.key)
    click.echo(f"recorded entry {recorded.ref.seq}, hash {recorded.ref.leaf_hex}")
    click.echo(summary_line(recorded))
    for reason in recorded.assessment["band_reasons"]:
        click.echo(f"  - {reason}")


def _submit_many(
    app: AppContext,
    files: tuple[Path, ...],
    idempotency_key: str | None,
    keep_going: bool,
    remote: ServerLink | None,
    actor: Actor,
) -> None:
    if idempotency_key is not None:
        raise click.UsageError("--idempotency-key is for one file with --server")
    items = submit_batch.read_batch(files)
    if remote is not None:
        submit_batch.submit_remote(app, remote, actor, items, keep_going)
    else:
        submit_batch.submit_local(app, actor, items, keep_going, summary_line)


def _submit_remote(
    remote: ServerLink, actor: Actor, data: dict[str, Any], idempotency_key: str | None
) -> None:
    """Sign the request's normal form here (what the ledger's decision signature covers: the
    submitted fields, not the score the server computes) and post it with the signature."""
    request = parse_request(data)
    if request.requested_by != actor.name:
        raise RefusedError(
            f"requested_by is {request.requested_by!r} but you are {actor.name!r}; "
            "a decision is submitted by its requester",
            rule="release.decision",
        )
    fields = request_fields(request)
    with connected(remote) as session:
        click.echo(
            f"signing the release.decision request for {request.model}@{request.version} as "
            f"{actor.name} for {session.signed_for()} ({len(fields)} fields; the server scores it)"
        )
        signed = session.sign(actor, DECISION_KIND, fields)
        answer = session.post("/v1/decisions", signed, idempotency_key)
    click.echo(recorded_line(answer, remote))
    click.echo(
        f"{answer.get('model')}@{answer.get('version')}: index {answer.get('index')}, band "
        f"{answer.get('band')}, tier {answer.get('tier')}; {answer.get('verdict')}"
    )


def _details(recorded: RecordedDecision) -> dict[str, Any]:
    return {
        "seq": recorded.entry.seq,
        "hash": recorded.ref.leaf_hex,
        "time": recorded.entry.time,
        "kind": recorded.entry.kind,
        "payload": recorded.entry.payload,
    }


@decision.command("show")
@click.argument("decision_id")
@click.option("--json", "as_json", is_flag=True, help="Print the whole entry as JSON.")
@pass_app
def show(app: AppContext, decision_id: str, as_json: bool) -> None:
    """Show a decision by MODEL@VERSION or hash (prefix)."""
    recorded = app.service().decisions.get(decision_id)
    if as_json:
        click.echo(json.dumps(_details(recorded), indent=2, ensure_ascii=False))
        return
    a, p = recorded.assessment, recorded.entry.payload
    click.echo(f"entry {recorded.entry.seq}  hash {recorded.ref.leaf_hex}  recorded {recorded.entry.time}")
    click.echo(summary_line(recorded))
    click.echo(f"weights ({a['weights']['profile']}):")
    for name, s in a["subscores"].items():
        click.echo(
            f"  {name:<12} baseline {s['baseline']:>6}  candidate {s['candidate']:>6}  "
            f"delta {s['delta']:>6}  weight {s['weight']:>5}  contribution {s['contribution']:>7}"
        )
    for gate in a["gates"]:
        click.echo(f"  gate {gate['name']}: {'pass' if gate['passed'] else 'FAIL'} ({gate['reason']})")
    for name, f in a["risk"]["factors"].items():
        assumed = " (not given; assumed worst)" if f["assumed_worst"] else ""
        click.echo(f"  risk {name:<19} {f['value']:>5}{assumed} -> +{f['contribution']}; {f['advice']}")
    ds = p["data_sensitivity"]
    click.echo(f"data sensitivity: {ds['classification']} {ds.get('categories', [])}")
    rb = p["rollback"]
    click.echo(f"rollback: to {rb['target_version']} by {rb['mechanism']} ({rb['runbook']})")


@decision.command("list")
@click.option("--model", help="Only this model.")
@pass_app
def list_decisions(app: AppContext, model: str | None) -> None:
    """List recorded decisions."""
    rows = app.service().decisions.all(model)
    if not rows:
        click.echo("no decisions recorded")
        return
    click.echo(f"{'seq':>5}  {'decision':<32} {'index':>8}  {'band':<6} {'tier':<6} hash")
    for r in rows:
        a = r.assessment
        click.echo(
            f"{r.ref.seq:>5}  {r.ref.model + '@' + r.ref.version:<32} {a['index']:>8}  "
            f"{a['band']:<6} {decision_tier(r):<6} {r.ref.leaf_hex[:12]}"
        )


@decision.command("status")
@click.argument("decision_id")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_app
def status(app: AppContext, decision_id: str, as_json: bool) -> None:
    """What is still missing for a decision, and from whom."""
    report = app.service().decisions.status(decision_id)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{report['decision']}: {report['verdict']}")
    click.echo(
        f"  band {report['band']}, tier {report['tier']}, rollout {report['rollout']}, "
        f"phase {report['phase']}, requested by {report['requested_by']}"
    )
    for caveat in report["caveats"]:
        click.echo(f"  caveat: {caveat}")
    for a in report["approvals"]:
        click.echo(f"  {a['verdict']} by {a['approver']} as {a['role']} at {a['at']}")
    for m in report["missing_approvals"]:
        who = ", ".join(m["who"]) or "nobody registered holds this role"
        click.echo(f"  missing: {m['count']} from role {m['role']} (can approve: {who})")
    for item in report["open_items"]:
        click.echo(f"  OPEN: {item}")
    if report["may_promote_now"]:
        click.echo("  may be promoted now")
    elif report["phase"] not in ("promoted", "superseded", "rolled_back"):
        for reason in report["blockers"]:
            click.echo(f"  blocked: {reason}")


@decision.command("replay")
@click.argument("decision_id")
@pass_app
def replay(app: AppContext, decision_id: str) -> None:
    """Re-evaluate a decision from the ledger alone and prove the recorded outcome."""
    result = app.service().decisions.replay(decision_id)
    click.echo(json.dumps(result, indent=2))
    if not result["identical"]:
        raise click.ClickException("the replayed evaluation differs from the recorded one")
