"""Help is shown whatever the environment holds; a bad setting still stops every real command.

``wirefeed <command> --help`` is what one reaches for when a setting is wrong, so it must not
fail on that setting. Running a command is another matter: one line naming the variable, exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from agents.cli import app
from pipeline.config import get_settings
from tests.unit.test_config_errors import wirefeed

BAD = {"WIREFEED_PARTITIONS": "abc"}
ERROR = "error: WIREFEED_PARTITIONS='abc' is not allowed: must be a whole number"


def _command_paths(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(None):  # type: ignore[arg-type]
        command = group.get_command(None, name)  # type: ignore[arg-type]
        yield (*path, name)
        if isinstance(command, TyperGroup):
            yield from _command_paths(command, (*path, name))


COMMANDS = sorted(_command_paths(typer.main.get_command(app)))  # type: ignore[arg-type]


@pytest.fixture
def bad_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in BAD.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # read once per process: make this test's environment the one read
    yield
    get_settings.cache_clear()


def test_every_command_is_reached_by_the_walk() -> None:
    assert {("process",), ("broker", "start"), ("opensearch", "status"), ("feeds", "discover")} <= set(COMMANDS)


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "wirefeed")
def test_help_works_with_a_bad_setting_in_the_environment(bad_setting: None, command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={**BAD, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and ERROR not in result.output


def test_a_group_without_its_command_shows_its_help_not_a_settings_error(bad_setting: None) -> None:
    result = CliRunner().invoke(app, ["broker"], env=BAD)
    assert "Usage:" in result.output and ERROR not in result.output


@pytest.mark.parametrize("command", [["broker", "status"], ["opensearch", "status"], ["search", "--", "--help"]])
def test_a_real_command_with_a_bad_setting_is_one_line_and_exit_2(bad_setting: None, command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env=BAD)
    assert (result.exit_code, result.output.strip().splitlines()) == (2, [ERROR])


def test_the_installed_command_shows_help_with_a_bad_setting() -> None:
    result = wirefeed(["process", "--help"], BAD)
    assert result.returncode == 0 and "Usage:" in result.stdout and "RawPage JSONL" in result.stdout, result.stderr


def test_help_taken_as_an_option_value_still_ends_in_the_one_line_error() -> None:
    result = wirefeed(["search", "--lang", "--help", "pyongyang"], BAD)  # `--help` is the language here
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [ERROR])
