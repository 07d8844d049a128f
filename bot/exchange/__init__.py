"""The FIX exchange simulator: a FIX-neutral venue core (matching, positions, market data) and
the QuickFIX acceptor in front of it.  An adapter of the project, never imported by the domain."""
