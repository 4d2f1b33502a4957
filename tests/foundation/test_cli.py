"""The `bandsense` root command: help, version, one-line errors with exit code 2."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bandsense import __version__
from bandsense.cli import _register, app, main
from bandsense.config import settings_from_context
from bandsense.errors import UserError

# Subcommands that have landed; extend as `collect`, `analyze`, `demo`, ... arrive.
LANDED_SUBCOMMANDS = ("sim", "collect", "analyze", "analyzer", "demo")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), out, err


def _registered_names() -> set[str]:
    main_names = {c.name for c in app.registered_commands if c.name}
    main_names |= {g.name for g in app.registered_groups if g.name}
    return main_names


def test_help_lists_the_registered_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert "Usage: bandsense" in out
    names = _registered_names()
    assert set(LANDED_SUBCOMMANDS) <= names
    for name in names:
        assert name in out
    assert "--config" in out and "--log-level" in out and "--version" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"bandsense {__version__}"


@pytest.mark.parametrize(
    "argv",
    [["--bogus"], ["no-such-command"], ["--log-level", "LOUD", "--version-typo"]],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bandsense: error: ")
    assert "Traceback" not in err


@pytest.fixture
def probe_app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """The root callback with throwaway commands, standing in for the packages' commands."""
    probe = typer.Typer()
    assert app.registered_callback is not None
    root_callback = app.registered_callback.callback
    assert root_callback is not None
    probe.callback()(root_callback)

    @probe.command("probe")
    def _probe(ctx: typer.Context) -> None:
        settings = settings_from_context(ctx, {"mqtt.topic_prefix": "from-flag"})
        typer.echo(f"{settings.mqtt.qos} {settings.mqtt.topic_prefix}")

    @probe.command("boom")
    def _boom() -> None:
        raise UserError("cannot read 'x.csv':\n no such file")

    monkeypatch.setattr("bandsense.cli.app", probe)
    return probe


@pytest.mark.usefixtures("probe_app")
def test_missing_config_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    code, _, err = run(["--config", str(missing), "probe"], capsys)
    assert code == 2
    assert err.strip() == f"bandsense: error: config file {str(missing)!r} does not exist"


@pytest.mark.usefixtures("probe_app")
def test_commands_see_the_root_config_and_their_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bandsense.toml"
    config.write_text('[mqtt]\nqos = 2\ntopic_prefix = "from-file"\n')
    code, out, _ = run(["--config", str(config), "probe"], capsys)
    assert code == 0
    assert out.strip() == "2 from-flag"


@pytest.mark.usefixtures("probe_app")
def test_user_error_in_a_command_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bandsense.toml"
    config.write_text("[mqtt]\nqos = 5\n")
    code, _, err = run(["--config", str(config), "probe"], capsys)
    assert code == 2
    assert err.strip() == (
        f"bandsense: error: invalid setting mqtt.qos in {config}: "
        "Input should be less than or equal to 2 (got 5)"
    )
    code, _, err = run(["boom"], capsys)
    assert code == 2
    assert err.strip() == "bandsense: error: cannot read 'x.csv': no such file"


def test_console_script_runs_as_installed() -> None:
    # The real entry point in a fresh interpreter, as a user types it.
    ok = subprocess.run(
        [sys.executable, "-c", "from bandsense.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout.strip() == f"bandsense {__version__}"
    bad = subprocess.run(
        [sys.executable, "-c", "from bandsense.cli import main; main()", "--nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "bandsense: error: No such option: --nope (see 'bandsense --help')"


def test_readme_shows_the_test_command_that_ci_runs() -> None:
    root = Path(__file__).parents[2]
    ci = (root / ".ci" / "run").read_text()
    match = re.search(r"^TEST_CMD='([^']+)'$", ci, flags=re.MULTILINE)
    assert match is not None
    readme_lines = (root / "README.md").read_text().splitlines()
    assert match.group(1) in readme_lines
    assert "./deploy/setup.sh demo" in readme_lines


@pytest.mark.usefixtures("probe_app")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["-l", "LOUD", "probe"],
            "bandsense: error: Invalid value for --log-level: unknown log level 'LOUD' "
            "(see 'bandsense --help')",
        ),
        (
            ["probe", "--what"],
            "bandsense: error: No such option: --what (see 'bandsense probe --help')",
        ),
    ],
)
def test_usage_errors_name_the_command_to_ask_for_help(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert err.strip() == expected


def test_analyze_missing_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.csv"
    code, out, err = run(["analyze", str(missing)], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bandsense: error: ")
    assert str(missing) in lines[0]


def _readme_cli_lines() -> list[list[str]]:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("## CLI at a glance", 1)[1].split("```", 2)[1]
    out = []
    for line in block.splitlines():
        if not line.startswith("bandsense "):
            continue
        command = line.split("  ")[0]  # drop the explanation column
        argv = shlex.split(command)[1:]
        if "..." in argv or {"--help", "--version"} & set(argv):
            continue
        out.append(argv)
    return out


def test_readme_cli_examples_parse_as_written() -> None:
    # Parse (not run) each example down to its leaf command, so a renamed or missing
    # option in the README fails here instead of for a new user.
    examples = _readme_cli_lines()
    assert len(examples) >= 4
    from typer.main import get_command

    _register()  # what main() does before parsing
    for argv in examples:
        cmd = get_command(app)
        ctx = cmd.make_context("bandsense", list(argv))
        while ctx._protected_args:
            args = [*ctx._protected_args, *ctx.args]
            name, sub, rest = cmd.resolve_command(ctx, args)  # type: ignore[attr-defined]
            assert sub is not None, argv
            ctx = sub.make_context(name, rest, parent=ctx)
            cmd = sub
        assert not ctx.args, f"{argv}: unexpected {ctx.args}"
