"""Terminal conventions: quiet TensorFlow start-up, no ANSI codes off a terminal, one --progress/--quiet."""

from __future__ import annotations

import io

import click
import pytest
from click.testing import CliRunner

from tests.conftest import SPECS
from tests.conftest import run_upspec


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_keras_verbosity_follows_the_terminal_and_no_color(monkeypatch):
    from upspec.cli.terminal import keras_verbosity

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert keras_verbosity(False, _Tty()) == 0
    assert keras_verbosity(True, _Tty()) == 1
    assert keras_verbosity(True, io.StringIO()) == 2
    monkeypatch.setenv("NO_COLOR", "1")
    assert keras_verbosity(True, _Tty()) == 2


@pytest.mark.parametrize(("argv", "expected"), [([], True), (["--quiet"], False), (["--progress"], True),
                                                (["--no-progress"], False), (["--no-progress", "--progress"], False)])
def test_one_progress_convention_with_the_old_flag_hidden(argv, expected):
    from upspec.cli.options import progress_option

    @click.command()
    @progress_option(default=True)
    def command(progress: bool) -> None:
        click.echo(f"progress={progress}")

    result = CliRunner().invoke(command, argv)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"progress={expected}"
    assert "--no-progress" not in CliRunner().invoke(command, ["--help"]).output


def test_the_noise_filter_keeps_real_messages():
    from upspec.cli.terminal import NOISE

    for noise in (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
                  b"I0000 00:00:1795741843.797424   30022 cudart_stub.cc:31] Could not find cuda drivers",
                  b"E0000 00:00:1795741868.068062   30022 cuda_platform.cc:52] failed call to cuInit: INTERNAL"):
        assert NOISE.match(noise)
    for kept in (b"upspec: error: something real", b"E0000 00:00:1.0  1 op_kernel.cc:1] OOM when allocating",
                 b"Traceback (most recent call last):"):
        assert not NOISE.match(kept)


def test_sweep_takes_strategy_as_a_hidden_alias(tmp_path):
    from upspec.cli.main import make_cli

    cli = make_cli([])
    both = CliRunner().invoke(cli, ["sweep", str(SPECS / "seed_transpose.yaml"), "--strategy", "nearest",
                                    "--strategies", "bilinear", "--out", str(tmp_path / "s")])
    assert both.exit_code == 2 and "give the strategies once: --strategies a,b" in both.output
    help_text = CliRunner().invoke(cli, ["sweep", "--help"]).output
    assert "--strategies" in help_text and "--strategy " not in help_text


def test_tensorflow_commands_print_no_start_up_log():
    done = run_upspec("build", "seed_transpose", env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert done.returncode == 0, done.stderr
    assert "Total params: 609" in done.stdout
    assert done.stderr == ""


@pytest.mark.slow
def test_progress_off_a_terminal_is_one_plain_line_per_epoch(tmp_path, monkeypatch):
    from upspec.cli.main import make_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = CliRunner().invoke(make_cli([]), ["run", "seed_transpose", "--out", str(tmp_path / "r"),
                                               "--set", "train.epochs=2", "--set", "train.steps_per_epoch=2",
                                               "--set", "train.batch_size=4", "--set", "data.test_patches=4",
                                               "--set", "data.validation_patches=4"])
    assert result.exit_code == 0, result.output
    assert "Epoch 1/2" in result.output and "Epoch 2/2" in result.output
    assert "\x1b" not in result.output and "\b" not in result.output
