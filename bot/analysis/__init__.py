"""Account Monte Carlo: the odds of reaching the profit target under the Topstep rules."""
