"""The ``injectivity`` command: ``main`` parses and dispatches, one module per group of sub-commands."""
