"""The one error hierarchy of gongkai.

Every error carries a stable ``code`` that the CLI, the stored report status, the UI and
the API filter on, and a message a person can act on.  ``DocumentError`` and its
subclasses mean *this document* is bad: the pipeline stores a ``failed`` status with the
code and message and never retries.  ``ConfigError`` means a data file in ``config/`` is
invalid (file, line and id in the message).  Transient infrastructure errors are not
here: they are pymongo/kombu errors, which the worker retries.
"""
from __future__ import annotations


class GongkaiError(Exception):
    code = "E000"

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_dict(self) -> dict:
        return {"code": self.code, "error": type(self).__name__, "message": self.message}


class ConfigError(GongkaiError):
    code = "E100"


class SettingsError(ConfigError):
    code = "E101"


class DocumentError(GongkaiError):
    """The input document cannot be processed; stored as status ``failed``."""

    code = "E200"


class EmptyDocument(DocumentError):
    code = "E201"


class BinaryDocument(DocumentError):
    code = "E202"


class UndecodableDocument(DocumentError):
    code = "E203"


class DocumentTooLarge(DocumentError):
    code = "E204"


class UnsupportedFormat(DocumentError):
    code = "E205"


class CorruptDocument(DocumentError):
    """A PDF/DOCX/ZIP whose container is damaged or truncated."""

    code = "E206"


class NoReportText(DocumentError):
    """The document decodes but holds no report text (e.g. an HTML page whose article is empty)."""

    code = "E207"


class NestingTooDeep(DocumentError):
    """An HTML/XML document nested deeper than the parser reads (libxml2 stops at 256
    levels and drops what lies below; real report pages nest fewer than 50)."""

    code = "E208"


class InputError(GongkaiError):
    """A bad ingest input (a truncated archive, a bad JSONL line) that is not one document."""

    code = "E300"
