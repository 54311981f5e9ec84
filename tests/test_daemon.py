"""The background service files for Linux, macOS and Windows, and installing them in a temp home."""

from __future__ import annotations

import os
import plistlib
import shlex
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

from flooding.io.folders import Platform
from flooding.io.os_service import (
    MARKER,
    Plan,
    Step,
    install,
    make_plan,
    service_state,
    uninstall,
)

PROGRAM = ["/opt/flooding/bin/flooding"]
WINDOWS_PROGRAM = [r"C:\Python312\pythonw.exe", "-m", "flooding"]
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


class FakeSystem:
    """Stands in for systemctl, launchctl and schtasks: records commands, answers as told."""

    def __init__(self, *, present: bool = True, failing: str | None = None) -> None:
        self.present = present
        self.failing = failing  # a word: commands containing it exit 1
        self.commands: list[tuple[str, ...]] = []

    def which(self, name: str) -> str | None:
        return f"/usr/bin/{name}" if self.present else None

    def run(self, argv: Sequence[str]) -> tuple[int, str]:
        self.commands.append(tuple(argv))
        if self.failing and self.failing in argv:
            return 1, "Failed to connect to bus: No medium found"
        return 0, "active"


def plan_for(platform: Platform, home: Path, *, user: str | None = None) -> Plan:
    """A plan in `home` with no environment leaking in from the test machine."""
    program = WINDOWS_PROGRAM if platform is Platform.WINDOWS else PROGRAM
    return make_plan(platform, home, program, env={}, uid=501, user=user)


def task_xml(plan: Plan) -> ET.Element:
    """The Windows task definition as schtasks will read it (UTF-16 bytes)."""
    return ET.fromstring(plan.content.encode("utf-16"))


def text_at(root: ET.Element, path: str) -> str | None:
    """The text of the task definition's element at `path`, which must be there."""
    found = root.find(path, TASK_NS)
    assert found is not None, f"the task definition has no {path}"
    return found.text


class TestLinuxUnit:
    def test_unit_path_and_content(self, tmp_path: Path) -> None:
        """The unit is a user unit running this program headless, restarting on failure."""
        plan = plan_for(Platform.LINUX, tmp_path)
        assert plan.path == tmp_path / ".config" / "systemd" / "user" / "flooding.service"
        lines = plan.content.splitlines()
        assert lines[0] == f"# {MARKER}"
        assert "ExecStart=/opt/flooding/bin/flooding monitor --headless" in lines
        assert "Restart=on-failure" in lines
        assert "StandardError=journal" in lines
        assert "WantedBy=default.target" in lines

    def test_xdg_config_home_moves_the_unit(self, tmp_path: Path) -> None:
        """With XDG_CONFIG_HOME set, the unit goes under it, as systemd looks there."""
        plan = make_plan(
            Platform.LINUX, tmp_path, PROGRAM, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
        )
        assert plan.path == tmp_path / "cfg" / "systemd" / "user" / "flooding.service"

    def test_paths_with_spaces_are_quoted_and_chosen_folders_passed(self, tmp_path: Path) -> None:
        """A program path with spaces is quoted; a chosen data folder and config are passed on."""
        plan = make_plan(
            Platform.LINUX,
            tmp_path,
            ["/home/a b/bin/flooding"],
            env={},
            data_dir=Path("/data/my heart"),
            config=Path("/etc/flooding.toml"),
            environment={"PYTHONPATH": "/src/flooding"},
        )
        assert (
            'ExecStart="/home/a b/bin/flooding" monitor --headless --data-dir "/data/my heart" '
            "--config /etc/flooding.toml"
        ) in plan.content
        assert "Environment=PYTHONPATH=/src/flooding" in plan.content

    def test_options_go_last_quoted_for_systemd(self, tmp_path: Path) -> None:
        """`--set` values with quotes, spaces, `$` and `%` reach the monitor literally."""
        value = 'messages.alert_title="It\'s 100% $HOME"'
        plan = make_plan(Platform.LINUX, tmp_path, PROGRAM, env={}, options=["--set", value])
        assert (
            "ExecStart=/opt/flooding/bin/flooding monitor --headless --set "
            '"messages.alert_title=\\"It\'s 100%% $$HOME\\""'
        ) in plan.content.splitlines()


