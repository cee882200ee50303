"""Version of the nemo-asr distribution."""

__version__ = "0.1.1"
