"""`isa`: the command line over the register's use cases. A thin layer: it parses, reads the clock
once, calls one use case and prints what happened; any refusal is one line on stderr, exit 1.

One module per group of commands that change the register, over `common` (and `apps`, the app
and its groups); the commands that only read are in `reads`, which loads no ORM, pydantic or
Prefect. Each command is named here by its import path, so a command loads only its own module
and what that imports; `isa --help` lists them all, their summaries read from the source."""

import sys
from collections.abc import Sequence

from cyclopts import App
from cyclopts.command_spec import CommandSpec
from cyclopts.exceptions import CycloptsError

from isa.cli.apps import (
    access_app,
    agency_app,
    app,
    arrangement_app,
    audit_app,
    chair_app,
    consent_app,
    contact_app,
    db_app,
    decision_app,
    disposal_app,
    incident_app,
    meeting_app,
    onward_app,
    outbox_app,
    quality_app,
    request_app,
    review_app,
    staff_app,
    sweep_app,
    training_app,
)
from models.errors import InvalidInput, IsaError, as_option

# (group, command, where its function is): loaded when the command runs
COMMANDS: tuple[tuple[App, str, str], ...] = (
    (agency_app, "add", "isa.cli.register:agency_add"),
    (agency_app, "list", "isa.cli.reads:agency_list"),
    (contact_app, "add", "isa.cli.register:contact_add"),
    (contact_app, "list", "isa.cli.reads:contact_list"),
    (chair_app, "add", "isa.cli.register:chair_add"),
    (arrangement_app, "template", "isa.cli.reads:arrangement_template"),
    (arrangement_app, "draft", "isa.cli.arrangements:arrangement_draft"),
    (arrangement_app, "revise", "isa.cli.arrangements:arrangement_revise"),
    (arrangement_app, "submit", "isa.cli.arrangements:arrangement_submit"),
    (arrangement_app, "approve", "isa.cli.arrangements:arrangement_approve"),
    (arrangement_app, "reject", "isa.cli.arrangements:arrangement_reject"),
    (arrangement_app, "show", "isa.cli.reads:arrangement_show"),
    (arrangement_app, "list", "isa.cli.reads:arrangement_list"),
    (arrangement_app, "versions", "isa.cli.reads:arrangement_versions"),
    (review_app, "complete", "isa.cli.arrangements:review_complete"),
    (training_app, "record", "isa.cli.access:training_record"),
    (access_app, "grant", "isa.cli.access:access_grant"),
    (access_app, "revoke", "isa.cli.access:access_revoke"),
    (access_app, "attest", "isa.cli.access:access_attest"),
    (staff_app, "leaver", "isa.cli.access:staff_leaver"),
    (disposal_app, "confirm", "isa.cli.disposal:disposal_confirm"),
    (disposal_app, "list", "isa.cli.reads:disposal_list"),
    (consent_app, "withdrawn", "isa.cli.consent:consent_withdrawn"),
    (consent_app, "acknowledge", "isa.cli.consent:consent_acknowledge"),
    (consent_app, "list", "isa.cli.reads:consent_list"),
    (quality_app, "report", "isa.cli.quality:quality_report"),
    (quality_app, "correct", "isa.cli.quality:quality_correct"),
    (quality_app, "list", "isa.cli.reads:quality_list"),
    (request_app, "record", "isa.cli.requests:request_record"),
    (request_app, "reply", "isa.cli.requests:request_reply"),
    (request_app, "close", "isa.cli.requests:request_close"),
    (request_app, "list", "isa.cli.reads:request_list"),
    (decision_app, "record", "isa.cli.decisions:decision_record"),
    (decision_app, "list", "isa.cli.reads:decision_list"),
    (onward_app, "request", "isa.cli.onward:onward_request"),
    (onward_app, "answer", "isa.cli.onward:onward_answer"),
    (onward_app, "list", "isa.cli.reads:onward_list"),
    (incident_app, "report", "isa.cli.incident:incident_report"),
    (incident_app, "decide", "isa.cli.incident:incident_decide"),
    (incident_app, "acknowledge", "isa.cli.incident:incident_acknowledge"),
    (incident_app, "list", "isa.cli.reads:incident_list"),
    (app, "suspend", "isa.cli.matters:suspend"),
    (app, "withdraw", "isa.cli.matters:withdraw"),
    (app, "mailsink", "isa.cli.mail:mailsink"),
    (app, "up", "isa.cli.up:up_command"),
    (app, "deploy", "isa.cli.scale:deploy_command"),
    (app, "worker", "isa.cli.scale:worker_command"),
    (app, "web", "isa.cli.web:web_command"),
    (app, "overview", "isa.cli.overview:overview"),
    (meeting_app, "schedule", "isa.cli.matters:meeting_schedule"),
    (meeting_app, "record", "isa.cli.matters:meeting_record"),
    (audit_app, "log", "isa.cli.reads:audit_log"),
    (audit_app, "verify", "isa.cli.audit:audit_verify"),
    (audit_app, "checkpoint", "isa.cli.audit:audit_checkpoint"),
    (db_app, "upgrade", "isa.cli.db:db_upgrade"),
    (outbox_app, "list", "isa.cli.reads:outbox_list"),
    (outbox_app, "deliver", "isa.cli.mail:outbox_deliver"),
    (sweep_app, "reviews", "isa.cli.flows:sweep_reviews"),
    (sweep_app, "access", "isa.cli.flows:sweep_access"),
    (sweep_app, "disposal", "isa.cli.flows:sweep_disposal"),
    (sweep_app, "deadlines", "isa.cli.flows:sweep_deadlines"),
    (sweep_app, "monitoring", "isa.cli.flows:sweep_monitoring"),
    (sweep_app, "all", "isa.cli.flows:sweep_all"),
)
for group, name, target in COMMANDS:
    group.command(target, name=name)


