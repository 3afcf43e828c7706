"""`flask accounts …` and `flask demo …`: thin wrappers over the services."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from . import maintenance
from .accounts import services as account_services
from .verification import services as verification_services
from .errors import DomainError
from .models import Role

accounts_cli = AppGroup("accounts", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo content.")
mail_cli = AppGroup("mail", help="The outgoing mail queue.")
orgs_cli = AppGroup("orgs", help="Organisations and the official municipality list.")
search_cli = AppGroup("search", help="The full-text search index.")
export_cli = AppGroup("export", help="Discussion summaries for meetings and proposals.")
notify_cli = AppGroup("notify", help="Notification mails: sending and digests.")
maintenance_cli = AppGroup("maintenance", help="Housekeeping: deleting old records.")
files_cli = AppGroup("files", help="The file store: attachments and evidence.")
backup_cli = AppGroup("backup", help="Back up and restore a SQLite instance (database, stored files, search index).")
site_cli = AppGroup("site", help="The council's site: pages, news and contact details.")

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
        verification_services.set_role(user, actor=None, role=Role(role), organisation=organisation, title=title)
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
        user = verification_services.create_secretariat(email, password, display_name, title=title)
    except DomainError as error:
        _fail(error)
    click.echo(f"Created secretariat account {user.email} ({user.affiliation}).")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has accounts.")
def demo_load_command(if_empty: bool) -> None:
    """Fill an empty database with fictitious demo accounts and discussions."""
    from .demo.loader import demo_accounts, has_accounts, load_demo

    if if_empty and has_accounts():
        click.echo("The database already has accounts; the demo data is not loaded again.")
    else:
        try:
            summary = load_demo()
        except DomainError as error:
            _fail(error)
        click.echo(f"Loaded {summary.accounts} demo accounts, {summary.threads} threads and {summary.posts} posts.")
    accounts = demo_accounts()
    if accounts:
        from .demo.content import DEMO_PASSWORD

        click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        width = max(len(role) for role, _email in accounts)
        for role, email in accounts:
            click.echo(f"  {role.ljust(width)}  {email}")


SECONDS_OPTION = click.option(
    "--seconds", type=float, default=None,
    help="Stop sending after this many seconds (default EDUCUSSION_MAIL_SEND_SECONDS, 50: for cron every minute).")


def _send_mails(seconds: float | None) -> None:
    from . import mail

    sent, failed = mail.send_pending(seconds=seconds)
    click.echo(f"{sent} sent, {failed} failed (kept in the queue); {mail.waiting_count()} waiting.")
    if failed:
        raise SystemExit(1)


@mail_cli.command("send")
@SECONDS_OPTION
def mail_send_command(seconds: float | None) -> None:
    """Send the mails waiting in the outbox until it is empty or the time is up (run it from cron every minute;
    failures are retried next time)."""
    _send_mails(seconds)


@orgs_cli.command("load-municipalities")
def load_municipalities_command() -> None:
    """Load or update the 1,788 prefectures and municipalities from the packaged code list."""
    from .orgs import services as org_services

    result = org_services.load_municipalities()
    click.echo(f"{result.added} added, {result.updated} updated, {result.adopted} existing organisations "
               "tied to their code.")


@accounts_cli.command("invite")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--org", "organisation", required=True, help="Local government code (412040) or organisation name.")
@click.option("--title", default="", help="Title or position (mayors: follows from the local government).")
@click.option("--name", "display_name", default="", help="The invited person's name, family name first.")
def invite_command(email: str, role: str, organisation: str, title: str, display_name: str) -> None:
    """Invite someone by e-mail with their role, organisation and title already set."""
    try:
        invitation, _token = verification_services.invite(actor=None, data=verification_services.InvitationData(
            email=email, role=Role(role), organisation=organisation, title=title, display_name=display_name))
    except DomainError as error:
        _fail(error)
    click.echo(f"Invited {invitation.email} as {invitation.organisation.name} {invitation.title} "
               f"(valid until {invitation.expires_at:%Y-%m-%d}).")


@search_cli.command("sync")
def search_sync_command() -> None:
    """Index what waits in the search outbox."""
    from .search import indexing

    done = indexing.sync()
    waiting = indexing.pending_count()
    if done or waiting:
        click.echo(f"{done} posts indexed; {waiting} still waiting.")
    else:
        click.echo("The search index is up to date.")
    if waiting:
        raise SystemExit(1)


@search_cli.command("reindex")
def search_reindex_command() -> None:
    """Rebuild the whole index from the database and swap it in atomically (changes made meanwhile included)."""
    from .search import backend
    from .search import indexing

    try:
        with click.progressbar(length=indexing.total_posts(), label="Indexing posts") as bar:
            count = indexing.reindex(progress=bar.update)
    except backend.IndexBusy:
        raise click.ClickException("Another process kept the index locked for two minutes; try again later.")
    click.echo(f"{count} posts indexed.")


def _describe(report) -> str:
    return (f"{len(report.missing)} missing, {len(report.stale)} stale "
            f"({len(report.exposed)} searchable though not public), {len(report.extra)} extra")


@search_cli.command("check")
@click.option("--repair", is_flag=True, help="Queue the missing and stale posts, drop the extra entries and sync.")
def search_check_command(repair: bool) -> None:
    """Compare the index with the database: posts missing, documents whose content or visibility is not the
    post's as it is now (stale), entries without a post (extra); remove the index folders left by killed
    rebuilds."""
    from .search import indexing

    removed = indexing.remove_abandoned()
    if removed:
        click.echo(f"removed {len(removed)} abandoned index folder(s) of killed rebuilds "
                   f"({sum(size for _, size in removed) / 2**20:.1f} MiB): {', '.join(name for name, _ in removed)}")
    report = indexing.check_index()
    click.echo(f"index: {_describe(report)}.")
    if report.ok:
        return
    for name in ("missing", "stale", "exposed", "extra"):
        ids = sorted(getattr(report, name))
        if ids:
            click.echo(f"{name}: {ids[:50]}{' …' if len(ids) > 50 else ''}")
    if not repair:
        raise SystemExit(1)
    indexing.repair()
    indexing.sync()
    report = indexing.check_index()
    click.echo(f"after repair: {_describe(report)}.")
    if not report.ok:
        raise SystemExit(1)


@search_cli.command("worker")
@click.option("--interval", default=1.0, help="Seconds between looks at the outbox.")
def search_worker_command(interval: float) -> None:
    """Keep draining the outbox (one indexer for all web workers; set EDUCUSSION_SEARCH_DRAIN=worker)."""
    import logging
    import time

    from .search import indexing

    last_repair = None
    while True:
        # the index is a cache: converge to the database every ten minutes (and at start)
        repair_due = last_repair is None or time.monotonic() - last_repair > 600
        try:
            indexing.worker_round(repair_due=repair_due)
            if repair_due:
                last_repair = time.monotonic()
        except Exception:  # a locked database or a full disk: the outbox keeps the work for the next round
            logging.getLogger(__name__).exception("search worker: round failed; trying again")
        maintenance.purge_if_due()  # retention, once a day (flask maintenance purge); never raises
        time.sleep(interval)


@export_cli.command("summary")
@click.option("--theme", "theme_slug", help="Summarise one theme (its slug, e.g. infrastructure).")
@click.option("--thread", "thread_id", type=int, help="Summarise one thread (its number).")
@click.option("--year", "fiscal_year", type=int, help="Fiscal year (年度) by the year it starts: 2025 = 令和7年度.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (Japan time).")
@click.option("--until", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--outcome", "outcomes", multiple=True,
              type=click.Choice(["under_discussion", "resolved", "reflected", "continued"]))
@click.option("--role", "opener_role", type=ROLE_CHOICE, help="Only threads opened by this role.")
@click.option("--prefecture", "opener_prefecture", help="Only threads opened from this prefecture (e.g. 佐賀県).")
@click.option("--anonymise", is_flag=True, help="Replace names with organisation and role.")
@click.option("--unanswered-days", default=14, show_default=True)
@click.option("--format", "file_format", default="xlsx", show_default=True,
              type=click.Choice(["xlsx", "csv", "md", "json"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_summary_command(output: str, file_format: str, theme_slug, thread_id, start, end, **options) -> None:
    """Write a discussion summary to a file (replaced only when complete; recorded in the audit log as a
    command-line export once it is in place)."""
    from .export import services as export_services
    from .export.formats import PASSES
    from .export.summary import SummaryFilters
    from .urls import base_url

    scope = "thread" if thread_id else "theme" if theme_slug else "board"
    filters = SummaryFilters(scope=scope, theme_slug=theme_slug, thread_id=thread_id,
                             start=start.date() if start else None, end=end.date() if end else None,
                             outcomes=tuple(options.pop("outcomes")), **options)
    try:
        export = export_services.export_summary(filters, actor=None, file_format=file_format, base_url=base_url())
    except DomainError as error:
        _fail(error)
    length = export.summary.overview.thread_count * PASSES.get(file_format, 1)
    with click.progressbar(length=length, label="Writing threads") as bar:
        export.summary.progress = bar.update
        export_services.write_file(export, output)
    click.echo(f"{export.summary.overview.thread_count} threads, {export.summary.overview.post_count} posts "
               f"written to {output}.")


@notify_cli.command("send")
@SECONDS_OPTION
def notify_send_command(seconds: float | None) -> None:
    """Send the mails waiting in the outbox (failed ones are retried; same as `flask mail send`)."""
    _send_mails(seconds)


@notify_cli.command("send-digests")
@click.option("--daily", "frequency", flag_value="daily", help="Members who chose the daily digest.")
@click.option("--weekly", "frequency", flag_value="weekly", help="Members who chose the weekly digest.")
def notify_digests_command(frequency: str | None) -> None:
    """Mail each member their digest of what is new (run from cron; running it twice sends nothing twice)."""
    from .models import Delivery
    from .notifications import services as notification_services

    if frequency is None:
        raise click.UsageError("Choose --daily or --weekly.")
    sent = notification_services.send_digests(Delivery(frequency))
    click.echo(f"{sent} {frequency} digests sent.")


@maintenance_cli.command("purge")
def maintenance_purge_command() -> None:
    """Delete log-in throttles, search log entries and sent mails older than their retention (EDUCUSSION_RETAIN_*;
    unsent mails and the audit log are kept); writes one audit entry with the counts."""
    purged = maintenance.purge()
    click.echo(f"Deleted {purged.describe()}.")


@backup_cli.command("create")
@click.argument("folder", type=click.Path(file_okay=False))
def backup_create_command(folder: str) -> None:
    """Copy the database, the search index and the stored files into FOLDER (new or empty), while the
    board keeps running. PostgreSQL: refused, with the pg_dump line to use instead."""
    from .backup import services as backup_services

    try:
        manifest = backup_services.create_backup(folder)
    except DomainError as error:
        _fail(error)
    posts = manifest.tables.get("posts", 0)
    click.echo(f"Backed up {posts} posts, {len(manifest.tables)} tables and {manifest.stored_files} stored "
               f"files (revision {manifest.alembic_revision}) to {folder}.")


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def backup_restore_command(folder: str) -> None:
    """Restore a backup made by `backup create` into an empty instance, then index what its outbox held."""
    from .backup import services as backup_services

    try:
        manifest, indexed = backup_services.restore_backup(folder)
    except DomainError as error:
        _fail(error)
    click.echo(f"Restored the backup of {manifest.created_at} (revision {manifest.alembic_revision}).")
    if indexed is None:
        click.echo("The backup's schema is older than this code: run `flask --app wsgi db upgrade`, then "
                   "`flask --app wsgi search sync`.")
    else:
        click.echo(f"{indexed} posts from the search outbox indexed.")


@files_cli.command("sweep")
def files_sweep_command() -> None:
    """Remove pending uploads older than 24 hours and stored contents nothing uses (run daily from cron)."""
    from .files import services as file_services

    uploads, contents = file_services.sweep()
    click.echo(f"Removed {uploads} expired pending uploads and {contents} unused stored files.")


@files_cli.command("erase")
@click.argument("file_id", type=int)
@click.option("--reason", required=True, help="Why (recorded in the audit log), e.g. 本人からの削除依頼.")
def files_erase_command(file_id: int, reason: str) -> None:
    """Legal erasure of one uploaded file (its content too, when nothing else uses it)."""
    from .files import queries as file_queries
    from .files import services as file_services

    file = file_queries.file_by_id(file_id)
    if file is None:
        raise click.ClickException(f"No file with the id {file_id}.")
    name = file.name
    try:
        file_services.erase_file(file, actor=None, reason=reason)
    except DomainError as error:
        _fail(error)
    click.echo(f"Erased file {file_id} ({name}).")


@files_cli.command("text")
@click.option("--all", "everything", is_flag=True, help="Read again the files already read (after upgrading pypdf).")
def files_text_command(everything: bool) -> None:
    """Read the text of attached files that search has not read yet, and index it with their posts."""
    from .files import extraction
    from .search import indexing

    posts = extraction.queue_unread(again=everything)
    done = indexing.sync()
    click.echo(f"Queued {posts} posts with unread files; indexed {done} posts.")


@site_cli.command("defaults")
def site_defaults_command() -> None:
    """Store the default texts of the site's pages (about, join, contact, privacy, terms, accessibility) and the home
    page's statement, where nothing is stored yet: the first version of each, for the secretariat to edit."""
    from .site import services as site_services

    stored = site_services.load_defaults()
    click.echo(f"{stored} default texts stored." if stored else "Every page already has its text; nothing changed.")


def register(app: Flask) -> None:
    from .proposals.cli import proposals_cli

    app.cli.add_command(proposals_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(maintenance_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(site_cli)
