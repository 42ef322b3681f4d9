"""Interfaces: the Python API (``api``) and the ``injectivity`` command (``cli``)."""
