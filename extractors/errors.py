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


# ---- limits on one document (worker/limits.py) and service failures (the CLI's one line)

class DocumentLimitError(DocumentError):
    """The document took more than its share of a worker: it is failed, others go on."""

    code = "E220"


class DocumentTimeLimit(DocumentLimitError):
    code = "E221"


class DocumentMemoryLimit(DocumentLimitError):
    code = "E222"


class TooManyAttempts(DocumentLimitError):
    """Processing the document stopped several times before finishing (its worker was
    killed, by a hard limit or the system)."""

    code = "E223"


class ServiceError(GongkaiError):
    """A service gongkai needs is unreachable or full; nothing about the documents."""

    code = "E500"


class StoreUnreachable(ServiceError):
    code = "E501"


class BrokerUnreachable(ServiceError):
    code = "E502"


class NoWorker(ServiceError):
    code = "E503"


class DiskFull(ServiceError):
    code = "E504"


class Unfinished(ServiceError):
    """``ingest --wait`` stopped while reports were still queued or processing."""

    code = "E505"
