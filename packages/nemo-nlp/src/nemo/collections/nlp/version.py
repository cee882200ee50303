"""Version of the nemo-nlp distribution."""

__version__ = "0.1.1"
