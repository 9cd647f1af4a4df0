"""argmap's own errors. The library raises these; the CLI turns them into one-line messages."""


class ArgmapError(Exception):
    """Base class: a problem the user can fix, reported as one line without a traceback."""


class InputError(ArgmapError):
    """A corpus file or folder cannot be read or parsed. The message names the file."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ModelError(ArgmapError):
    """An embedding or pair model cannot be loaded or fails its checks."""


class StoreError(ArgmapError):
    """The SQLite store is unusable (wrong file, newer schema, ...)."""


def lone_surrogate(text: str) -> bool:
    """True when ``text`` holds half of a UTF-16 pair (U+D800-U+DFFF): what Python makes of bytes
    that are not UTF-8 (file names, command-line arguments) and of JSON or YAML escapes such as
    ``\\ud800``. No UTF-8 file or SQLite text can hold it."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)
