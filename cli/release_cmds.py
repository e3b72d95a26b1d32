"""Approvals and the release lifecycle: approve, canary, promote, rollback, and the CI gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.context import Actor, AppContext, actor_options, load_actor, pass_app
from cli.decision_cmds import decision_tier
from cli.remote_statements import ServerLink, Session, connected, recorded_line, server_options
from governance import actions
from governance.actions import Release
from ledger.errors import FormatError, InputError, RefusedError
from ledger.tlog.entry import Entry
from services.decisions import RecordedDecision

# What a lifecycle statement says, given the proven decision and how statements name it.
Build = Callable[[Session, RecordedDecision, Release], dict[str, Any]]


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


def send_about(
    remote: ServerLink, actor: Actor, decision_id: str, what: str, route: str, build: Build
) -> None:
    """The remote half of a lifecycle command: prove the decision named by ``decision_id``
    (cli.remote.proven_decision), show it, build the statement about exactly that entry, sign
    it here and post it to /v1/decisions/<hash>/``route``; print the server's record. ``what``
    is e.g. "an approval"; the statement's kind comes from the route."""
    with connected(remote) as session:
        recorded = session.decision(decision_id)
        show_signed(recorded, what)
        payload = build(session, recorded, session.release(recorded))
        leaf = recorded.ref.leaf_hex
        answer = session.send(actor, ROUTE_KINDS[route], payload, f"/v1/decisions/{leaf}/{route}")
    click.echo(recorded_line(answer, remote))


ROUTE_KINDS = {
    "approvals": "release.approval",
    "canary": "release.canary_started",
    "canary/result": "release.canary_result",
    "promote": "release.promoted",
    "rollback": "release.rolled_back",
}


@click.command()
@click.argument("decision_id")
@click.option("--reject", is_flag=True, help="Record a rejection instead of an approval.")
@click.option("--comment", default="", help="Why.")
@click.option("--role", help="Approve in this role (default: a role you hold that the tier still needs).")
@server_options
@actor_options
@pass_app
def approve(
    app: AppContext,
    decision_id: str,
    reject: bool,
    comment: str,
    role: str | None,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Sign and record an approval (or --reject) of a decision with your own key."""
    what = "a rejection" if reject else "an approval"
    actor = load_actor(actor_name, key_file)
    verdict = "reject" if reject else "approve"
    if remote is not None:

        def build(session: Session, recorded: RecordedDecision, release: Release) -> dict[str, Any]:
            chosen = role or _approval_role(session, recorded.ref.leaf_hex)
            return actions.approval(release, actor.name, chosen, verdict, comment)

        send_about(remote, actor, decision_id, what, "approvals", build)
        return
    service = app.service(writing=True)
    shown = service.decisions.get(decision_id)
    show_signed(shown, what)
    # The full leaf hash shown above, not decision_id again: the signature lands on what was shown.
    entry = service.lifecycle.approve(
        shown.ref.leaf_hex, actor.name, actor.key, reject=reject, comment=comment, role=role
    )
    p = entry.payload
    _done(entry, f"{p['verdict']} by {p['approver']} as {p['role']}")


def _approval_role(session: Session, leaf_hex: str) -> str:
    """The first role the server says the decision still needs that the caller holds, in the
    server's (the policy's) order; if it needs none, the first role held, sorted. The server
    re-checks the role on append, so a wrong hint is refused there, never signed silently."""
    held = set(session.read("/v1/identities/me")["roles"])
    status = session.read(f"/v1/decisions/{leaf_hex}/status")
    wanted = [m["role"] for m in status["missing_approvals"]] or sorted(held)
    for role in wanted:
        if role in held:
            return str(role)
    raise RefusedError(f"you hold {sorted(held)}; the decision needs {wanted}", rule="approvals")


@click.group()
def canary() -> None:
    """Canary rollouts (medium tier under the default policy)."""


@canary.command("start")
@click.argument("decision_id")
@server_options
@actor_options
@pass_app
def canary_start(
    app: AppContext,
    decision_id: str,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Record that the canary has started."""
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        send_about(
            remote,
            actor,
            decision_id,
            "a canary start",
            "canary",
            lambda _, __, release: actions.canary_started(release, actor.name),
        )
        return
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
@server_options
@actor_options
@pass_app
def canary_result(
    app: AppContext,
    decision_id: str,
    passed: bool,
    summary_file: Path,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Record the canary's result; a pass must meet the tier's acceptance criteria."""
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        verdict, summary = "pass" if passed else "fail", _summary(summary_file)
        send_about(
            remote,
            actor,
            decision_id,
            f"a canary {verdict}",
            "canary/result",
            lambda _, __, release: actions.canary_result(release, verdict, summary, actor.name),
        )
        return
    entry = app.service(writing=True).lifecycle.record_canary(
        decision_id, passed, _summary(summary_file), actor.name, actor.key
    )
    _done(entry, f"canary {entry.payload['verdict']}")


@click.command()
@click.argument("decision_id")
@click.option("--break-glass", is_flag=True, help="Promote despite a freeze or missing approvals (flagged).")
@click.option("--reason", default="", help="Why (required with --break-glass).")
@server_options
@actor_options
@pass_app
def promote(
    app: AppContext,
    decision_id: str,
    break_glass: bool,
    reason: str,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Promote a release to production, if the policy allows it now."""
    actor = load_actor(actor_name, key_file)
    if remote is not None:

        def build(session: Session, recorded: RecordedDecision, release: Release) -> dict[str, Any]:
            policy_sha = str(recorded.entry.payload["policy"]["sha256"])  # the proven entry's policy
            supersedes = _supersedes(session, recorded.ref.leaf_hex)
            return actions.promoted(release, actor.name, policy_sha, supersedes, break_glass, reason)

        what = "a BREAK-GLASS promotion" if break_glass else "a promotion"
        send_about(remote, actor, decision_id, what, "promote", build)
        return
    entry = app.service(writing=True).lifecycle.promote(
        decision_id, actor.name, actor.key, break_glass=break_glass, reason=reason
    )
    extra = f", superseding {entry.payload['supersedes']}" if entry.payload["supersedes"] else ""
    _done(entry, ("BREAK-GLASS promotion" if break_glass else "promoted") + extra)


@click.command()
@click.argument("decision_id")
@click.option("--to", "to_version", required=True, help="The version to roll back to.")
@click.option("--reason", required=True, help="Why.")
@server_options
@actor_options
@pass_app
def rollback(
    app: AppContext,
    decision_id: str,
    to_version: str,
    reason: str,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Roll a production release back to its declared rollback target or an earlier promoted version."""
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        send_about(
            remote,
            actor,
            decision_id,
            f"a rollback to {to_version}",
            "rollback",
            lambda _, __, release: actions.rolled_back(release, to_version, reason, actor.name),
        )
        return
    entry = app.service(writing=True).lifecycle.rollback(
        decision_id, to_version, reason, actor.name, actor.key
    )
    _done(entry, f"rolled back to {to_version}")


def _supersedes(session: Session, leaf_hex: str) -> str | None:
    """The version the server says is in production for the decision's model. Only the
    server knows it without the whole log; the ledger's replay refuses a wrong one, so a lie
    gets the promotion refused, never recorded."""
    status = session.read(f"/v1/decisions/{leaf_hex}/status")
    if "supersedes" not in status:
        raise FormatError("the server's decision status has no `supersedes`; it predates ledger format 4")
    current = status["supersedes"]
    if current is not None and not isinstance(current, str):
        raise FormatError(f"the server's `supersedes` is {current!r}, not a version or null")
    return current


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
