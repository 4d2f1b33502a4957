"""bandsense: companion service for an instrumented resistance band."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bandsense")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
