"""Research on the trading core: walk-forward parameter choice, the hedge's value, the market
maker on real and synthetic books, and the combined account's odds; every run goes through the
real kernel, risk engine and backtest venues, and reports on data its choice never saw."""
