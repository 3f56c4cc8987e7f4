"""Entry point for ``python -m course_lib``."""

from course_lib.cli import main

raise SystemExit(main())
