"""The monitor as a background service of the person's own account, on each platform.

- Linux: a systemd *user* unit, `~/.config/systemd/user/flooding.service`, started at login
  (`WantedBy=default.target`), restarted on failure, logging to the journal
  (`journalctl --user -u flooding`).
- macOS: a launchd agent, `~/Library/LaunchAgents/org.flooding.flooding.plist`: RunAtLoad,
  KeepAlive on failure, logging to `service.log` in the data folder (launchd's own stdout
  and stderr, e.g. a crash before logging starts, go to `service-crash.log` beside it).
- Windows: a Task Scheduler task `flooding` that starts at logon (`schtasks /Create /XML`),
  restarted on failure, from a task definition written to the data folder; it runs
  `pythonw` (no console window) and logs to `service.log` in the data folder.

Every file written carries `MARKER` in a comment; uninstall removes only such files and
refuses to touch one without it. Generation is pure text; the I/O is in `install`,
`uninstall` and `service_state`, which take the platform, the home folder, the environment,
the command runner and `which` as parameters, so tests run all three on Linux in a
temporary home. They return a `Report` (lines for the person and success); printing is the
command's job.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from flooding.core.catalogue import Catalogue
from flooding.io.files import make_private_dir, write_private
from flooding.io.folders import Platform, current_platform, env_folder, platform_data_dir
from flooding.io.locale_files import load_catalogue

UNIT_NAME = "flooding.service"
LAUNCHD_LABEL = "org.flooding.flooding"
TASK_NAME = "flooding"
MARKER = "Written by `flooding service install`; `flooding service uninstall` removes it."
LOG_NAME = "service.log"
CRASH_LOG_NAME = "service-crash.log"
TASK_FILE_NAME = "flooding-task.xml"
RESTART_DELAY_S = 30  # after a failure; also how soon a service refused by the lock retries
COMMAND_TIMEOUT_S = 30.0  # systemctl/launchctl/schtasks answer in well under a second

Runner = Callable[[Sequence[str]], tuple[int, str]]
"""Runs a command; returns (exit code, its output)."""


def run_command(argv: Sequence[str]) -> tuple[int, str]:
    """The default `Runner`: run, capture output, never hang."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def service_program(platform: Platform | None = None) -> list[str]:
    """The absolute command line that runs this flooding (without arguments)."""
    platform = platform or current_platform()
    if platform is Platform.WINDOWS:
        pythonw = Path(sys.executable).with_name("pythonw.exe")
        if pythonw.exists():
            return [str(pythonw), "-m", "flooding"]
    found = shutil.which("flooding")
    if found:
        return [str(Path(found).absolute())]
    script = Path(sys.argv[0])
    if script.name in ("flooding", "flooding.exe") and script.exists():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "flooding"]


def service_environment(program: Sequence[str]) -> dict[str, str]:
    """Extra environment the service needs: the source tree, for `python -m flooding` from
    a checkout that is not installed (Linux and macOS; on Windows, install the package)."""
    if list(program[1:]) != ["-m", "flooding"]:
        return {}
    import flooding

    root = Path(flooding.__file__).resolve().parent.parent
    if {"site-packages", "dist-packages"} & set(root.parts):
        return {}
    return {"PYTHONPATH": str(root)}


# -- where things go --------------------------------------------------------------------------


def service_file(
    platform: Platform, home: Path, env: Mapping[str, str], data_dir: Path | None = None
) -> Path:
    """Where install writes the unit, agent or task definition."""
    if platform is Platform.LINUX:
        return env_folder(env, "XDG_CONFIG_HOME", home / ".config") / "systemd" / "user" / UNIT_NAME
    if platform is Platform.MACOS:
        return home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
    return (data_dir or platform_data_dir(platform, home, env)) / TASK_FILE_NAME


# -- the text -------------------------------------------------------------------------------


