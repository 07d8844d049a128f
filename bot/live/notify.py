"""systemd notifications (sd_notify): READY, WATCHDOG, STATUS, STOPPING.

Outside systemd (`NOTIFY_SOCKET` unset) every call does nothing, so the process runs the same.
The watchdog is enabled only when systemd asked for it (`WATCHDOG_USEC`, and `WATCHDOG_PID`
unset or ours); the live process pings every half of that interval, and only while healthy.
"""

from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        enabled = usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid()))
        self.watchdog_s: float | None = int(usec) / 1e6 if enabled else None
        self.sent: list[str] = []  # what was sent (tests, status)
        self._sock: socket.socket | None = None
        if self.address:
            try:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            except OSError:
                self._sock = None

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def notify(self, text: str) -> bool:
        """Send one notification (lines separated by newlines); False when not sent."""
        self.sent.append(text)
        if len(self.sent) > 1000:
            del self.sent[:500]
        if self._sock is None:
            return False
        address = self.address
        if address.startswith("@"):
            address = "\0" + address[1:]
        try:
            self._sock.sendto(text.encode("utf-8", "replace"), address)
        except OSError:
            return False
        return True

    def ready(self, status: str) -> None:
        self.notify(f"READY=1\nSTATUS={_line(status)}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={_line(status)}")

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def stopping(self, status: str) -> None:
        self.notify(f"STOPPING=1\nSTATUS={_line(status)}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _line(text: str) -> str:
    return " ".join(text.split())[:200]
