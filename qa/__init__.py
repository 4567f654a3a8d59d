"""Baoku: questions answered with quoted, cited excerpts from a newspaper archive.

    >>> import qa
    >>> archive = qa.open("path/to/index")
    >>> archive.ask("高新大厦楼高多少米？").quotes[0].text
"""

from index.errors import BaokuError, EmbedderMismatchError, IndexBusyError, InputError, NotFoundError
from index.model import Article

from .archive import Archive, open
from .citation import cite
from .types import Answer, Hit, Quote

__all__ = [
    "Answer", "Archive", "Article", "BaokuError", "EmbedderMismatchError", "Hit", "IndexBusyError", "InputError",
    "NotFoundError", "Quote", "cite", "open",
]
