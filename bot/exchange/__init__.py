"""The FIX exchange simulator: matching engine, accounts, market flow, faults."""
