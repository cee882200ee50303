"""Typing interface and the ``typecheck`` decorator (being written)."""

from abc import ABC


class Typing(ABC):
    @property
    def input_types(self):
        return None

    @property
    def output_types(self):
        return None
