"""Version of the nemo-core distribution."""

__version__ = "0.2.0"
