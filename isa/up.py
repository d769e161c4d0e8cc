"""`isa up`: bring the whole embedded system up on one machine, and take it down on Ctrl-C.

Migrate the register; start `prefect server start` (its own SQLite under var/prefect, the UI,
the scheduler and the automations) and wait for its health check; start the mail sink when no
SMTP relay is configured; load the sample register into an empty database; serve every
deployment in prefect.yaml; publish the Prefect events owed by changes made while it was down
(their flows start now); start the daily sweeps so there is something to see at once.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.db import upgrade
from core.files import append_private_file, private_directory
from core.settings import Settings
from isa.deployments import INSTALLATION_VARIABLE, automation_names, installation_of, read_specs
from isa.prefect_events import http_problem, prefect_request, server_healthy
from models.errors import IsaError
from notifications.publication import Publication

HOST = "127.0.0.1"


def prefect_environment(settings: Settings) -> dict[str, str]:
    """The settings every process we start shares: the server we run, analytics off, and the
    task-run recorder batching that keeps a large flow from locking the server's SQLite."""
    home = Path(settings.prefect_home).resolve()
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": settings.prefect_api_url,
        "PREFECT_UI_API_URL": settings.prefect_api_url,
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(settings.prefect_port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # the served deployments look for new runs every 2 s (default 10), so the flow of a
        # matter just raised starts within seconds of the event that triggers it
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "200",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
    }


@dataclass
class Supervisor:
    """The processes `isa up` started, stopped in reverse order."""

    log_dir: Path
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = append_private_file(self.log_dir / f"{name}.log")
        process = subprocess.Popen(
            list(argv), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, process))
        return process

    def check(self) -> None:
        for name, process in self.children:
            if process.poll() is not None:
                raise IsaError(
                    f"{name} stopped (exit {process.returncode}); see {self.log_dir / name}.log"
                )

    def stop(self, grace: float = 15.0) -> None:
        """Newest first, each given time to finish: the runner pauses its schedules on the
        server before the server itself goes."""
        for _name, process in reversed(self.children):
            if process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until(
    ready: Callable[[], bool], supervisor: Supervisor, seconds: float, what: str
) -> None:
    from isa.cli.progress import on_terminal, waiting

    deadline = time.monotonic() + seconds
    with waiting(on_terminal(), f"waiting for {what}"):
        while not ready():
            supervisor.check()
            if time.monotonic() > deadline:
                raise IsaError(f"{what} did not come up within {seconds:.0f} s")
            time.sleep(0.5)


