"""TopstepQuant: an autonomous CME micro-futures trading appliance for a Topstep 50K account."""

__version__ = "0.1.0"
