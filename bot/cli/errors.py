"""Errors a command reports as one clean line and exit status, never as a traceback."""

from __future__ import annotations


class UserInputError(Exception):
    """Bad input from the user (a file, an argument): exit status 2 with this message."""

    exit_status = 2
