"""Entry point for ``python -m course_lib.grading`` (the instructor's nbgrader workflow)."""

from course_lib.grading.cli import main

raise SystemExit(main())