def up(settings: Settings, say: Callable[[str], None], *, take_over: bool = False) -> None:
    """Start everything, print where to look, and wait for Ctrl-C. A server that holds
    deployments run by a work pool (`isa deploy` was pointed at it) is refused, or with
    `take_over` they are deleted and served here instead (the deadline sweep started below
    schedules again the checker runs deleting them dropped)."""
    from sqlmodel import Session

    from core.db import RUN_DELIVERS, make_engine
    from core.keys import audit_key, audit_seal, link_issuer
    from isa.scale import delete_deployments, deployments, describe
    from tasks.sample import is_empty, load_sample_register

    # what the Prefect server and the runners write (its database, their logs) is the owner's
    # alone, like the register's own files
    os.umask(0o077)
    var = Path("var")
    logs = var / "log"
    private_directory(logs)
    private_directory(Path(settings.prefect_home))
    upgrade(settings.database_url, audit_key=audit_key(settings))
    if server_healthy(settings.prefect_api_url):
        raise IsaError(f"a Prefect server already answers at {settings.prefect_api_url}")

    installation = installation_of(settings.database_url)
    # the deployments' triggers match this register's events only, and the mail sink takes
    # this register's mail only: a second register on the machine starts nothing here
    env = {
        **os.environ,
        **prefect_environment(settings),
        INSTALLATION_VARIABLE: installation,
    }
    supervisor = Supervisor(logs)
    # a service manager stops us with SIGTERM: treat it as Ctrl-C so the children stop too
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    began = time.monotonic()

    def stage(line: str) -> None:
        # one line per stage as it is reached, with the seconds since start
        say(f"{line}  ({time.monotonic() - began:.0f} s)")

    try:
        supervisor.start(
            "prefect-server",
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                HOST,
                "--port",
                str(settings.prefect_port),
            ],
            env,
        )
        wait_until(
            lambda: server_healthy(settings.prefect_api_url), supervisor, 180, "the Prefect server"
        )
        stage(f"Prefect UI:   {settings.prefect_api_url.removesuffix('/api')}")
        pooled = [d for d in deployments(settings.prefect_api_url) if d.pool is not None]
        if pooled and not take_over:
            pools = ", ".join(sorted({str(d.pool) for d in pooled}))
            raise IsaError(
                f"the Prefect server in {settings.prefect_home} holds {describe(pooled)} that "
                f"workers of pool {pools} run: run `isa up --take-over` to serve them here "
                "instead (their checker runs are scheduled again), or use the workers"
            )
        if pooled:
            delete_deployments(settings.prefect_api_url, pooled)
            stage(f"took over {describe(pooled)} from the workers")
        if not settings.smtp_host:
            supervisor.start(
                "mailsink",
                [
                    sys.executable,
                    "-c",
                    "from isa.cli import main; main()",
                    "mailsink",
                    "--dir",
                    str(settings.mail_dir),
                    "--port",
                    str(settings.smtp_relay()[1]),
                    "--installation",
                    installation,
                ],
                env,
            )
            stage(
                f"Mail folder:  {settings.mail_dir.resolve()} (mail sink on port "
                f"{settings.smtp_relay()[1]})"
            )
        else:
            stage(f"Mail relay:   {settings.smtp_host}")
        engine = make_engine(
            settings.database_url,
            audit=audit_seal(settings, "cli"),
            mailbox=settings.mail_from,
            office=settings.office_mailbox(),
            links=link_issuer(settings),
        )
        with Session(engine, expire_on_commit=False) as session:
            # the start-up's sweeps send what loading it queued: no delivery run of its own
            session.info[RUN_DELIVERS] = True
            if is_empty(session):
                refs = load_sample_register(session, now=settings.current_time())
                stage(f"loaded the sample register: {', '.join(refs)}")
        engine.dispose()
        supervisor.start(
            "web",
            [sys.executable, "-c", "from isa.cli import main; main()", "web"],
            env,
        )
        portal = f"http://{settings.web_host}:{settings.web_port}/"
        wait_until(lambda: _answers(portal), supervisor, 60, "the web portal")
        stage(f"Portal:       {settings.public_url}")
        supervisor.start("serve", [sys.executable, "-m", "isa.deployments"], env)
        wait_until(
            lambda: _deployments_ready(settings.prefect_api_url),
            supervisor,
            120,
            "the served deployments",
        )
        stage("deployments:  every deployment in prefect.yaml is served")
        wait_until(
            lambda: _triggers_ready(settings.prefect_api_url),
            supervisor,
            60,
            "the deployments' triggers",
        )
        stage(
            "triggers:     approvals, suspensions, withdrawals, incidents and every duty "
            "(consent, data quality, onward sharing, information requests) start their flows"
        )
        published = publish_leftovers(settings)
        if published.published:
            stage(f"published {len(published.published)} Prefect event(s) the register owed")
        started = _start_first_sweep(settings, say, again=("deadline-sweep",) if pooled else ())
        if started:
            stage("sweeps:       today's sweeps are running (see the UI's runs)")
        else:
            stage("sweeps:       today's sweeps have run already (see the UI's runs)")
        stage(f"upcoming:     {_name_upcoming(settings)}")
        say(f"Logs:         {logs.resolve()}")
        stage("Ready. Stop: press Ctrl-C")
        while True:
            supervisor.check()
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping...")
    finally:
        supervisor.stop()


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _deployments_ready(api_url: str) -> bool:
    import httpx

    try:
        response = httpx.post(f"{api_url}/deployments/filter", json={"limit": 50}, timeout=3)
    except httpx.HTTPError:
        return False
    names = {d["name"] for d in response.json()} if response.status_code == 200 else set()
    return {spec.name for spec in read_specs()} <= names