def summarise(args: Sequence[str]) -> None:
    """Give the commands a help page lists their docstrings without importing them: read from
    their modules' source, so `isa --help` costs no more than a listing. A command's own page
    (`isa outbox deliver --help`) loads it as running it would."""
    shown = app
    for word in args:
        if word.startswith("-") or word not in shown or not isinstance(shown[word], App):
            break
        shown = shown[word]
    sources: dict[str, dict[str, str]] = {}
    for group, name, target in COMMANDS:
        if group is not shown:
            continue
        spec = group._get_item(name)  # the lazy command, unresolved until it is asked for
        if isinstance(spec, CommandSpec) and spec.help is None:
            module, function = target.split(":")
            if module not in sources:
                sources[module] = docstrings(module)
            spec.help = sources[module].get(function)


def docstrings(module: str) -> dict[str, str]:
    """The docstring of each function a module defines, read from its source file (the module
    is not imported)."""
    import ast
    from importlib.util import find_spec

    found = find_spec(module)
    if found is None or found.origin is None:
        return {}
    with open(found.origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), found.origin)
    return {
        node.name: ast.get_docstring(node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one line on stderr and exit 1 for anything refused or malformed."""
    args = list(argv) if argv is not None else sys.argv[1:]
    if "--help" in args or "-h" in args or not args:
        summarise(args)
    try:
        for number, arg in enumerate(args, 1):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                # bytes the OS could not decode as UTF-8 arrive as surrogates: no use case takes
                # them, and the database cannot store them
                shown = "".join(
                    f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in arg
                )
                raise InvalidInput(f"argument {number} is not UTF-8 text: '{shown}'") from None
        app(
            args,
            exit_on_error=False,
            print_error=False,
            help_on_error=False,
            result_action="return_value",
        )
    except CycloptsError as exc:
        message = " ".join(str(exc).split())
    except IsaError as exc:
        message = exc.shown(as_option, command=True)
    else:
        sys.exit(0)
    # what was typed is echoed with each control character as its escape: one line, which
    # cannot move the cursor or forge another line
    message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    print(f"isa: error: {message}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