def monitor_command(
    program: Sequence[str],
    *,
    data_dir: Path | None = None,
    config: Path | None = None,
    log_file: Path | None = None,
    options: Sequence[str] = (),
) -> list[str]:
    """The service's command line: the headless monitor, with the folders it should use and,
    last, the `options` install was given for it (`--set KEY=VALUE`, `--lang LANG`)."""
    argv = [*program, "monitor", "--headless"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if config is not None:
        argv += ["--config", str(config)]
    if log_file is not None:
        argv += ["--log-file", str(log_file)]
    return argv + list(options)


def _systemd_quote(word: str) -> str:
    """`word` as one word of a systemd command line (quotes, `$` and `%` taken literally)."""
    if word and not any(c in word for c in " \t\n\r\"\\'$%;"):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$").replace("%", "%%")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def systemd_unit(command: Sequence[str], environment: Mapping[str, str] | None = None) -> str:
    """The systemd user unit running `command`."""
    exec_start = " ".join(_systemd_quote(word) for word in command)
    extra = "".join(
        f"Environment={_systemd_quote(f'{key}={value}')}\n"
        for key, value in (environment or {}).items()
    )
    return f"""# {MARKER}
# It runs the flooding monitor in the background for your user: waiting for your strap,
# a session each time you wear it, a desktop notification when you are flooded.
# Logs: journalctl --user -u flooding   Status: flooding status

[Unit]
Description=flooding: watches your heart strap during hard talks

[Service]
Type=simple
ExecStart={exec_start}
Restart=on-failure
RestartSec={RESTART_DELAY_S}
Environment=PYTHONUNBUFFERED=1
{extra}StandardOutput=journal
StandardError=journal

[Install]
WantedBy=default.target
"""


def launchd_plist(
    command: Sequence[str],
    *,
    log_file: Path,
    crash_log: Path,
    environment: Mapping[str, str] | None = None,
) -> str:
    """The launchd agent running `command` (which logs to `log_file` itself)."""
    agent = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart after a failure, not after a stop
        "ThrottleInterval": RESTART_DELAY_S,
        "ProcessType": "Interactive",  # alerts must not be delayed by App Nap
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1", **(environment or {})},
        "StandardOutPath": str(crash_log),
        "StandardErrorPath": str(crash_log),
    }
    text = plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=False).decode("utf-8")
    head, sep, rest = text.partition("<plist")
    return f"{head}<!-- {escape(MARKER)} -->\n{sep}{rest}"


def windows_task_xml(command: Sequence[str], *, user: str | None = None) -> str:
    """The Task Scheduler definition running `command` at logon (for `schtasks /XML`)."""
    program, *arguments = command
    user_id = f"\n      <UserId>{escape(user)}</UserId>" if user else ""
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<!-- {escape(MARKER)} -->
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>flooding: watches your heart strap. {escape(MARKER)}</Description>
    <URI>\\{TASK_NAME}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>{user_id}
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(program)}</Command>
      <Arguments>{escape(subprocess.list2cmdline(arguments))}</Arguments>
    </Exec>
  </Actions>
