"""Command line: ``python -m course_lib mnist ...`` (Chapter 1), ``... denoise ...`` (Chapter 2).

Each chapter adds its own sub-commands through ``add_parser(subparsers)`` in its
``cli`` module. A :class:`~course_lib.core.CourseError` (bad input) is printed on
one line and exits with status 2, like argparse's own usage errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from course_lib.core import CourseError


# ---- argument types shared by the chapters: argparse turns ArgumentTypeError into "error: ...", exit 2 ----
def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (``prog: error: ... (see --help)``), status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every chapter's sub-commands."""
    from course_lib.denoise import cli as denoise_cli
    from course_lib.mnist import cli as mnist_cli

    parser = OneLineErrorParser(
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
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # for the provenance of output files
    try:
        return int(args.func(args) or 0)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
