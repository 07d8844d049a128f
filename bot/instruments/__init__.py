"""CME micro contract specifications, contract months and the CME trading calendar."""
