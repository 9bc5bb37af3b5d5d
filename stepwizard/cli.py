"""Command line: the TUI wizard, the headless ``apply``, and the ``plan`` printer."""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from stepwizard import __version__
from stepwizard.answers import (
    Answers,
    AnswersError,
    answers_json_schema,
    format_validation_error,
    load_answers,
    read_answers_data,
)
from stepwizard.context import Context
from stepwizard.engine import plan_problems, render_plan, run_step
from stepwizard.i18n import _, install_language
from stepwizard.interaction import HeadlessInteraction
from stepwizard.logsetup import default_log_file, setup_logging
from stepwizard.runner import Runner
from stepwizard.state import DEFAULT_STATE_PATH, StateFileError, StateStore, StepStatus
from stepwizard.steps import all_steps

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every option explained."""
    parser = argparse.ArgumentParser(
        prog="stepwizard",
        description=_("Set up a hardened smallstep step-ca on this Debian host. Without a "
                      "command, starts the interactive wizard (same as 'setup')."),
        epilog=_("Each command explains its own options: stepwizard COMMAND --help."))
    parser.add_argument("--version", action="version", version=f"stepwizard {__version__}")
    # Taken out before parsing (split_language_option); listed here for --help.
    parser.add_argument("--lang", metavar="CODE",
                        help=_("language of messages, for example en or fr (default: from "
                               "LANGUAGE, LC_ALL, LC_MESSAGES or LANG)"))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-file", type=Path, metavar="FILE",
                        help=_("log file (default: /var/log/stepwizard/stepwizard.log; for a "
                               "dry run by a normal user, ~/.local/state/stepwizard/)"))
    common.add_argument("--state-file", type=Path, metavar="FILE", default=DEFAULT_STATE_PATH,
                        help=_("progress file read by a re-run to resume (default: %(default)s)"))
    common.add_argument("--lang", metavar="CODE",
                        help=_("language of messages, for example en or fr (default: from "
                               "LANGUAGE, LC_ALL, LC_MESSAGES or LANG)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    setup = commands.add_parser("setup", parents=[common],
                                help=_("interactive wizard (the default command)"))
    setup.add_argument("--dry-run", action="store_true",
                       help=_("walk every screen and show each command and file without "
                              "running or writing anything; works as any user"))
    setup.add_argument("--answers", type=Path, metavar="FILE",
                       help=_("pre-fill the forms from this answers file (TOML or JSON)"))

    apply = commands.add_parser("apply", parents=[common],
                                help=_("run every step without a user interface"))
    apply.add_argument("--answers", type=Path, metavar="FILE", required=True,
                       help=_("answers file (TOML or JSON); see examples/answers.toml"))
    apply.add_argument("--dry-run", action="store_true",
                       help=_("print the plan of every step and stop"))
    apply.add_argument("--trust-on-first-use", action="store_true",
                       help=_("accept the repository signing key without an expected "
                              "fingerprint (its fingerprint is logged)"))

    plan = commands.add_parser("plan", parents=[common],
                               help=_("print the commands and files of a full setup"))
    plan.add_argument("--answers", type=Path, metavar="FILE", required=True,
                      help=_("answers file (TOML or JSON)"))

    commands.add_parser("schema", help=_("print the JSON Schema of the answers file"),
                        description=_("Print the JSON Schema of the answers file, generated "
                                      "from the answers model."))
    return parser


def print_lines(lines: list[str]) -> None:
    """Print lines to stdout, flushing so progress shows at once over SSH."""
    for line in lines:
        print(line, flush=True)


def make_context(answers: Answers, state: StateStore, log_file: Path | None) -> Context:
    """Build a headless context whose output goes to stdout."""
    runner = Runner(sink=lambda line: print("    " + line, flush=True))
    return Context(answers=answers, runner=runner, interaction=HeadlessInteraction(answers),
                   state=state, log_file=log_file)


def report_problems(problems: list[str]) -> int:
    """Print what would stop a real run; return the exit status for a dry run or a plan."""
    if not problems:
        return EXIT_OK
    print(_("a real run would stop on:"), file=sys.stderr)
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    return EXIT_FAILED


def command_apply(args: argparse.Namespace, answers: Answers, log_file: Path | None) -> int:
    """Run (or with --dry-run, print) every step; return 0 only when the CA is verified."""
    if args.trust_on_first_use:
        answers = answers.model_copy(update={"trust_on_first_use": True})
    if args.dry_run:
        ctx = make_context(answers, StateStore(None), log_file)
        print_lines(render_plan(all_steps(), ctx))
        problems = plan_problems(all_steps(), ctx)
        if answers.repository_key_fingerprint is None and not answers.trust_on_first_use:
            problems.append(_("repository_key_fingerprint: not set, so a headless run cannot "
                              "trust the signing key: set it, or pass --trust-on-first-use"))
        print(_("dry run: nothing was run, only the log was written"))
        return report_problems(problems)
    state = StateStore(args.state_file)
    state.set_answers(answers.model_dump(mode="json"))
    ctx = make_context(answers, state, log_file)
    steps = all_steps()
    for number, step in enumerate(steps, start=1):
        print(f"[{number}/{len(steps)}] {_(step.title)}", flush=True)
        outcome = run_step(step, ctx)
        if outcome.status is StepStatus.DONE:
            print("    " + _("done"), flush=True)
            continue
        failure = outcome.failure
        assert failure is not None
        print(_("error in step {title}: {message}").format(title=_(step.title),
                                                           message=failure.message),
              file=sys.stderr, flush=True)
        for line in failure.tail[-10:]:
            print("    | " + line, file=sys.stderr, flush=True)
        print(_("fix the problem and run the same command again: finished steps are skipped"),
              file=sys.stderr, flush=True)
        return EXIT_FAILED
    fingerprint = state.fact("root_fingerprint") or ""
    print(_("the CA is running: {url}").format(url=answers.ca_url))
    print(_("root fingerprint: {fp}").format(fp=fingerprint))
    print(_("clients: step ca bootstrap --ca-url {url} --fingerprint {fp}").format(
        url=answers.ca_url, fp=fingerprint))
    return EXIT_OK


def command_setup(args: argparse.Namespace, log_file: Path | None) -> int:
    """Start the Textual wizard; main() has already refused a real run without root."""
    answers: Answers | None = None
    prefill: dict[str, object] | None = None
    if args.answers:
        data = read_answers_data(args.answers)
        try:
            answers = Answers.model_validate(data)
        except ValidationError as error:
            # The forms show each problem under its field, so a partial file is fine here.
            log.info("answers file %s is incomplete: %s", args.answers,
                     "; ".join(format_validation_error(error)))
            prefill = {name: value for name, value in data.items()
                       if name in Answers.model_fields}
    # The engine never imports Textual; the user interface lives in the screens package.
    app_module = importlib.import_module("screens.app")
    result: int = app_module.run_wizard(dry_run=args.dry_run, answers=answers,
                                        state_file=None if args.dry_run else args.state_file,
                                        log_file=log_file, prefill=prefill)
    return result


# Options of the top-level parser itself; any other leading option belongs to 'setup'.
TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")


def with_default_command(argv: list[str]) -> list[str]:
    """Put 'setup' in front of ``argv`` when it names no command.

    argparse rejects ``stepwizard --answers FILE`` before a default could apply, because the
    top-level parser has no --answers option and takes FILE for the command. So 'setup' is
    added here when there are no arguments or the first one is an option of setup.
    """
    if not argv or (argv[0].startswith("-") and argv[0] not in TOP_LEVEL_OPTIONS):
        return ["setup", *argv]
    return argv


def split_language_option(argv: list[str]) -> tuple[str | None, list[str]]:
    """Return the value of --lang (None when absent) and ``argv`` without that option.

    --lang is taken out before the parser is built, so that the option help is translated
    and --lang works before the command too (``stepwizard --lang fr plan``). The words
    argparse adds itself ("usage:", "options:") come from its own catalog and stay English.
    """
    scanner = argparse.ArgumentParser(prog="stepwizard", add_help=False, allow_abbrev=False)
    scanner.add_argument("--lang", metavar="CODE")
    known, rest = scanner.parse_known_args(argv)
    return known.lang or None, rest


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit status."""
    language, arguments = split_language_option(list(sys.argv[1:] if argv is None else argv))
    if language:
        install_language([language])
    args = build_parser().parse_args(with_default_command(arguments))
    if args.command == "schema":
        print(json.dumps(answers_json_schema(), indent=2))
        return EXIT_OK
    dry_run = bool(getattr(args, "dry_run", False)) or args.command == "plan"
    if not dry_run and os.geteuid() != 0:
        print(_("error: stepwizard {command} changes the system and must run as root: run it "
                "with sudo, or add --dry-run to try it without changes").format(
                    command=args.command), file=sys.stderr)
        return EXIT_USAGE
    if not dry_run and args.command in ("setup", "apply"):
        try:
            # Reading and writing the state file now fails early, before any step runs.
            StateStore(args.state_file).save()
        except StateFileError as error:
            print(_("error: {message}").format(message=error), file=sys.stderr)
            return EXIT_USAGE
    log_file = args.log_file or default_log_file(dry_run)
    try:
        setup_logging(log_file)
    except OSError as error:
        print(_("error: cannot write the log file {path}: {error}; choose another with "
                "--log-file").format(path=log_file, error=error.strerror), file=sys.stderr)
        return EXIT_USAGE
    log.info("stepwizard %s: %s", __version__, args.command)
    try:
        if args.command == "setup":
            return command_setup(args, log_file)
        answers = load_answers(args.answers)
    except AnswersError as error:
        print(_("error: {message}").format(message=error), file=sys.stderr)
        return EXIT_USAGE
    if args.command == "plan":
        ctx = make_context(answers, StateStore(None), log_file)
        print_lines(render_plan(all_steps(), ctx))
        return report_problems(plan_problems(all_steps(), ctx))
    return command_apply(args, answers, log_file)


def entry_point() -> int:
    """Run main() for the console script, ending quietly when the output pipe closes."""
    try:
        return main()
    except BrokenPipeError:
        # `stepwizard plan | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return EXIT_OK
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EIO):
            raise
        print(_("error: cannot write the output: {error}").format(error=error.strerror),
              file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(entry_point())
