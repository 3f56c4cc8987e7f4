"""Command line: ``python -m course_lib mnist ...`` (Chapter 1), ``... denoise ...`` (Chapter 2).

Each chapter adds its own sub-commands through ``add_parser(subparsers)`` in its
``cli`` module. A :class:`~course_lib.core.CourseError` (bad input) is printed on
one line and exits with status 2, like argparse's own usage errors.
"""

from __future__ import annotations

import argparse
import sys

from course_lib.core import CourseError


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every chapter's sub-commands."""
    from course_lib.denoise import cli as denoise_cli
    from course_lib.mnist import cli as mnist_cli

    parser = argparse.ArgumentParser(
        prog="python -m course_lib",
        description="Deep Learning for Signal Processing: reference models, training and figures.",
    )
    chapters = parser.add_subparsers(dest="chapter", required=True, metavar="{mnist,denoise}")
    mnist_cli.add_parser(chapters)
    denoise_cli.add_parser(chapters)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
