"""A QuickFIX `Application` whose callbacks can never let a Python exception escape.

An exception escaping a SWIG director callback calls `Py_Exit(1)` on the engine thread and wedges
the process.  Every callback here copies the message to text, calls a plain-Python hook and
swallows anything except the few QuickFIX exceptions that QuickFIX turns into FIX behaviour.
"""

from __future__ import annotations

import logging
from typing import Any

import quickfix as fix

from bot.ops.logs import log_event

log = logging.getLogger("fix.app")

# The exceptions QuickFIX translates into protocol behaviour, per callback; anything else
# (including these raised from another callback) wedges the process.
NONE: tuple[type[BaseException], ...] = ()
TO_APP_OK: tuple[type[BaseException], ...] = (fix.DoNotSend,)
FROM_ADMIN_OK: tuple[type[BaseException], ...] = (
    fix.FieldNotFound,
    fix.IncorrectDataFormat,
    fix.IncorrectTagValue,
    fix.RejectLogon,
)
FROM_APP_OK: tuple[type[BaseException], ...] = (
    fix.FieldNotFound,
    fix.IncorrectDataFormat,
    fix.IncorrectTagValue,
    fix.UnsupportedMessageType,
)


class SafeApplication(fix.Application):  # type: ignore[misc]
    """Subclass and override the `on_*` hooks; they receive text and session-id strings."""

    def __init__(self) -> None:
        super().__init__()
        self.callback_errors = 0

    def _guard(
        self, name: str, allowed: tuple[type[BaseException], ...], hook: Any, *args: Any
    ) -> None:
        try:
            hook(*args)
        except allowed:
            raise
        except Exception as exc:  # never let it reach SWIG (Py_Exit on the engine thread)
            self.callback_errors += 1
            log_event(log, "fix_callback_error", logging.ERROR, callback=name, error=repr(exc))

    # --- QuickFIX director callbacks -------------------------------------------------------
    def onCreate(self, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("onCreate", NONE, self.on_create, _sid(sessionID))

    def onLogon(self, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("onLogon", NONE, self.on_logon, _sid(sessionID))

    def onLogout(self, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("onLogout", NONE, self.on_logout, _sid(sessionID))

    def toAdmin(self, message: Any, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("toAdmin", NONE, self.on_to_admin, message, _sid(sessionID))

    def fromAdmin(self, message: Any, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("fromAdmin", FROM_ADMIN_OK, self._from_admin_text, message, sessionID)

    def toApp(self, message: Any, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("toApp", TO_APP_OK, self.on_to_app, message, _sid(sessionID))

    def fromApp(self, message: Any, sessionID: Any) -> None:  # noqa: N802, N803
        self._guard("fromApp", FROM_APP_OK, self._from_app_text, message, sessionID)

    def _from_admin_text(self, message: Any, session_id: Any) -> None:
        self.on_from_admin(message.toString(), _sid(session_id))

    def _from_app_text(self, message: Any, session_id: Any) -> None:
        self.on_from_app(message.toString(), _sid(session_id))

    # --- hooks (plain Python) --------------------------------------------------------------
    def on_create(self, session: str) -> None:
        """A session was created (runs on the constructing thread)."""

    def on_logon(self, session: str) -> None:
        """The session logged on (engine thread)."""

    def on_logout(self, session: str) -> None:
        """The session logged out or disconnected (engine thread)."""

    def on_to_admin(self, message: Any, session: str) -> None:
        """An admin message is leaving; `message` is the live QuickFIX object (mutable)."""

    def on_from_admin(self, raw: str, session: str) -> None:
        """An admin message arrived (engine thread)."""

    def on_to_app(self, message: Any, session: str) -> None:
        """An application message is leaving (runs on the sending thread)."""

    def on_from_app(self, raw: str, session: str) -> None:
        """An application message arrived (engine thread)."""


def _sid(session_id: Any) -> str:
    return str(session_id.toString())


def session_id_from_text(text: str) -> Any:
    """`FIX.4.4:SENDER->TARGET` back into a QuickFIX SessionID."""
    begin, _, rest = text.partition(":")
    sender, _, target = rest.partition("->")
    return fix.SessionID(begin, sender, target)
