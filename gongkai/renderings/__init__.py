"""Renderings of the real corpus in the forms reports are published in (HTML page, DOCX,
DOCX→PDF, markdown), built from one document model (:mod:`gongkai.renderings.layout`) so
that every rendering holds the same prose and the same table cells as the text rendering.

Used by tests/test_renderings.py and ``gongkai evaluate --renderings``; the built files
are cached by content hash (:mod:`gongkai.renderings.cache`) and never committed.
"""
