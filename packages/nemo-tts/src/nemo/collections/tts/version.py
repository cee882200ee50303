"""Version of the nemo-tts distribution."""

__version__ = "0.2.0"
