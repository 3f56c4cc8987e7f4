"""The verifier: runs in a fresh ``python -I`` process, computes the reference values and judges the answer.

It reads from stdin what :func:`course_lib.grading.check` sends (a JSON header
line naming the exercise and its cases, then a ``.npz`` of what the student's
function produced, loaded without pickle), rebuilds every case's inputs from its
seed, computes the expected values with :mod:`course_lib` imported fresh in this
process, compares them with this process's own NumPy, and writes one JSON line
``{"ok": bool, "message": str}`` to stdout. Nothing from the student's kernel
runs here: only plain arrays and numbers cross over.

Used by every test cell of the graded notebooks (through :mod:`course_lib.grading`).
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any


def judge(request: dict[str, Any], arrays: dict[str, Any]) -> dict[str, Any]:
    """Compare every case of ``request`` with the reference; return the verdict.

    Args:
        request: ``{"exercise": name, "cases": [...], "observations": [...]}`` as sent by the kernel.
        arrays: The observation arrays, keyed ``c<case>__<name>``.

    Returns:
        ``{"ok": True, "message": ""}`` or ``{"ok": False, "message": explanation with a hint}``.
    """
    import torch

    from course_lib.grading.exercises import EXERCISES, Observation

    torch.set_num_threads(1)
    exercise = EXERCISES[request["exercise"]]
    cases = request["cases"]
    if len(request["observations"]) != len(cases):
        return {"ok": False, "message": "the answer was not run on every test case"}
    for i, (case, meta) in enumerate(zip(cases, request["observations"], strict=True)):
        params = {k: v for k, v in case.items() if k not in ("seed", "hidden")}
        inputs = exercise.make_inputs(int(case["seed"]), **params)
        expected = exercise.reference(inputs)
        got = {
            key: Observation(
                kind=m["kind"],
                type_name=m["type_name"],
                dtype=m["dtype"],
                shape=tuple(m["shape"]),
                array=arrays.get(f"c{i}__{key}") if m["has_array"] else None,
                item_kinds=tuple(m["item_kinds"]),
            )
            for key, m in meta.items()
        }
        missing = [key for key in expected if key != "params" and key not in got]
        if missing:
            return {"ok": False, "message": f"no result recorded for {', '.join(missing)}"}
        try:
            message = exercise.compare(got, expected, inputs)
        except Exception as exc:  # noqa: BLE001 - an unexpected result the comparison cannot read
            message = (
                f"{exercise.signature} returned a result that cannot be compared with the reference "
                f"({type(exc).__name__}: {exc}). Hint: return exactly what the exercise describes."
            )
        if message:
            prefix = "Hidden test " if case.get("hidden") else "Test "
            return {"ok": False, "message": f"{prefix}{i + 1} of {len(cases)} failed: {message}"}
    return {"ok": True, "message": ""}


def decode(payload: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split what the kernel sent into the request (JSON) and the arrays (``.npz``, no pickle)."""
    import numpy as np

    header, _, blob = payload.partition(b"\n")
    request = json.loads(header)
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return request, arrays


def main() -> None:
    """Read a request from stdin, write the verdict as one JSON line to stdout."""
    out = sys.stdout
    sys.stdout = sys.stderr  # anything printed while computing must not mix with the verdict
    verdict = judge(*decode(sys.stdin.buffer.read()))
    out.write(json.dumps(verdict) + "\n")
    out.flush()
