"""argmap: offline argument mapping and viewpoint comparison."""

__version__ = "0.1.0"
