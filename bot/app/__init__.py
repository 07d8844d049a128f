"""Application wiring: the one place settings meet the domain (factories for the kernel)."""
