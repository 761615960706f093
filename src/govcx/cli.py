"""The `govcx` command: one verb per job a person runs by hand."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from govcx.core import accounts
from govcx.core.accounts import KEY_SCOPES, Role, Scope
from govcx.core.clock import SystemClock
from govcx.core.config import Settings
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.errors import ProblemError
from govcx.core.migrations import upgrade

app = typer.Typer(help="govcx: government customer experience platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The operational store.", no_args_is_help=True)
admin_app = typer.Typer(help="Agencies' keys and staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
audit_app = typer.Typer(help="The access log of every data exchange.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
feedback_app = typer.Typer(help="Surveys, responses and their reports.", no_args_is_help=True)
journeys_app = typer.Typer(help="Life events and journey maps.", no_args_is_help=True)
app.add_typer(journeys_app, name="journeys")
app.add_typer(feedback_app, name="feedback")

console = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


def _session_factory(settings: Settings):  # noqa: ANN202
    engine = make_engine(settings.resolved_database_url)
    if settings.should_auto_upgrade:
        upgrade(engine)
    return make_session_factory(engine)


def _check_processes(settings: Settings) -> None:
    problem, warning = settings.multi_process_problems()
    if problem:
        _fail(problem)
    if warning:
        console.print(f"[bold yellow]warning:[/] {warning}")


def _serve(settings: Settings, *, when_listening: Callable[[], None] | None = None) -> None:
    import uvicorn

    from govcx.app import create_app

    if settings.workers == 1:
        # govcx reads forwarded headers itself, from GOVCX_TRUSTED_PROXIES only
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host=settings.host, port=settings.port,
                                               log_level="warning", proxy_headers=False))
        if when_listening is not None:
            threading.Thread(target=_once_listening, args=(server, when_listening), daemon=True).start()
        server.run()
        return
    # N processes, each building its own app (its own engine, pool, witness loop) from the environment:
    # the parent does once what they must not race over, then hands them the settings it was given.
    settings.secret  # noqa: B018 - outside production, create the kept secret once, not once per process
    if settings.should_auto_upgrade:
        upgrade(make_engine(settings.resolved_database_url))
    os.environ.update(_environment_for_workers(settings))
    if when_listening is not None:
        when_listening()
    uvicorn.run("govcx.app:create_app", factory=True, workers=settings.workers, host=settings.host,
                port=settings.port, log_level="warning", proxy_headers=False)


def _once_listening(server: Any, then: Callable[[], None]) -> None:
    # What a person needs next (the address, the sign-ins) comes after the server's own start-up lines.
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        then()


def _environment_for_workers(settings: Settings) -> dict[str, str]:
    """What a server process rebuilds its settings from, beside the environment it inherits: the command
    line's options, and migrations already run."""
    return {"GOVCX_HOST": settings.host, "GOVCX_PORT": str(settings.port),
            "GOVCX_DATA_DIR": str(settings.data_dir.resolve()), "GOVCX_WORKERS": str(settings.workers),
            "GOVCX_AUTO_UPGRADE": "false"}


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (GOVCX_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (GOVCX_PORT).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (GOVCX_DATA_DIR).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Server processes sharing the port (GOVCX_WORKERS); "
                                                "more than one needs PostgreSQL.")] = None,
) -> None:
    """Serve the API, portal and console from an existing data dir or GOVCX_DATABASE_URL."""
    settings = _settings(host=host, port=port, data_dir=data_dir, workers=workers)
    _check_processes(settings)
    processes = f" in {settings.workers} processes" if settings.workers > 1 else ""
    console.print(f"govcx serving on http://{settings.host}:{settings.port}/{processes}")
    _serve(settings)


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=10, max=5_000_000, help="How many people the country has.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Same seed, same country.")] = 7,
    data_dir: Annotated[Path | None, typer.Option(help="Where the stores go (GOVCX_DATA_DIR).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to serve on (GOVCX_PORT).")] = None,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve once generated.")] = True,
    fresh: Annotated[bool, typer.Option("--fresh", help="Make a new country (and new passwords) even when the "
                                        "data dir already holds this one.")] = False,
) -> None:
    """Generate a synthetic country into the data dir (or keep the one there), then serve it."""
    from govcx.demo.generator import (
        changed_from,
        demo_summary,
        generate,
        kept_country,
        read_manifest,
        reset_demo_store,
    )

    settings = _settings(data_dir=data_dir, port=port)
    if settings.is_production:
        _fail("The demo country is never generated in production.")
    if "log_level" not in settings.model_fields_set:
        # One line per request would push the sign-ins off the screen; GOVCX_LOG_LEVEL=INFO brings them back.
        settings = settings.model_copy(update={"log_level": "WARNING"})
    if "email_sender" not in settings.model_fields_set:
        # The demo has no mail server: its e-mails land as files, as the generated ones do, instead of
        # failing (and warning) on every message the running demo sends.
        settings = settings.model_copy(update={"email_sender": "file"})
    if serve_after:
        _check_processes(settings)  # before minutes of generating, not after
    # soft_wrap: these lines are read and copied (URLs, passwords), so never break them mid-line.
    out = Console(soft_wrap=True, highlight=False)
    kept = None if fresh else kept_country(settings, people=people, seed=seed)
    if kept is not None:
        out.print(f"Keeping the demo country in {settings.data_dir} ({people:,} people, seed {seed}, made "
                  f"{kept['now'][:16].replace('T', ' ')} UTC) and its passwords. To start over: "
                  "make demo FRESH=1 (govcx demo --fresh).")
    else:
        changes = changed_from(read_manifest(settings), people=people, seed=seed)
        if fresh:
            out.print("Starting over (--fresh): a new country and new passwords.")
        elif changes:
            out.print(f"Starting over ({', '.join(changes)}): a new country and new passwords.")
        try:
            reset_demo_store(settings)
        except ProblemError as exc:
            _fail(exc.detail)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            result = generate(settings=settings, people=people, seed=seed, progress=progress)
        out.print(f"Made the demo country in {result.seconds:.1f} s ({result.people / result.seconds:,.0f} "
                  "people/s):")
    summary = demo_summary(settings, base_url=f"http://{settings.host}:{settings.port}")
    for line in summary.made:
        out.print(f"  {line}")
    if not serve_after:
        out.print("\n".join(summary.sign_ins))
        return

    def say_where() -> None:
        out.print("\n".join(summary.sign_ins))
        out.print(f"govcx demo serving on http://{settings.host}:{settings.port}/  (Ctrl+C to stop; request logs "
                  "are quiet in the demo: GOVCX_LOG_LEVEL=INFO shows them)")

    _serve(settings, when_listening=say_where)


