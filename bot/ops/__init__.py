"""Process edges: logging, persistence, metrics, supervision."""
