"""Command-line basics a new user tries first: --version, settings typed either way, missing files."""

from __future__ import annotations

from typer.testing import CliRunner

from linealytics_xl import __version__
from linealytics_xl.cli import app
from linealytics_xl.core.settings import settings_from_rows


def _parsed(rows):
    """The settings and their issues, as `settings_from_rows` reads them."""
    sheet = settings_from_rows(rows)
    return sheet.settings, sheet.issues


runner = CliRunner()


def test_version_prints_the_version_and_exits_0() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"linealytics {__version__}"


def test_options_without_a_command_show_help_and_exit_2() -> None:
    result = runner.invoke(app, ["--debug"])
    assert result.exit_code == 2
    assert "plan" in result.output and "validate" in result.output


def test_runs_on_a_missing_workbook_exits_2(tmp_path) -> None:
    result = runner.invoke(app, ["runs", str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "no such file" in text and "Traceback" not in text


def test_settings_typed_as_numbers_or_text_mean_the_same() -> None:
    as_number, issues_n = _parsed([(1, "plan_for", 0.95), (2, "solver", " HiGHS "), (3, "seed", 42.0)])
    as_text, issues_t = _parsed([(1, "plan_for", "0.95"), (2, "solver", "highs"), (3, "seed", "42")])
    assert issues_n == [] and issues_t == []
    assert as_number == as_text
    assert as_number.plan_for == "0.95" and as_number.solver == "highs" and as_number.seed == 42


def test_bad_settings_still_name_the_cell_in_plain_words() -> None:
    _, issues = _parsed([(1, "plan_for", 1.5), (2, "plan_for", True)])
    assert [i.cell for i in issues] == ["B3"]  # the later row wins, as in the sheet
    assert "Value error" not in issues[0].message
    assert "expected P50 or a service level between 0 and 1" in issues[0].message


def test_flags_are_shown_as_flags_in_every_commands_help() -> None:
    """A flag reads as one (``--force``), not as an option taking a value (``--force <bool>``, as
    typer 0.29 renders it); options that take a value still show what they take."""
    import re

    commands = ["", "plan", "sites", "whatif", "forecast", "validate", "demo", "notify", "runs", "addin"]
    for command in commands:
        result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (command, result.output)
        assert "--help" in result.output
        assert not re.search(r"<bool(ean)?>|\bBOOLEAN\b", result.output), (command, result.output)
    shown = runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--output\s+\S+", shown)  # an option with a value shows its metavar


def test_help_paragraphs_wrap_to_the_terminal_not_to_the_source() -> None:
    """In 80 columns a help paragraph fills its lines; before, the docstring's own line breaks
    (wrapped at 100 columns) were kept, leaving fragments such as "it while it" on a line."""
    for command in ["plan", "sites", "whatif", "forecast", "notify", "validate"]:
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        head = result.output.split("╭")[0].splitlines()[2:]  # below the usage line
        paragraphs = "\n".join(line.strip() for line in head).strip().split("\n\n")
        for paragraph in paragraphs:
            lines = paragraph.splitlines()
            assert all(len(line) >= 55 for line in lines[:-1]), (command, lines)
