"""Command line: `topstep-quant <command>`; each command lives in its own module here."""
