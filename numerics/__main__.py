"""`python -m relu_injectivity` is the `injectivity` command."""
import sys

from relu_injectivity.interfaces.cli.main import main

sys.exit(main())
