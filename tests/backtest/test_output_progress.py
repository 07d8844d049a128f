"""The progress bar: silent off a terminal and for short runs, a line on a terminal after the
delay, redrawn no more often than the interval, ended with a newline."""

from __future__ import annotations

import io

from bot.backtest.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    with Progress(1_000, stream=stream, clock=clock) as bar:
        clock.now += 60
        bar.update(500)
    assert stream.getvalue() == ""


def test_nothing_before_the_delay_then_a_bar_then_a_newline() -> None:
    stream, clock = Terminal(), Clock()
    with Progress(1_000, stream=stream, delay_s=3.0, interval_s=1.0, clock=clock) as bar:
        clock.now += 2.9
        bar.update(100)
        assert stream.getvalue() == ""  # a short run never shows a bar
        clock.now += 0.2  # 3.1 s in
        bar.update(310)
        first = stream.getvalue()
        assert first.startswith("\r[#########.....") and " 31.0%" in first
        assert "310 events" in first and "100/s" in first
        clock.now += 0.5
        bar.update(400)
        assert stream.getvalue() == first  # within the redraw interval
        clock.now += 0.6
        bar.update(410)
        assert stream.getvalue() != first
    assert stream.getvalue().endswith("\n")


def test_unknown_total_shows_a_count_and_a_closed_stream_is_no_terminal() -> None:
    assert Progress(None).line(2_500, 2.0) == "2,500 events  1,250/s  2 s"
    closed = Terminal()
    closed.close()
    Progress(10, stream=closed, delay_s=0.0).update(5)  # no terminal: nothing, no error
    going = Terminal()
    bar = Progress(10, stream=going, delay_s=0.0)
    going.close()  # the terminal goes away mid-run
    bar.update(5)
    bar.close()
