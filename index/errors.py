"""Exception types raised by the index layer; the CLI and app turn them into one-line messages."""


class BaokuError(Exception):
    """Base class for every error Baoku reports to a user."""


class InputError(BaokuError):
    """A file or value given by the user cannot be used (names the file and the problem)."""


class IndexBusyError(BaokuError):
    """Another process is writing to the index."""


class EmbedderMismatchError(BaokuError):
    """The index was built with a different embedder than the one requested."""


class StorageError(BaokuError):
    """Index files cannot be written (disk full, read-only or failing); what was committed before is kept."""


class IndexCorruptError(BaokuError):
    """Index files disagree or cannot be read; `baoku repair` or `baoku rebuild` fixes them."""


class NotFoundError(BaokuError):
    """A requested article or issue does not exist in the index."""
