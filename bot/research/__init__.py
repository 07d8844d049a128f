"""Research: measured runs of the sleeves that choose their parameters and report on data
the choice never saw."""
