"""Version of the nemo-expmanager distribution."""

__version__ = "0.1.1"