class TestMacAgent:
    def test_agent_path_and_content(self, tmp_path: Path) -> None:
        """The agent runs at load, restarts only after a failure, and logs to the data folder."""
        plan = plan_for(Platform.MACOS, tmp_path)
        assert plan.path == tmp_path / "Library" / "LaunchAgents" / "org.flooding.flooding.plist"
        assert f"<!-- {MARKER} -->" in plan.content
        agent = plistlib.loads(plan.content.encode("utf-8"))
        data = tmp_path / "Library" / "Application Support" / "flooding"
        assert agent["Label"] == "org.flooding.flooding"
        assert agent["RunAtLoad"] is True
        assert agent["KeepAlive"] == {"SuccessfulExit": False}
        assert agent["ProgramArguments"] == [
            *PROGRAM,
            "monitor",
            "--headless",
            "--log-file",
            str(data / "service.log"),
        ]
        assert agent["StandardErrorPath"] == str(data / "service-crash.log")
        assert plan.log_file == data / "service.log"

    def test_launchctl_targets_the_users_gui_domain(self, tmp_path: Path) -> None:
        """Loading uses `launchctl bootstrap gui/<uid>` with the agent's path."""
        plan = plan_for(Platform.MACOS, tmp_path)
        assert ("launchctl", "bootstrap", "gui/501", str(plan.path)) in [s.argv for s in plan.start]

    def test_options_are_the_last_program_arguments(self, tmp_path: Path) -> None:
        """`--set` and `--lang` given to install follow the agent's own arguments."""
        plan = make_plan(
            Platform.MACOS, tmp_path, PROGRAM, env={}, uid=501, options=["--lang", "de"]
        )
        agent = plistlib.loads(plan.content.encode("utf-8"))
        assert agent["ProgramArguments"][-2:] == ["--lang", "de"]


class TestWindowsTask:
    def test_task_starts_at_logon_restarts_on_failure_and_logs_to_a_file(
        self, tmp_path: Path
    ) -> None:
        """The task definition has a logon trigger, restart on failure and the headless command."""
        plan = plan_for(Platform.WINDOWS, tmp_path, user=r"HOME\sam")
        root = task_xml(plan)
        data = tmp_path / "AppData" / "Local" / "flooding"
        assert plan.path == data / "flooding-task.xml"
        assert text_at(root, "t:Triggers/t:LogonTrigger/t:UserId") == r"HOME\sam"
        assert root.find("t:Settings/t:RestartOnFailure/t:Count", TASK_NS) is not None
        assert text_at(root, "t:Settings/t:ExecutionTimeLimit") == "PT0S"
        exec_ = root.find("t:Actions/t:Exec", TASK_NS)
        assert exec_ is not None
        assert exec_.findtext("t:Command", namespaces=TASK_NS) == WINDOWS_PROGRAM[0]
        arguments = exec_.findtext("t:Arguments", namespaces=TASK_NS) or ""
        assert arguments.startswith("-m flooding monitor --headless --log-file ")
        assert str(data / "service.log") in arguments
        assert MARKER in plan.content

    def test_options_end_the_arguments_as_windows_reads_them(self, tmp_path: Path) -> None:
        """`--set` with a space and quotes is one argument of the task's command line."""
        plan = make_plan(
            Platform.WINDOWS,
            tmp_path,
            WINDOWS_PROGRAM,
            env={},
            options=["--set", 'messages.alert_title="A & B"'],
        )
        exec_ = task_xml(plan).find("t:Actions/t:Exec", TASK_NS)
        assert exec_ is not None
        arguments = exec_.findtext("t:Arguments", namespaces=TASK_NS) or ""
        assert arguments.endswith(' --set "messages.alert_title=\\"A & B\\""')

    def test_schtasks_creates_from_the_written_definition(self, tmp_path: Path) -> None:
        """Installing runs `schtasks /Create /XML <file>` and starts the task."""
        plan = plan_for(Platform.WINDOWS, tmp_path)
        commands = [s.argv for s in plan.start]
        assert ("schtasks", "/Create", "/TN", "flooding", "/XML", str(plan.path), "/F") in commands
        assert ("schtasks", "/Run", "/TN", "flooding") in commands


