"""The `exchange` and `bench matching` commands (shape of the output, not speed)."""

from __future__ import annotations

import json

import pytest

from bot.cli.main import main


def test_bench_matching_prints_json_with_orders_per_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "matching", "--orders", "20000", "--repeat", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["benchmark"] == "matching" and result["operations"] == 20_000
    assert result["orders_per_s"] > 0 and result["trades"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["exchange", "--symbols", "ZZZ"], "unknown symbols"),
        (["exchange", "--replay", "/nonexistent/file.dbn.zst"], "does not exist"),
    ],
)
def test_exchange_bad_input_is_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_exchange_port_out_of_range_is_an_argument_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["exchange", "--port", "70000"])
    assert exc.value.code == 2
