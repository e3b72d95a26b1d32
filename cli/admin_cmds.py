"""Identities and policies: keygen, add, rotate, revoke; check, test, diff, explain, adopt, schema."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import click

from cli.context import AppContext, actor_options, load_actor, pass_app
from cli.remote_statements import ServerLink, relay, server_options
from governance import actions
from ledger.tlog.note import Ed25519Signer
from policies.cases import run_cases
from policies.loader import load_policy_file
from services.keys import PERSONAL_KEY_NAME, read_public_key, write_key_pair


@click.group()
def identity() -> None:
    """People and their keys (recorded as ledger entries)."""


@identity.command("keygen")
@click.option(
    "--out",
    "prefix",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Writes PREFIX.key (private, mode 0600) and PREFIX.pub (register this one).",
)
def keygen(prefix: Path) -> None:
    """Create a personal Ed25519 key pair on your own machine."""
    private, public = write_key_pair(prefix, Ed25519Signer.generate(PERSONAL_KEY_NAME, os.urandom(32)))
    click.echo(f"private key {private} (mode 0600; never share it)")
    click.echo(f"public key {public}: an admin registers it with")
    click.echo(f"  rledger identity add NAME --roles ROLES --public-key {public}")


@identity.command("add")
@click.argument("name")
@click.option("--roles", required=True, help="Comma-separated, e.g. submitter or ml-lead,auditor.")
@click.option(
    "--public-key", "public_key_file", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@server_options
@actor_options
@pass_app
def identity_add(
    app: AppContext,
    name: str,
    roles: str,
    public_key_file: Path,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Register a person with roles and a public key (admins only)."""
    actor = load_actor(actor_name, key_file)
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    if remote is not None:
        payload = actions.identity_added(name, role_list, read_public_key(public_key_file), actor.name)
        relay(remote, actor, "identity.added", payload, "/v1/identities")
        return
    entry = app.service(writing=True).identities.add(
        name, role_list, read_public_key(public_key_file), actor.name, actor.key
    )
    click.echo(f"recorded entry {entry.seq}: {name} added with roles {', '.join(role_list)}")


@identity.command("rotate")
@click.argument("name")
@click.option(
    "--public-key", "public_key_file", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@server_options
@actor_options
@pass_app
def identity_rotate(
    app: AppContext,
    name: str,
    public_key_file: Path,
    remote: ServerLink | None,
    actor_name: str | None,
    key_file: Path | None,
) -> None:
    """Replace a person's key; signed by their old key or by an admin."""
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        payload = actions.identity_key_rotated(name, read_public_key(public_key_file), actor.name)
        relay(remote, actor, "identity.key_rotated", payload, f"{_identity_path(name)}/rotate")
        return
    entry = app.service(writing=True).identities.rotate_key(
        name, read_public_key(public_key_file), actor.name, actor.key
    )
    click.echo(f"recorded entry {entry.seq}: {name}'s key rotated")


@identity.command("revoke")
@click.argument("name")
@server_options
@actor_options
@pass_app
def identity_revoke(
    app: AppContext, name: str, remote: ServerLink | None, actor_name: str | None, key_file: Path | None
) -> None:
    """Revoke a person; their key signs nothing from now on."""
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        payload = actions.identity_revoked(name, actor.name)
        relay(remote, actor, "identity.revoked", payload, f"{_identity_path(name)}/revoke")
        return
    entry = app.service(writing=True).identities.revoke(name, actor.name, actor.key)
    click.echo(f"recorded entry {entry.seq}: {name} revoked")


def _identity_path(name: str) -> str:
    return f"/v1/identities/{quote(name, safe='@')}"


@click.group()
def policy() -> None:
    """Policies as files: check, test, diff, explain, adopt."""


@policy.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def policy_check(file: Path) -> None:
    """Validate a policy file; errors name the line and the field."""
    loaded = load_policy_file(file)
    click.echo(f"OK: {loaded.label}, sha256 {loaded.sha256}")


@policy.command("test")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cases", "cases_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
def policy_test(file: Path, cases_dir: Path) -> None:
    """Run expected-outcome cases against a policy and print a pass/fail table."""
    loaded = load_policy_file(file)
    results = run_cases(loaded, cases_dir)
    width = max(len(r.name) for r in results)
    for r in results:
        click.echo(
            f"{'PASS' if r.passed else 'FAIL'}  {r.name:<{width}}  {'' if r.passed else r.details}".rstrip()
        )
    failed = sum(1 for r in results if not r.passed)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise click.exceptions.Exit(1)


@policy.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_app
def policy_diff(app: AppContext, old: Path, new: Path, as_json: bool) -> None:
    """List exactly which recorded decisions would get a different outcome under NEW, and how."""
    changed = app.service().policies.diff(load_policy_file(old), load_policy_file(new))
    if as_json:
        click.echo(json.dumps(changed, indent=2))
        return
    if not changed:
        click.echo("no recorded decision would get a different outcome")
    for item in changed:
        how = "; ".join(f"{k}: {v['old']} -> {v['new']}" for k, v in item["changes"].items())
        click.echo(f"{item['decision']} ({item['hash'][:12]}): {how}")


@policy.command("explain")
@click.argument("decision_id")
@pass_app
def policy_explain(app: AppContext, decision_id: str) -> None:
    """The rules that fired for a decision, with the values they saw."""
    report = app.service().decisions.explain(decision_id)
    click.echo(f"{report['decision']} under {report['policy']}")
    for fired in report["rules_fired"]:
        values = ", ".join(f"{k}={v}" for k, v in fired["values"].items())
        click.echo(f"  {fired['rule']}: {fired['outcome']}" + (f"  [{values}]" if values else ""))
    click.echo("promotion checks as of now:")
    for fired in report["promotion_checks_now"]:
        click.echo(f"  {fired['rule']}: {fired['outcome']}")


@policy.command("adopt")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@server_options
@actor_options
@pass_app
def policy_adopt(
    app: AppContext, file: Path, remote: ServerLink | None, actor_name: str | None, key_file: Path | None
) -> None:
    """Adopt a policy for decisions submitted from now on (admins only)."""
    loaded = load_policy_file(file)
    actor = load_actor(actor_name, key_file)
    if remote is not None:
        p = loaded.policy
        payload = actions.policy_adopted(p.policy_id, p.version, loaded.sha256, loaded.text, actor.name)
        relay(remote, actor, "policy.adopted", payload, "/v1/policy")
        return
    entry = app.service(writing=True).policies.adopt(loaded, actor.name, actor.key)
    click.echo(f"recorded entry {entry.seq}: adopted {loaded.label}")


@policy.command("schema")
def policy_schema() -> None:
    """Print the policy file's JSON Schema."""
    from policies.model import Policy

    click.echo(json.dumps(Policy.model_json_schema(), indent=2))


COMMANDS = (identity, policy)