class TestInstallAndUninstall:
    @pytest.mark.parametrize("platform", list(Platform))
    def test_install_twice_then_uninstall_leaves_the_home_as_it_was(
        self, tmp_path: Path, platform: Platform
    ) -> None:
        """Install writes the file once, a second install changes nothing, uninstall removes it."""
        plan = plan_for(platform, tmp_path)
        system = FakeSystem()
        first = install(plan, run=system.run, which=system.which)
        written = plan.path.read_bytes()
        second = install(plan, run=system.run, which=system.which)
        assert first.ok
        assert second.ok
        assert "Wrote" in first.lines[0]
        assert "Already installed" in second.lines[0]
        assert plan.path.read_bytes() == written
        assert written.decode(plan.encoding) == plan.content
        removed = uninstall(plan, run=system.run, which=system.which)
        assert removed.ok
        assert not plan.path.exists()
        again = uninstall(plan, run=system.run, which=system.which)
        assert again.ok
        assert "Nothing to remove" in again.lines[0]

    def test_linux_install_reloads_enables_and_starts(self, tmp_path: Path) -> None:
        """A new unit gets daemon-reload, enable and (re)start; an unchanged one enable --now."""
        plan = plan_for(Platform.LINUX, tmp_path)
        system = FakeSystem()
        install(plan, run=system.run, which=system.which)
        assert system.commands == [
            ("systemctl", "--user", "daemon-reload"),
            ("systemctl", "--user", "enable", "flooding.service"),
            ("systemctl", "--user", "restart", "flooding.service"),
        ]
        system.commands.clear()
        install(plan, run=system.run, which=system.which)
        assert system.commands == [
            ("systemctl", "--user", "daemon-reload"),
            ("systemctl", "--user", "enable", "--now", "flooding.service"),
        ]

    def test_changed_unit_is_rewritten_and_restarted(self, tmp_path: Path) -> None:
        """A unit from an older install (another program path) is updated and restarted."""
        system = FakeSystem()
        install(plan_for(Platform.LINUX, tmp_path), run=system.run, which=system.which)
        moved = make_plan(Platform.LINUX, tmp_path, ["/new/bin/flooding"], env={})
        system.commands.clear()
        report = install(moved, run=system.run, which=system.which)
        assert report.lines[0].startswith("Updated")
        assert "/new/bin/flooding" in moved.path.read_text()
        assert ("systemctl", "--user", "restart", "flooding.service") in system.commands

    def test_without_systemctl_the_unit_is_written_and_the_commands_are_shown(
        self, tmp_path: Path
    ) -> None:
        """With no systemctl, install writes the unit and prints the exact commands to run."""
        plan = plan_for(Platform.LINUX, tmp_path)
        system = FakeSystem(present=False)
        report = install(plan, run=system.run, which=system.which)
        assert plan.path.exists()
        assert not report.ok
        assert system.commands == []
        assert "    systemctl --user daemon-reload" in report.lines
        assert "    systemctl --user enable flooding.service" in report.lines

    def test_the_unit_and_the_folders_made_for_it_are_owner_only(self, tmp_path: Path) -> None:
        """The unit file is written 0600, and the folders install makes for it 0700."""
        plan = plan_for(Platform.LINUX, tmp_path)
        system = FakeSystem(present=False)
        install(plan, run=system.run, which=system.which)
        assert stat.S_IMODE(plan.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(plan.path.parent.stat().st_mode) == 0o700
        assert [p.name for p in plan.path.parent.iterdir()] == [plan.path.name]

    def test_a_step_is_shown_quoted_as_a_shell_reads_it(self) -> None:
        """A step with spaces and quotes prints as one shell-safe command line."""
        step = Step(("schtasks", "/Create", "/TN", "flooding", "/XML", "C:/my files/it's.xml"))
        assert shlex.split(str(step)) == list(step.argv)

    def test_a_failing_systemctl_is_reported_with_what_to_run_later(self, tmp_path: Path) -> None:
        """When systemd cannot be reached, install says why and which commands remain."""
        plan = plan_for(Platform.LINUX, tmp_path)
        system = FakeSystem(failing="daemon-reload")
        report = install(plan, run=system.run, which=system.which)
        assert not report.ok
        text = "\n".join(report.lines)
        assert "No medium found" in text
        assert "    systemctl --user restart flooding.service" in report.lines

    @pytest.mark.parametrize("platform", list(Platform))
    def test_a_file_install_did_not_write_is_never_replaced_or_removed(
        self, tmp_path: Path, platform: Platform
    ) -> None:
        """A foreign file at the service path survives both install and uninstall."""
        plan = plan_for(platform, tmp_path)
        plan.path.parent.mkdir(parents=True)
        plan.path.write_text("[Service]\nExecStart=/usr/bin/something-else\n")
        system = FakeSystem()
        installed = install(plan, run=system.run, which=system.which)
        removed = uninstall(plan, run=system.run, which=system.which)
        assert not installed.ok
        assert not removed.ok
        assert installed.refused
        assert removed.refused
        assert "not written by" in installed.lines[0]
        assert plan.path.read_text() == "[Service]\nExecStart=/usr/bin/something-else\n"
        assert system.commands == []

    @pytest.mark.parametrize("platform", list(Platform))
    def test_dry_run_shows_path_content_and_commands_and_writes_nothing(
        self, tmp_path: Path, platform: Platform
    ) -> None:
        """--dry-run lists the file with its content and the commands, and touches nothing."""
        plan = plan_for(platform, tmp_path)
        system = FakeSystem()
        report = install(plan, dry_run=True, run=system.run, which=system.which)
        text = "\n".join(report.lines)
        assert f"Would write {plan.path}:" in text
        assert MARKER in text
        assert f"    {plan.start[-1]}" in report.lines
        assert not plan.path.exists()
        assert system.commands == []
        assert list(tmp_path.iterdir()) == []

    def test_uninstall_stops_before_removing(self, tmp_path: Path) -> None:
        """Uninstall disables and stops the unit, removes it, then reloads systemd."""
        plan = plan_for(Platform.LINUX, tmp_path)
        system = FakeSystem()
        install(plan, run=system.run, which=system.which)
        system.commands.clear()
        uninstall(plan, run=system.run, which=system.which)
        assert system.commands == [
            ("systemctl", "--user", "disable", "--now", "flooding.service"),
            ("systemctl", "--user", "daemon-reload"),
        ]

    def test_a_stop_that_failed_is_not_reported_as_done(self, tmp_path: Path) -> None:
        """Uninstall where systemd cannot be reached says the stop was not done, and why,
        instead of `ran:`; the unit file is still removed."""
        plan = plan_for(Platform.LINUX, tmp_path)
        install(plan, run=FakeSystem().run, which=FakeSystem().which)
        system = FakeSystem(failing="--user")

        report = uninstall(plan, run=system.run, which=system.which)

        text = "\n".join(report.lines)
        assert "ran:" not in text
        stop = "not done: `systemctl --user disable --now flooding.service` failed (exit 1)"
        assert f"{stop}: Failed to connect to bus: No medium found" in text
        assert not plan.path.exists()

    def test_state_reports_installed_outdated_and_manager_answer(self, tmp_path: Path) -> None:
        """Service state says whether the unit is ours and up to date, and what systemd says."""
        system = FakeSystem()
        plan = plan_for(Platform.LINUX, tmp_path)
        assert service_state(plan, run=system.run, which=system.which)[0].startswith(
            "Not installed"
        )
        install(plan, run=system.run, which=system.which)
        moved = make_plan(Platform.LINUX, tmp_path, ["/new/bin/flooding"], env={})
        lines = service_state(moved, run=system.run, which=system.which)
        assert lines[0].endswith("(outdated)")
        assert "is-active" in lines[1]
        assert "active" in lines[1]

    @pytest.mark.parametrize("platform", list(Platform))
    def test_a_service_installed_with_its_own_options_is_not_outdated(
        self, platform: Platform, tmp_path: Path
    ) -> None:
        """A service installed with `--set`/`--lang` is current to `service status` (which
        has no such options); another program path is still outdated."""
        system = FakeSystem()
        program = WINDOWS_PROGRAM if platform is Platform.WINDOWS else PROGRAM
        chosen = ["--set", 'messages.alert_title="A & B"', "--lang", "de"]
        made = make_plan(platform, tmp_path, program, env={}, uid=501, options=chosen)
        install(made, run=system.run, which=system.which)
        plain = make_plan(platform, tmp_path, program, env={}, uid=501)
        assert service_state(plain, run=system.run, which=system.which)[0].startswith("Installed")
        assert not service_state(plain, run=system.run, which=system.which)[0].endswith(
            "(outdated)"
        )
        moved = make_plan(platform, tmp_path, ["/new/flooding.exe"], env={}, uid=501)
        lines = service_state(moved, run=system.run, which=system.which)
        assert lines[0].endswith("(outdated)")


@pytest.mark.timeout(60)
class TestServiceCommand:
    def run_cli(
        self, home: Path, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FLOODING_"))}
        env.update(HOME=str(home), PATH="/nonexistent")  # no systemctl for this process
        env.update(extra_env or {})
        return subprocess.run(
            [sys.executable, "-m", "flooding", "service", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=50,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def test_cli_install_dry_run_prints_the_unit_and_writes_nothing(self, tmp_path: Path) -> None:
        """`flooding service install --dry-run` shows the unit for this home and writes nothing."""
        done = self.run_cli(tmp_path, "install", "--dry-run")
        assert done.returncode == 0, done.stderr
        assert f"Would write {tmp_path}/.config/systemd/user/flooding.service:" in done.stdout
        assert "monitor --headless" in done.stdout
        assert "systemctl --user daemon-reload" in done.stdout
        assert list(tmp_path.iterdir()) == []

    def test_set_and_lang_reach_the_services_command_line(self, tmp_path: Path) -> None:
        """`install --dry-run --set ... --lang de` shows them on the unit's ExecStart line."""
        done = self.run_cli(
            tmp_path, "install", "--dry-run", "--set", "pause.minutes=30", "--lang", "de"
        )
        assert done.returncode == 0, done.stderr
        start = next(line for line in done.stdout.splitlines() if "ExecStart=" in line)
        assert start.endswith(" monitor --headless --set pause.minutes=30 --lang de")

    def test_a_notification_target_is_never_put_on_the_services_command_line(
        self, tmp_path: Path
    ) -> None:
        """`install --set notify.targets=...` is refused, naming the key and the settings
        file, and writes nothing: every user of the computer can read a command line."""
        done = self.run_cli(
            tmp_path,
            "install",
            "--set",
            'notify.targets=["ntfys://secret-token@ntfy.sh/topic"]',
        )
        assert done.returncode == 2
        assert "Not installed: notify.targets can hold a private address or token" in done.stderr
        assert "config edit`" in done.stderr
        assert "secret-token" not in done.stdout + done.stderr
        assert list(tmp_path.iterdir()) == []

    def test_a_setting_from_the_environment_is_named_as_not_reaching_the_service(
        self, tmp_path: Path
    ) -> None:
        """FLOODING_PAUSE__MINUTES is named, with its key and where to write it to keep it."""
        done = self.run_cli(
            tmp_path, "install", "--dry-run", extra_env={"FLOODING_PAUSE__MINUTES": "30"}
        )
        assert done.returncode == 0, done.stderr
        assert "FLOODING_PAUSE__MINUTES" not in done.stdout.split("Would run:")[0]
        note = done.stdout.split("Would run:")[1]
        assert "the service does not see settings made only in this terminal" in note
        assert "(FLOODING_PAUSE__MINUTES)" in note
        assert "To keep pause.minutes for the service too" in note
        assert "config edit`" in note
        quiet = self.run_cli(tmp_path, "install", "--dry-run")
        assert "does not see settings" not in quiet.stdout

    def test_dry_run_notes_what_the_service_will_wait_for(self, tmp_path: Path) -> None:
        """No note for a paired couple; a note naming the partner whose strap is missing."""
        config = tmp_path / ".config" / "flooding" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(
            '[profiles.Anna.strap]\naddress = "C0:FF:EE:00:00:01"\n'
            '[profiles.Ben.strap]\naddress = "C0:FF:EE:00:00:02"\n'
        )
        paired = self.run_cli(tmp_path, "install", "--dry-run")
        assert paired.returncode == 0, paired.stderr
        assert "Note:" not in paired.stdout
        config.write_text('[profiles.Anna.strap]\naddress = "C0:FF:EE:00:00:01"\n[profiles.Ben]\n')
        half = self.run_cli(tmp_path, "install", "--dry-run")
        assert "Note:" in half.stdout
        assert "Ben has no strap paired yet" in half.stdout

    def test_cli_install_without_systemctl_writes_and_tells_what_to_run(
        self, tmp_path: Path
    ) -> None:
        """Without systemctl the command writes the unit, shows the commands and exits 1."""
        done = self.run_cli(tmp_path, "install")
        unit = tmp_path / ".config" / "systemd" / "user" / "flooding.service"
        assert done.returncode == 1
        assert unit.exists()
        assert "systemctl --user enable flooding.service" in done.stdout
        removed = self.run_cli(tmp_path, "uninstall")
        assert not unit.exists(), removed.stdout

    def test_without_a_user_service_manager_install_says_so_in_plain_words(
        self, tmp_path: Path
    ) -> None:
        """A `systemctl` that cannot reach the user's bus (no desktop login) gets plain words:
        what is missing and what to do, with the raw error kept as a detail line."""
        tools = tmp_path / "bin"
        tools.mkdir()
        systemctl = tools / "systemctl"
        systemctl.write_text(
            "#!/bin/sh\necho 'Failed to connect to bus: No such file or directory' >&2\nexit 1\n"
        )
        systemctl.chmod(0o755)
        home = tmp_path / "home"
        home.mkdir()
        done = self.run_cli(home, "install", extra_env={"PATH": str(tools)})
        assert done.returncode == 1
        lines = done.stdout.splitlines()
        plain = next(i for i, line in enumerate(lines) if "cannot be started here" in line)
        assert "systemd's user service manager cannot be reached" in lines[plain]
        assert "monitor` in a terminal instead" in lines[plain]
        assert "log in to the desktop" in lines[plain]
        assert lines[plain + 1] == (
            "  (details: `systemctl --user daemon-reload` failed (exit 1): "
            "Failed to connect to bus: No such file or directory)"
        )

    @pytest.mark.parametrize("action", ["install", "uninstall"])
    def test_cli_refuses_a_service_file_it_did_not_write_on_stderr(
        self, tmp_path: Path, action: str
    ) -> None:
        """`service install|uninstall` with a foreign file at the service path refuses on
        stderr, exit 1, nothing on stdout, and leaves the file as it was."""
        unit = tmp_path / ".config" / "systemd" / "user" / "flooding.service"
        unit.parent.mkdir(parents=True)
        unit.write_text("[Service]\nExecStart=/usr/bin/something-else\n")
        done = self.run_cli(tmp_path, action)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr.startswith(f"flooding service: {unit} ")
        assert "left alone" in done.stderr
        assert unit.read_text() == "[Service]\nExecStart=/usr/bin/something-else\n"

    def test_status_of_an_installed_service_that_is_stopped_says_to_start_it(
        self, tmp_path: Path
    ) -> None:
        """`service status` with the service installed but not running says to start it
        (the service manager's own command), not to install it."""
        assert self.run_cli(tmp_path, "install").returncode == 1  # written; no systemctl
        before = self.run_cli(tmp_path, "status").stdout

        assert "installed but not running: start it with `" in before
        assert "systemctl --user enable --now flooding.service`" in before
        assert "service install" not in before

    def test_cli_logs_without_the_journal_refuses_on_stderr(self, tmp_path: Path) -> None:
        """`service logs` where journalctl is missing says so on stderr, exit 1."""
        done = self.run_cli(tmp_path, "logs")
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (
            "flooding service: `journalctl` is not available here; the service logs to the "
            "journal.\n"
        )


class TestLogs:
    def test_linux_logs_come_from_the_users_journal(self, tmp_path: Path) -> None:
        """On Linux the logs are the user journal of the unit."""
        plan = plan_for(Platform.LINUX, tmp_path)
        assert plan.log_file is None
        assert plan.logs_step is not None
        assert plan.logs_step.argv[:4] == ("journalctl", "--user", "-u", "flooding.service")

    def test_log_file_tail_shows_the_last_lines(self, tmp_path: Path) -> None:
        """The macOS and Windows log is shown by its last lines; a missing log is empty."""
        from flooding.io.os_service import tail

        plan = plan_for(Platform.MACOS, tmp_path)
        assert plan.log_file is not None
        assert tail(plan.log_file, 5) == []
        plan.log_file.parent.mkdir(parents=True)
        plan.log_file.write_text("".join(f"line {n}\n" for n in range(100)))
        assert tail(plan.log_file, 3) == ["line 97", "line 98", "line 99"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("action", "german"),
    [
        (("install", "--dry-run"), "Würde ausführen"),
        (("install",), "gibt es hier nicht"),
        (("uninstall",), "entfernt"),
    ],
)
def test_the_service_command_in_german(
    tmp_path: Path, action: tuple[str, ...], german: str
) -> None:
    """`service install|uninstall --lang de` (and what to run when systemctl is missing,
    the note that no strap is paired) come in German."""
    from tests.test_catalogue import no_english

    command = TestServiceCommand()
    if action == ("uninstall",):
        command.run_cli(tmp_path, "install")
    done = command.run_cli(tmp_path, *action, "--lang", "de")
    # the unit file and the commands are shown as they are (indented), not translated
    said = [line for line in (done.stdout + done.stderr).splitlines() if line[:4] != "    "]
    assert no_english("\n".join(said)) == []
    assert german in done.stdout
