"""The live trading process: the same `TradingKernel` as the backtester, driven by a live (or
simulated-market) clock, a FIX execution client and a FIX market-data adapter, with the SQLite
journal, systemd notifications and Prometheus metrics around it.

Layering: this package may import `fix`, `bot.ops`, `prometheus_client` and the domain; the
domain never imports `bot.live` (an import-linter contract in pyproject.toml)."""
