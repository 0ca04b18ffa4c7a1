"""The one thing pyproject.toml cannot say: the C speed-up of tokenize.py.

``optional=True``: where it cannot be compiled (no C compiler), the install goes on
and tokenize.py uses its Python version of the same function.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("indexer._phrase_slots", ["indexer/_phrase_slots.c"], optional=True)])
