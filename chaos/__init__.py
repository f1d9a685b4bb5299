"""`make chaos`: fault injection against the production-like stack (see chaos/__main__.py)."""
