"""Research on the trading core: walk-forward parameter choice, the hedge's value and the
combined account's odds, all through the real kernel, risk engine and backtest venues."""