def _triggers_ready(api_url: str) -> bool:
    """Every trigger in prefect.yaml is an automation the server holds, and a moment has
    passed for its triggers service to load them: an event published before then would be
    seen, remembered by its id, and start nothing."""
    import httpx

    wanted = automation_names()
    try:
        response = httpx.post(f"{api_url}/automations/filter", json={"limit": 200}, timeout=3)
    except httpx.HTTPError:
        return False
    names = {a["name"] for a in response.json()} if response.status_code == 200 else set()
    if not wanted <= names:
        return False
    time.sleep(AUTOMATIONS_SETTLE)
    return True


# how long the triggers service is given to load automations just created
AUTOMATIONS_SETTLE = 3.0


def _name_upcoming(settings: Settings) -> str:
    """Name the runs the scheduler made ("olivine-woodlouse") for what they do and when; each
    delivery run names the new ones too. A failure is said, and stops nothing."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.naming import name_upcoming_runs

    try:
        with temporary_settings({PREFECT_API_URL: settings.prefect_api_url}):
            named = name_upcoming_runs()
    except Exception as exc:  # the server busy: the next delivery run names them
        return f"the upcoming runs are not named yet ({type(exc).__name__})"
    return f"{named} scheduled run(s) named for what they do and when"


def publish_leftovers(settings: Settings) -> "Publication":
    """Publish the Prefect events the register still owes: changes committed while the server
    was down (a suspension raised then starts its flow now, not at the next morning's sweep)."""
    from sqlmodel import Session

    from core.db import make_engine
    from core.keys import audit_seal
    from notifications.publication import publish_pending

    engine = make_engine(
        settings.database_url,
        audit=audit_seal(settings, "cli"),
        mailbox=settings.mail_from,
        office=settings.office_mailbox(),
    )
    try:
        with Session(engine, expire_on_commit=False) as session:
            return publish_pending(
                session, api_url=settings.prefect_api_url, now=settings.current_time()
            )
    finally:
        engine.dispose()


def _start_first_sweep(
    settings: Settings, say: Callable[[str], None], *, again: tuple[str, ...] = ()
) -> list[str]:
    """The daily sweeps now, so the UI shows runs and artifacts without waiting for morning:
    one run of each per day, however often `isa up` starts that day (each is created with an
    idempotency key naming the day, so a restart is given the run it already has). Created
    through the API, not by four `prefect deployment run` processes (9 to 12 s here); a sweep
    that cannot be created is left to tomorrow morning's schedule. Those named in `again` run
    again all the same (the deadline sweep after a take-over). Returns those created."""
    import httpx

    from models.clocks import local_date

    day = local_date(settings.current_time()).isoformat()
    api = settings.prefect_api_url
    created: list[str] = []

    for name in FIRST_SWEEPS:
        try:
            deployment = prefect_request("GET", f"{api}/deployments/name/{name}/{name}")
            create = f"{api}/deployments/{deployment.json()['id']}/create_flow_run"
            key = f"isa-up-{name}-{day}"
            body = {} if name in again else {"idempotency_key": key}
            run = prefect_request("POST", create, json=body)
            if run.status_code == 200 and run.json()["state_type"] in UNFINISHED:
                # the day's run was stopped with `isa up` (or failed): this start runs it again
                key = f"{key}-{run.json()['id'][:8]}"
                run = prefect_request("POST", create, json={"idempotency_key": key})
        except httpx.HTTPError as exc:
            say(f"{name} not started now ({http_problem(exc)}): its schedule runs it")
            continue
        if run.status_code == 201:  # 200: the day's run, already there
            created.append(name)
    return created


FIRST_SWEEPS = ("deadline-sweep", "access-sweep", "review-sweep", "disposal-sweep")
# a run that ended without finishing its work
UNFINISHED = ("CRASHED", "FAILED", "CANCELLED")
