"""The top-level command line: usage errors and bad input are one line on stderr and exit status 2."""

from __future__ import annotations

import pytest

from course_lib.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["mnist", "train", "--epochs", "-1"], "--epochs: must be >= 0"),
        (["mnist", "train", "--dropout", "1.0"], "--dropout: must be in [0, 1)"),
        (["denoise", "train", "--lr", "inf"], "--lr: must be a positive number"),
        (["denoise", "train", "--epochs", "two"], "--epochs: expected a whole number"),
        (["bogus"], "invalid choice: 'bogus'"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert expected in err[0] and err[0].endswith("(see --help)")


@pytest.mark.parametrize("chapter", ["mnist", "denoise"])
def test_missing_checkpoint_is_one_line_with_status_2(chapter, tmp_path, capsys):
    missing = tmp_path / "nope.pt"
    assert main([chapter, "evaluate", "--checkpoint", str(missing), "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"error: checkpoint {str(missing)!r} not found: train one first")
