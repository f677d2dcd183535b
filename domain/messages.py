"""Marks user-facing strings for the translation catalogue without importing gettext.

The domain names its messages in Chinese (the product's first language); the bot translates
them at the edge. ``N_`` only marks a string for ``pybabel extract``.
"""


def N_(message: str) -> str:
    return message
