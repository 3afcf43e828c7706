"""`flask proposals …`: thin wrappers over the proposal services."""
from __future__ import annotations

import click
from flask.cli import AppGroup

proposals_cli = AppGroup("proposals", help="Policy proposals (提言): review reminders.")


@proposals_cli.command("remind")
@click.option("--days", default=2, show_default=True,
              help="Remind when the review deadline is this many days away or fewer.")
def remind_command(days: int) -> None:
    """Remind the reviewers who have not answered yet before the deadline (run daily from cron; each reviewer is
    reminded once per review)."""
    from . import services

    count = services.send_reminders(days_before=days)
    click.echo(f"{count} reviewers reminded.")
