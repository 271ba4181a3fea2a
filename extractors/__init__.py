"""Pure extractor steps: bytes or text in, typed results out (no database, no broker)."""

# Keys idempotent processing (extractors.pipeline.versions): bump it whenever what the
# extractors produce changes, so `ingest` and `reprocess` redo stored reports.
# 0.2.0: PDF tables across pages, markdown readers, unread cells, province (stop 14).
__version__ = "0.2.0"
