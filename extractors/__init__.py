"""Pure extractor steps: bytes or text in, typed results out (no database, no broker)."""

__version__ = "0.1.0"
