"""`python -m bot` runs the same command line as the `topstep-quant` console script."""

from bot.cli.main import main

raise SystemExit(main())
