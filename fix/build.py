"""Build QuickFIX messages from plain values with generic fields (any FIX version).

Prices go on the wire as exact decimal text (`StringField`), never through a C++ double, and
TransactTime is written with explicit milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import quickfix as fix

from fix.wire import utc_timestamp_ms

FieldValues = Sequence[tuple[int, str]]


def message(msg_type: str, fields: FieldValues) -> fix.Message:
    """A message of `msg_type` with body fields in the given order (empty values skipped)."""
    msg = fix.Message()
    msg.getHeader().setField(fix.StringField(35, msg_type))
    for tag, value in fields:
        if value != "":
            msg.setField(fix.StringField(tag, value))
    return msg


def add_groups(
    msg: fix.Message, count_tag: int, delimiter: int, entries: Iterable[FieldValues]
) -> None:
    """Append repeating-group entries; each entry must start with `delimiter`."""
    for entry in entries:
        group = fix.Group(count_tag, delimiter)
        for tag, value in entry:
            if value != "":
                group.setField(fix.StringField(tag, value))
        msg.addGroup(group)


def transact_time() -> tuple[int, str]:
    """TransactTime (60) with millisecond precision."""
    return 60, utc_timestamp_ms()