@db_app.command("upgrade")
def db_upgrade(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (GOVCX_DATA_DIR).")] = None,
) -> None:
    """Bring the operational store's schema up to date."""
    settings = _settings(data_dir=data_dir)
    upgrade(make_engine(settings.resolved_database_url))
    console.print("Database is up to date.")


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (GOVCX_DATA_DIR).")] = None,
) -> None:
    """Drain the background work: deliver events to the domains that react to them (what a crash left
    behind, and failed handlers' retries), then the notification outbox, retrying with back-off."""
    import threading

    from govcx.app import background_jobs, subscribe_reactions
    from govcx.core import background

    settings = _settings(data_dir=data_dir)
    session_factory, clock = _session_factory(settings), SystemClock()
    subscribe_reactions(session_factory=session_factory, clock=clock, settings=settings)
    jobs = background_jobs(session_factory=session_factory, clock=clock, settings=settings)
    if once:
        results = background.run_round(jobs)  # events first, the outbox last, other domains' jobs between
        delivered, counts = results[0], results[-1]
        if delivered is not None:
            console.print(f"events drained: {delivered['delivered']} reactions ran, {delivered['failed']} failed")
        if counts is not None:
            console.print("outbox drained: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                                                or "nothing was due"))
        if None in results:
            _fail("A background job failed; see the log.")
        return
    console.print(f"govcx worker draining events and the outbox every {settings.worker_poll_s:g} s "
                  "(Ctrl+C to stop)")
    try:
        background.run_forever(jobs, poll_s=settings.worker_poll_s, stop=threading.Event())
    except KeyboardInterrupt:
        pass


@audit_app.command("verify")
def audit_verify(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (GOVCX_DATA_DIR).")] = None,
) -> None:
    """Check the whole access log against its witness; exit 1 naming the first entry or head that differs."""
    from govcx.core.signing import Signer
    from govcx.exchange.service import log_size, verify
    from govcx.exchange.witness import witness_from

    settings = _settings(data_dir=data_dir)
    engine = make_engine(settings.resolved_database_url)
    with engine.connect() as connection, Progress(
        TextColumn("Verifying the access log"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task("verify", total=log_size(connection=connection) or None)
        report = verify(connection=connection, jwks=Signer.from_secret(settings.secret).jwks(),
                        witness=witness_from(settings), progress=lambda n: progress.advance(task, n))
    engine.dispose()
    typer.echo(report.model_dump_json())
    if not report.ok:
        console.print(f"[bold red]access log broken:[/] {report.problem}")
        raise typer.Exit(code=1)
    rate = report.entries / report.seconds if report.seconds else 0
    unwitnessed = report.entries - report.witnessed_entries
    console.print(f"access log intact: {report.entries:,} entries, {report.checkpoints:,} signed checkpoints, "
                  f"{report.witness_heads:,} heads at the witness ({report.witness}), {report.seconds:.2f} s "
                  f"({rate:,.0f} entries/s)" + (f"; the newest {unwitnessed:,} not yet witnessed" if unwitnessed
                                                else ""))


@audit_app.command("checkpoint")
def audit_checkpoint(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (GOVCX_DATA_DIR).")] = None,
) -> None:
    """Sign a head of the newest access-log entry and write it to the witness now; exit 1 if it could not be."""
    from govcx.core.signing import Signer
    from govcx.exchange import witness as audit_witness
    from govcx.exchange.service import LogBroken, checkpoint

    settings = _settings(data_dir=data_dir)
    engine = make_engine(settings.resolved_database_url)
    if settings.should_auto_upgrade:
        upgrade(engine)
    factory = make_session_factory(engine)
    publisher = audit_witness.Publisher(audit_witness.witness_from(settings))
    audit_witness.bind(factory, publisher)
    signer = Signer.from_secret(settings.secret)
    try:
        with unit_of_work(factory) as session:  # a new head must extend the newest one the witness holds
            head = checkpoint(session=session, signer=signer, at=SystemClock().now(),
                              after=publisher.recall(signer.jwks()))
    except LogBroken as exc:
        console.print(f"[bold red]no head signed:[/] {exc} Run `govcx audit verify`.")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    if head is None:
        console.print("The access log is empty: there is nothing to witness yet.")
        return
    if publisher.failure:
        console.print(f"[bold red]witness not written:[/] {publisher.failure}")
        raise typer.Exit(code=1)
    typer.echo(json.dumps({"seq": head.seq, "hash": head.hash, "at": head.at.isoformat(),
                           "witness": publisher.witness.where}))
    console.print(f"Head of {head.seq:,} entries written to the witness at {publisher.witness.where}.")


@admin_app.command("create-agency")
def create_agency(
    code: Annotated[str, typer.Option(help="Short code, e.g. TAX.")],
    name: Annotated[str, typer.Option(help="Full name.")],
) -> None:
    """Add an agency (a first one is needed before keys and staff)."""
    from govcx.registry import schemas, service

    settings = _settings()
    try:
        data = schemas.AgencyCreate(code=code, name=name)
        with unit_of_work(_session_factory(settings)) as session:
            agency = service.create_agency(session=session, data=data, clock=SystemClock())
            agency_id = agency.id
    except ValidationError as exc:
        _fail(exc.errors()[0]["msg"])
    except ProblemError as exc:
        _fail(exc.detail)
    typer.echo(str(agency_id))


_KEY_SCOPES = sorted(s.value for s in KEY_SCOPES)


@admin_app.command("create-agency-key")
def create_agency_key(
    agency: Annotated[str, typer.Option(help="The agency's code.")],
    scope: Annotated[list[str], typer.Option(help=f"A scope; repeat for more. One of: {', '.join(_KEY_SCOPES)}.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
) -> None:
    """Create an API key for an agency's system; the key is printed once, alone on the last line."""
    from govcx.registry import service

    settings = _settings()
    scopes = [Scope(s) for s in scope if s in _KEY_SCOPES]
    if len(scopes) != len(scope):
        _fail(f"Unknown scope, or one an API key cannot hold: {', '.join(s for s in scope if s not in _KEY_SCOPES)}; "
              f"choose from {', '.join(_KEY_SCOPES)}.")
    with unit_of_work(_session_factory(settings)) as session:
        found = service.get_agency_by_code(session=session, code=agency)
        if found is None:
            _fail(f"No agency with code {agency}.")
        _, key = accounts.create_api_key(session=session, agency_id=found.id, scopes=scopes, label=label,
                                         clock=SystemClock())
    console.print(f"API key for {found.code} with scopes {', '.join(s.value for s in scopes)}. "
                  "It is shown only now; store it safely.")
    typer.echo(key)


@admin_app.command("create-staff")
def create_staff(
    email: Annotated[str, typer.Option(help="Sign-in e-mail.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[Role, typer.Option(help="What they may do.")],
    agency: Annotated[str | None, typer.Option(help="Their agency's code (not for platform_admin).")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="At least 12 characters.")] = "",
) -> None:
    """Create a staff account with a role in an agency."""
    from govcx.registry import service

    settings = _settings()
    try:
        with unit_of_work(_session_factory(settings)) as session:
            agency_id = None
            if agency:
                found = service.get_agency_by_code(session=session, code=agency)
                if found is None:
                    _fail(f"No agency with code {agency}.")
                agency_id = found.id
            account = accounts.create_staff(session=session, email=email, name=name, password=password,
                                            role=role, agency_id=agency_id, clock=SystemClock())
            summary = {"id": str(account.id), "email": account.email, "role": account.role.value}
    except ProblemError as exc:
        _fail(exc.detail)
    typer.echo(json.dumps(summary))


@feedback_app.command("export-a11")
def feedback_export_a11(
    quarter: Annotated[str, typer.Option(help="Fiscal quarter, e.g. FY2026Q1 (GOVCX_FISCAL_YEAR_START_MONTH).")],
    out: Annotated[Path | None, typer.Option(
        help="Folder for the CSVs, one per service; <data dir>/exports/a11/<quarter> when left out.")] = None,
    agency: Annotated[str | None, typer.Option(help="Only this agency's code; all agencies when left out.")] = None,
) -> None:
    """Write the A-11 quarterly CX data collection: a CSV per service with volumes and answer counts."""
    from govcx.feedback import export

    settings = _settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            exports = export.a11_quarter(session=session, quarter=quarter, agency_code=agency,
                                         fiscal_year_start_month=settings.fiscal_year_start_month)
    except ProblemError as exc:
        _fail(exc.detail)
    finally:
        engine.dispose()
    # Never the current directory by default: a report that lands wherever the command was typed gets lost
    # (or committed); the data directory is where govcx keeps what it makes.
    out = out if out is not None else settings.data_dir / "exports" / "a11" / quarter.strip().upper()
    out.mkdir(parents=True, exist_ok=True)
    for item in exports:
        path = out / f"{quarter.upper()}-{item.service_code}.csv"
        path.write_text(item.csv, encoding="utf-8")
        typer.echo(str(path))
    console.print(f"{len(exports)} services, {sum(e.responses for e in exports):,} responses in {quarter.upper()}; "
                  f"the CSVs are in {out.resolve()}.")


@journeys_app.command("load")
def journeys_load(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (GOVCX_DATA_DIR).")] = None,
) -> None:
    """Load the life events shipped with govcx, and their journey maps; safe to run again."""
    from govcx.journeys import service as journeys

    settings = _settings(data_dir=data_dir)
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            counts = journeys.load_life_events(session=session, clock=SystemClock())
    finally:
        engine.dispose()
    console.print(f"Life events: {counts['added']} added, {counts['updated']} updated, "
                  f"{counts['unchanged']} unchanged.")


if __name__ == "__main__":
    app()