</Task>
"""


# -- the plan for one platform ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A command to run; `may_fail` when failing only means there was nothing to do."""

    argv: tuple[str, ...]
    may_fail: bool = False

    def __str__(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Plan:
    """What install writes and runs on one platform, and what uninstall undoes."""

    platform: Platform
    path: Path
    content: str
    encoding: str
    start: tuple[Step, ...]  # after writing a new or changed file
    ensure: tuple[Step, ...]  # after finding the same file already there
    stop: tuple[Step, ...]  # before removing the file
    after_remove: tuple[Step, ...]
    log_file: Path | None  # None: the journal
    crash_log: Path | None = None
    status_step: Step | None = None
    logs_step: Step | None = None


def make_plan(
    platform: Platform,
    home: Path,
    program: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    config: Path | None = None,
    uid: int | None = None,
    user: str | None = None,
    environment: Mapping[str, str] | None = None,
    options: Sequence[str] = (),
) -> Plan:
    """The service for `platform` in `home`, running `program` (absolute) headless.

    `data_dir` and `config` are passed to the monitor when given (they are otherwise the
    platform defaults); `uid` is for launchctl's `gui/<uid>` domain, `user` for the Windows
    logon trigger; `environment` adds variables to the unit and the agent; `options` go at
    the end of the monitor's command line.
    """
    env = os.environ if env is None else env
    folder = data_dir or platform_data_dir(platform, home, env)
    path = service_file(platform, home, env, data_dir)
    if platform is Platform.LINUX:
        unit = ("systemctl", "--user")
        return Plan(
            platform=platform,
            path=path,
            content=systemd_unit(
                monitor_command(program, data_dir=data_dir, config=config, options=options),
                environment,
            ),
            encoding="utf-8",
            start=(
                Step((*unit, "daemon-reload")),
                Step((*unit, "enable", UNIT_NAME)),
                Step((*unit, "restart", UNIT_NAME)),
            ),
            ensure=(
                Step((*unit, "daemon-reload")),
                Step((*unit, "enable", "--now", UNIT_NAME)),
            ),
            stop=(Step((*unit, "disable", "--now", UNIT_NAME), may_fail=True),),
            after_remove=(Step((*unit, "daemon-reload"), may_fail=True),),
            log_file=None,
            status_step=Step((*unit, "is-active", UNIT_NAME), may_fail=True),
            logs_step=Step(("journalctl", "--user", "-u", UNIT_NAME, "--no-pager")),
        )
    if platform is Platform.MACOS:
        if uid is None:
            uid = os.getuid() if hasattr(os, "getuid") else 0
        domain = f"gui/{uid}"
        log_file = folder / LOG_NAME
        crash_log = folder / CRASH_LOG_NAME
        command = monitor_command(
            program, data_dir=data_dir, config=config, log_file=log_file, options=options
        )
        return Plan(
            platform=platform,
            path=path,
            content=launchd_plist(
                command, log_file=log_file, crash_log=crash_log, environment=environment
            ),
            encoding="utf-8",
            start=(
                Step(("launchctl", "bootout", f"{domain}/{LAUNCHD_LABEL}"), may_fail=True),
                Step(("launchctl", "bootstrap", domain, str(path))),
            ),
            # already loaded is the one way this fails; then it is running as it should
            ensure=(Step(("launchctl", "bootstrap", domain, str(path)), may_fail=True),),
            stop=(Step(("launchctl", "bootout", f"{domain}/{LAUNCHD_LABEL}"), may_fail=True),),
            after_remove=(),
            log_file=log_file,
            crash_log=crash_log,
            status_step=Step(("launchctl", "print", f"{domain}/{LAUNCHD_LABEL}"), may_fail=True),
        )
    log_file = folder / LOG_NAME
    command = monitor_command(
        program, data_dir=data_dir, config=config, log_file=log_file, options=options
    )
    create = Step(("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(path), "/F"))
    run = Step(("schtasks", "/Run", "/TN", TASK_NAME), may_fail=True)
    return Plan(
        platform=platform,
        path=path,
        content=windows_task_xml(command, user=user),
        encoding="utf-16",
        start=(Step(("schtasks", "/End", "/TN", TASK_NAME), may_fail=True), create, run),
        ensure=(create, run),
        stop=(
            Step(("schtasks", "/End", "/TN", TASK_NAME), may_fail=True),
            Step(("schtasks", "/Delete", "/TN", TASK_NAME, "/F"), may_fail=True),
        ),
        after_remove=(),
        log_file=log_file,
        status_step=Step(("schtasks", "/Query", "/TN", TASK_NAME), may_fail=True),
    )


# -- doing it ---------------------------------------------------------------------------------


@dataclass
class Report:
    """What happened, in lines for the person; `ok` is False when something was not done,
    `refused` True when nothing was (a service file flooding did not write is in the way)."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True
    refused: bool = False


def read_service_file(plan: Plan) -> str | None:
    """The text of the service file if it exists (None if not)."""
    try:
        return plan.path.read_bytes().decode(plan.encoding)
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return ""  # not ours: ours always decodes


def is_ours(text: str | None) -> bool:
    """Whether a service file was written by install."""
    return text is not None and MARKER in text


def _write(plan: Plan) -> None:
    make_private_dir(plan.path.parent)
    write_private(plan.path, plan.content.encode(plan.encoding))


def _run_steps(
    steps: Sequence[Step],
    report: Report,
    *,
    run: Runner,
    which: Callable[[str], str | None],
    say: Catalogue,
) -> None:
    """Run steps in order; when the tool is missing or a step fails, say what to run instead."""
    for index, step in enumerate(steps):
        if which(step.argv[0]) is None:
            report.ok = False
            report.lines.append(say("service.tool_missing", tool=step.argv[0]))
            report.lines += [f"    {rest}" for rest in steps[index:]]
            return
        code, output = run(step.argv)
        if code == 0:
            report.lines.append(say("service.ran", step=step))
            continue
        said = output or say("service.no_output")
        if step.may_fail:  # often nothing to do; but it is not done, and says why
            report.lines.append(say("service.not_done", step=step, code=code, output=said))
            continue
        report.ok = False
        failed = say("service.step_failed", step=step, code=code, output=said)
        if _user_manager_unreachable(step, output):  # plain words first, the raw error after
            report.lines.append(say("service.no_user_manager", monitor="flooding monitor"))
            failed = say("service.details", details=failed)
        report.lines.append(failed)
        report.lines.append(say("service.once_fixed"))
        report.lines += [f"    {rest}" for rest in steps[index:]]
        return


def _user_manager_unreachable(step: Step, output: str) -> bool:
    """Whether `systemctl --user` failed because there is no user service manager to talk to
    (no desktop login: an SSH session, a container, WSL), as systemd says it."""
    said = output.lower()
    return step.argv[:2] == ("systemctl", "--user") and (
        "failed to connect to bus" in said or "xdg_runtime_dir" in said
    )


def install(
    plan: Plan,
    *,
    dry_run: bool = False,
    run: Runner = run_command,
    which: Callable[[str], str | None] = shutil.which,
    say: Catalogue | None = None,
) -> Report:
    """Write the service file (unless a foreign one is there) and start the service (the
    report in the language of `say`, English without)."""
    say = say or load_catalogue()
    report = Report()
    existing = read_service_file(plan)
    if existing is not None and not is_ours(existing):
        report.ok, report.refused = False, True
        report.lines.append(say("service.foreign_file", path=plan.path))
        return report
    same = existing == plan.content
    steps = plan.ensure if same else plan.start
    if dry_run:
        if same:
            report.lines.append(say("service.would_be_same", path=plan.path))
        else:
            report.lines.append(say("service.would_write", path=plan.path))
            report.lines += [f"    {line}" for line in plan.content.splitlines()]
        report.lines.append(say("service.would_run"))
        report.lines += [f"    {step}" for step in steps]
        return report
    if same:
        report.lines.append(say("service.already_installed", path=plan.path))
    else:
        _write(plan)
        report.lines.append(say("service.updated" if existing else "service.wrote", path=plan.path))
    _run_steps(steps, report, run=run, which=which, say=say)
    return report


def uninstall(
    plan: Plan,
    *,
    dry_run: bool = False,
    run: Runner = run_command,
    which: Callable[[str], str | None] = shutil.which,
    say: Catalogue | None = None,
) -> Report:
    """Stop the service and remove the file install wrote; refuse a file it did not write
    (the report in the language of `say`, English without)."""
    say = say or load_catalogue()
    report = Report()
    existing = read_service_file(plan)
    if existing is None:
        report.lines.append(say("service.nothing_to_remove", path=plan.path))
        return report
    if not is_ours(existing):
        report.ok, report.refused = False, True
        report.lines.append(
            say("service.not_ours", path=plan.path, command="flooding service install")
        )
        return report
    if dry_run:
        report.lines.append(say("service.would_run"))
        report.lines += [f"    {step}" for step in plan.stop]
        report.lines.append(say("service.would_remove", path=plan.path))
        report.lines += [say("service.would_run_after", step=step) for step in plan.after_remove]
        return report
    _run_steps(plan.stop, report, run=run, which=which, say=say)
    plan.path.unlink()
    report.lines.append(say("service.removed", path=plan.path))
    _run_steps(plan.after_remove, report, run=run, which=which, say=say)
    return report


def service_state(
    plan: Plan,
    *,
    run: Runner = run_command,
    which: Callable[[str], str | None] = shutil.which,
    say: Catalogue | None = None,
) -> list[str]:
    """Lines saying whether the service is installed and what the service manager says (in
    the language of `say`, English without)."""
    say = say or load_catalogue()
    existing = read_service_file(plan)
    if existing is None:
        lines = [say("service.not_installed", path=plan.path)]
    elif is_ours(existing):
        current = existing == plan.content or with_options_of_its_own(existing, plan)
        outdated = "" if current else say("service.outdated")
        lines = [say("service.installed", path=plan.path) + outdated]
    else:
        lines = [say("service.foreign", path=plan.path)]
    step = plan.status_step
    if step is not None and which(step.argv[0]) is not None:
        code, output = run(step.argv)
        first = output.splitlines()[0] if output else ""
        lines.append(say("service.manager", step=step, code=code) + (f", {first}" if first else ""))
    return lines


OPTIONS_OF_ITS_OWN = ("--set", "--lang")  # what install may add at the end of the command line


def with_options_of_its_own(existing: str, plan: Plan) -> bool:
    """Whether `existing` is `plan`'s file with options added at the end of the monitor's
    command line (`--set`, `--lang` given to install): the same service, run as chosen."""
    if plan.platform is Platform.MACOS:
        try:
            theirs = plistlib.loads(existing.encode("utf-8"))
        except Exception:  # an agent that cannot be read is not the same one
            return False
        ours = plistlib.loads(plan.content.encode("utf-8"))
        base, argv = ours["ProgramArguments"], theirs.get("ProgramArguments")
        if not isinstance(argv, list) or argv[: len(base)] != base:
            return False
        if argv[len(base) : len(base) + 1] not in ([option] for option in OPTIONS_OF_ITS_OWN):
            return False
        return bool({**theirs, "ProgramArguments": base} == ours)
    linux = plan.platform is Platform.LINUX
    start, end = ("ExecStart=", "") if linux else ("<Arguments>", "</Arguments>")
    ours_lines, their_lines = plan.content.splitlines(), existing.splitlines()
    if len(ours_lines) != len(their_lines):
        return False
    for mine, theirs_line in zip(ours_lines, their_lines, strict=True):
        if mine == theirs_line:
            continue
        if not mine.strip().startswith(start) or not theirs_line.endswith(end):
            return False
        head = mine[: len(mine) - len(end)]
        if not any(theirs_line.startswith(f"{head} {option} ") for option in OPTIONS_OF_ITS_OWN):
            return False
    return True


def tail(path: Path, lines: int) -> list[str]:
    """The last `lines` lines of a text file (empty if it does not exist)."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")  # rotated at 1 MB
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:] if lines > 0 else []
