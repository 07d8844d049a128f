"""Topstep account rules: the MLL floor, the DLL, the scaling plan, winning days and payouts."""
