"""Entry point and the error boundary: one clear line per failure, tracebacks only with --verbose."""

from __future__ import annotations

import os
import sys
import traceback

import click

from cli.context import AppContext
from ledger.errors import LedgerError, VerificationError
from services.settings import Settings

EXIT_FAILURE = 1
EXIT_VERIFICATION_FAILED = 3
EXIT_BUG = 70


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False), help="Ledger home (default $RLEDGER_HOME or ./.rledger)."
)
@click.option("--db", "database_url", help="Database URL (default $RLEDGER_DATABASE_URL or HOME/ledger.db).")
@click.option("--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, database_url: str | None, verbose: bool) -> None:
    """Release Ledger: a verifiable record of model and prompt release decisions."""
    app = AppContext(Settings.resolve(os.environ, home, database_url), verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.result_callback()
@click.pass_context
def _after_command(ctx: click.Context, /, _result: object, **_params: object) -> None:
    """After a command succeeds: whether the checkpoint of any write it made is witnessed."""
    ctx.find_object(AppContext).witness_report()  # type: ignore[union-attr]


def _register() -> None:
    from cli import (
        admin_cmds,
        api_cmds,
        db_cmds,
        decision_cmds,
        demo_cmd,
        examples_cmd,
        log_cmds,
        release_cmds,
        report_cmds,
        witness_cmds,
    )

    commands = (
        *log_cmds.COMMANDS,
        decision_cmds.decision,
        *release_cmds.COMMANDS,
        *admin_cmds.COMMANDS,
        *api_cmds.COMMANDS,
        *db_cmds.COMMANDS,
        *report_cmds.COMMANDS,
        *witness_cmds.COMMANDS,
    )
    for command in (*commands, demo_cmd.demo, examples_cmd.examples):
        cli.add_command(command)


_register()


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
            traceback.print_exc()
        return EXIT_VERIFICATION_FAILED
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        if verbose:
            traceback.print_exc()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # the boundary: anything else is our bug, said in one line
        click.echo(f"internal error ({type(exc).__name__}): {exc}. Run with --verbose for details.", err=True)
        if verbose:
            traceback.print_exc()
        return EXIT_BUG
    return 0


if __name__ == "__main__":
    sys.exit(main())
