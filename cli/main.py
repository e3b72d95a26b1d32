"""Entry point and the error boundary: one clear line per failure, tracebacks only with --verbose.

Commands are loaded lazily (:class:`LazyGroup`): ``rledger --help`` imports only click and
this module, and ``rledger gate`` only the module that defines ``gate``, so no command pays
for FastAPI, WeasyPrint, matplotlib or pyHanko it does not use (issue 14; tests/cli/test_startup.py).
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

import click

from ledger.errors import LedgerError, VerificationError
from services.settings import Settings

EXIT_FAILURE = 1
EXIT_VERIFICATION_FAILED = 3
EXIT_BUG = 70


# name -> (module, attribute, help summary). The summary is what ``rledger --help`` lists
# (shortened to fit, as click shortens a command's help) without importing the module;
# tests/cli/test_startup.py checks each against the command's own help.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "approve": (
        "cli.release_cmds",
        "approve",
        "Sign and record an approval (or --reject) of a decision with your own key.",
    ),
    "canary": ("cli.release_cmds", "canary", "Canary rollouts (medium tier under the default policy)."),
    "checkpoint": (
        "cli.log_cmds",
        "checkpoint",
        "Print the latest signed checkpoint note, with the witnesses' cosignature lines; with "
        "witnesses configured, say on stderr whether it is witnessed.",
    ),
    "db": ("cli.db_cmds", "db", "Schema migrations and backups."),
    "decision": ("cli.decision_cmds", "decision", "Release decision records."),
    "demo": (
        "cli.demo_cmd",
        "demo",
        "Record the seed's example releases, govern them, verify, prove, and catch tampering.",
    ),
    "examples": (
        "cli.examples_cmd",
        "examples",
        "Write the shipped policy (default.yaml), its cases, and example decision, canary and "
        "terms files into OUT.",
    ),
    "export": (
        "cli.log_cmds",
        "export",
        "Write every entry as JSON Lines, exactly as stored, in seq order.",
    ),
    "gate": (
        "cli.release_cmds",
        "gate",
        "CI gate: exit 0 only if the release may be promoted now; otherwise say why not.",
    ),
    "identity": ("cli.admin_cmds", "identity", "People and their keys (recorded as ledger entries)."),
    "import": (
        "cli.db_cmds",
        "import_cmd",
        "Rebuild a ledger from an export into an EMPTY database, on either backend.",
    ),
    "init": (
        "cli.log_cmds",
        "init",
        "Create the ledger, its signing key and the first admin, and print the verifier key.",
    ),
    "key": ("cli.log_cmds", "key", "Print the verifier key (public; safe to share)."),
    "metrics": (
        "cli.report_cmds",
        "metrics",
        "Delivery health per model (seed 000's iteration index) over a period.",
    ),
    "policy": ("cli.admin_cmds", "policy", "Policies as files: check, test, diff, explain, adopt."),
    "promote": (
        "cli.release_cmds",
        "promote",
        "Promote a release to production, if the policy allows it now.",
    ),
    "proof": ("cli.log_cmds", "proof", "Inclusion and consistency proofs (hashes in standard base64)."),
    "report": (
        "cli.report_cmds",
        "report",
        "Audit-ready PDF reports that verify themselves (PDF/A-3b with evidence.json attached).",
    ),
    "rollback": (
        "cli.release_cmds",
        "rollback",
        "Roll a production release back to its declared rollback target or an earlier promoted version.",
    ),
    "serve": (
        "cli.api_cmds",
        "serve",
        "Run the HTTP API (OpenAPI docs at /docs) and the web app (at /), and say where they listen.",
    ),
    "token": (
        "cli.api_cmds",
        "token",
        "Bearer tokens for the HTTP API (stored only as hashes, in the ledger).",
    ),
    "verify": (
        "cli.log_cmds",
        "verify",
        "Verify the whole ledger, or an export file offline; with witnesses, the checkpoint relied "
        'on must carry their cosignatures (docs/operations.md, "Witnesses").',
    ),
    "witness": (
        "cli.witness_cmds",
        "witness",
        "Run a witness that cosigns other ledgers' checkpoints (C2SP tlog-witness).",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when one is run (or its own help is asked for).

    This is click's documented pattern for lazily loading subcommands; the listing in the
    group's help uses the summaries of :data:`LAZY_COMMANDS` instead of importing everything.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute, _summary = LAZY_COMMANDS[cmd_name]
            command = getattr(_command_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing click makes (same width rule), from the summaries: no module is imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._summary(name).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _summary(self, name: str) -> click.Command:
        """The loaded command, or a stand-in carrying only its summary."""
        if name in self.commands:
            return self.commands[name]
        return click.Command(name, help=LAZY_COMMANDS[name][2])


def _command_module(name: str) -> ModuleType:
    """The command module ``name`` of LAZY_COMMANDS, imported now by a plain import statement
    (import-linter checks statements; an import by name would slip past the contracts)."""
    if name == "cli.admin_cmds":
        from cli import admin_cmds

        return admin_cmds
    if name == "cli.api_cmds":
        from cli import api_cmds

        return api_cmds
    if name == "cli.db_cmds":
        from cli import db_cmds

        return db_cmds
    if name == "cli.decision_cmds":
        from cli import decision_cmds

        return decision_cmds
    if name == "cli.demo_cmd":
        from cli import demo_cmd

        return demo_cmd
    if name == "cli.examples_cmd":
        from cli import examples_cmd

        return examples_cmd
    if name == "cli.log_cmds":
        from cli import log_cmds

        return log_cmds
    if name == "cli.release_cmds":
        from cli import release_cmds

        return release_cmds
    if name == "cli.report_cmds":
        from cli import report_cmds

        return report_cmds
    if name == "cli.witness_cmds":
        from cli import witness_cmds

        return witness_cmds
    raise LookupError(f"no command module {name}")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False), help="Ledger home (default $RLEDGER_HOME or ./.rledger)."
)
@click.option("--db", "database_url", help="Database URL (default $RLEDGER_DATABASE_URL or HOME/ledger.db).")
@click.option("--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, database_url: str | None, verbose: bool) -> None:
    """Release Ledger: a verifiable record of model and prompt release decisions."""
    from cli.context import AppContext

    app = AppContext(Settings.resolve(os.environ, home, database_url), verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.result_callback()
@click.pass_context
def _after_command(ctx: click.Context, /, _result: object, **_params: object) -> None:
    """After a command succeeds: whether the checkpoint of any write it made is witnessed."""
    from cli.context import AppContext

    ctx.find_object(AppContext).witness_report()  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args
    try:
        # Without standalone mode, click *returns* the code of a ctx.exit()/Exit instead of raising.
        code = cli.main(args=args, prog_name="rledger", standalone_mode=False)
        if isinstance(code, int):
            return code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return EXIT_FAILURE
    except VerificationError as exc:
        click.echo(f"verification FAILED: {exc}", err=True)
        if verbose:
            _print_traceback()
        return EXIT_VERIFICATION_FAILED
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        if verbose:
            _print_traceback()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # the boundary: anything else is our bug, said in one line
        click.echo(f"internal error ({type(exc).__name__}): {exc}. Run with --verbose for details.", err=True)
        if verbose:
            _print_traceback()
        return EXIT_BUG
    return 0


def _print_traceback() -> None:
    import traceback  # only with --verbose: it costs every command ~30 ms to import

    traceback.print_exc()


if __name__ == "__main__":
    sys.exit(main())
