"""`flask accounts …` and `flask demo …`: thin wrappers over the services."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .accounts import services as account_services
from .errors import DomainError
from .models import Role

accounts_cli = AppGroup("accounts", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo content.")

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _fail(error: DomainError) -> None:
    raise click.ClickException(str(error))


@accounts_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--org", "organisation", required=True, help="Organisation name, e.g. 多久市.")
@click.option("--title", default="", help="Title or position, e.g. 市長.")
def set_role_command(email: str, role: str, organisation: str, title: str) -> None:
    """Verify an account: give it a ROLE, an organisation and a title."""
    user = account_services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}.")
    try:
        account_services.set_role(user, actor=None, role=Role(role), organisation=organisation, title=title)
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email}: {role}, {user.affiliation} (verified)")


@accounts_cli.command("create-secretariat")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt=True, help="Family name first, e.g. 山田 太郎.")
@click.option("--title", default="", help="e.g. 事務局長.")
@click.password_option(help="At least 10 characters (asked for when not given).")
def create_secretariat_command(email: str, display_name: str, title: str, password: str) -> None:
    """Create a verified secretariat account."""
    try:
        user = account_services.create_secretariat(email, password, display_name, title=title)
    except DomainError as error:
        _fail(error)
    click.echo(f"Created secretariat account {user.email} ({user.affiliation}).")


@demo_cli.command("load")
def demo_load_command() -> None:
    """Fill an empty database with fictitious demo accounts and discussions."""
    from .demo.loader import load_demo

    try:
        summary = load_demo()
    except DomainError as error:
        _fail(error)
    click.echo(
        f"Loaded {summary.accounts} demo accounts, {summary.threads} threads and {summary.posts} posts. "
        f"Log in as any demo account with the password {summary.password!r}."
    )


def register(app: Flask) -> None:
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
