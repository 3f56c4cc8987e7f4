"""Write the instructor notebooks solutions/<assignment>/<assignment>.ipynb from the cell lists below.

The notebooks are the nbgrader source; this script is how they are edited (a
test checks that the committed notebooks equal its output). After a change:

    .venv/bin/python solutions/make_notebooks.py   # rewrite the .ipynb files
    make release                                 # regenerate exercises/ for the students

Cell kinds: ``md`` (text), ``setup`` (read-only code), ``answer`` (an
autograded function: ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` becomes
``raise NotImplementedError()`` in the student version), ``test`` (read-only,
worth points; lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
TESTS`` are removed from the student version and restored when grading),
``written`` (a manually graded text answer) and ``demo`` (ungraded code, skipped
while nbgrader executes the notebook).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

TEST_TEMPLATE = """\
import importlib

import course_lib.grading

grading = importlib.reload(course_lib.grading)  # a fresh copy of the checks, whatever earlier cells did
cases = [{{"seed": 0}}]
### BEGIN HIDDEN TESTS
cases += {hidden}
### END HIDDEN TESTS
grading.check_{name}({name}, cases)"""


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str) -> nbformat.NotebookNode:
    """An ungraded text cell."""
    return nbformat.v4.new_markdown_cell(text.strip())


def setup(grade_id: str, code: str) -> nbformat.NotebookNode:
    """A read-only code cell (restored from the gradebook if a student edits it)."""
    cell = nbformat.v4.new_code_cell(code.strip())
    cell.metadata.update(_nbgrader(grade_id, grade=False, solution=False, locked=True))
    return cell


def answer(name: str, code: str) -> nbformat.NotebookNode:
    """The cell where the student writes ``name``."""
    cell = nbformat.v4.new_code_cell(code.strip())
    cell.metadata.update(_nbgrader(name, grade=False, solution=True, locked=False))
    return cell


def test(name: str, points: int, hidden: list[dict]) -> nbformat.NotebookNode:
    """The autograded test of ``name``: a visible case (seed 0) and hidden cases."""
    hidden_cases = json.dumps([dict(case, hidden=True) for case in hidden]).replace("true", "True")
    cell = nbformat.v4.new_code_cell(TEST_TEMPLATE.format(name=name, hidden=hidden_cases))
    cell.metadata.update(_nbgrader(f"test_{name}", grade=True, solution=False, locked=True, points=points))
    return cell


def written(grade_id: str, points: int, model_answer: str) -> nbformat.NotebookNode:
    """A manually graded text answer; the model answer is removed from the student version."""
    text = f"### BEGIN SOLUTION\n{model_answer.strip()}\n### END SOLUTION"
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata.update(_nbgrader(grade_id, grade=True, solution=True, locked=False, points=points))
    return cell


def demo(code: str) -> nbformat.NotebookNode:
    """Ungraded code that uses the student's functions; skipped while nbgrader executes the notebook."""
    return nbformat.v4.new_code_cell(code.strip())


SETUP = """
**Set-up.** The test cells import the course's Python package, `course_lib`,
which does not come with this notebook: without it they fail with
`ModuleNotFoundError: No module named 'course_lib'`. Once, with Python 3.10 or
newer and `make`, get the course's repository and its virtual environment:

```bash
git clone https://github.com/dlsp-course/deep-learning-signal-processing
cd deep-learning-signal-processing
make venv              # creates .venv: course_lib, PyTorch and Jupyter
.venv/bin/jupyter lab  # start Jupyter from the virtual environment, in this folder
```

Then open this notebook in that Jupyter (copy it into the repository's folder
first) with the default *Python 3* kernel.
"""

RULES = """
**Rules.** Implement each function with `torch` (and `numpy` where the exercise says so).
Do not call the `course_lib` function of the same name: the tests compare your
function with it. Each test cell shows one test; more hidden tests with other
inputs run when your notebook is graded, so make your function work for every
input the text describes. A failing test says what was expected and gives a hint.
Run the whole notebook (*Kernel > Restart & Run All*) before you submit.
"""

# --------------------------------------------------------------------------- Chapter 1

CH1 = [
    md(
        """
# Assignment 1: classifying digits with an MLP

You implement the pieces of Chapter 1 yourself: preparing a batch of MNIST
images, the forward pass of a multilayer perceptron, one training step,
accuracy, the most confident examples of every digit, and PCA.
"""
        + SETUP
        + RULES
    ),
    setup(
        "setup",
        """
import os

import numpy as np
import torch
""",
    ),
    md(
        """
## 1. Flatten and normalize a batch (1 point)

`images` is a `torch.uint8` tensor of shape `(n, 28, 28)` with pixels in 0..255.
Return a `torch.float32` tensor of shape `(n, 784)`: every image flattened
row by row, scaled to [0, 1] (divide by 255), then normalized with the mean
0.1307 and standard deviation 0.3081 of the MNIST training set:
`(x / 255 - 0.1307) / 0.3081`. It must work for any `n`, including 1.
"""
    ),
    answer(
        "flatten_normalize",
        """
def flatten_normalize(images):
    \"\"\"(n, 28, 28) uint8 pixels -> (n, 784) float32 normalized inputs.\"\"\"
    ### BEGIN SOLUTION
    X = images.reshape(images.shape[0], -1).to(torch.float32) / 255.0
    return (X - 0.1307) / 0.3081
    ### END SOLUTION
""",
    ),
    test("flatten_normalize", 1, [{"seed": 4721, "num_images": 1}, {"seed": 4722, "num_images": 32}]),
    md(
        """
## 2. The MLP's forward pass (2 points)

`weights` and `biases` are lists of the same length `L >= 1`; `weights[i]` has
shape `(out_i, in_i)` (as in `torch.nn.Linear`) and `biases[i]` shape `(out_i,)`.
Compute `X @ W.T + b` for every layer in order and apply ReLU after every layer
**except the last**, which returns the raw logits. `X` has shape `(n, 784)`; return
the `(n, 10)` logits as a `torch.float32` tensor. The number of layers is not fixed:
one layer (a linear classifier) and six layers must work too.
"""
    ),
    answer(
        "mlp_forward",
        """
def mlp_forward(X, weights, biases):
    \"\"\"Logits (n, 10) of an MLP with ReLU between its layers.\"\"\"
    ### BEGIN SOLUTION
    h = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W.T + b
        if i < len(weights) - 1:
            h = torch.relu(h)
    return h
    ### END SOLUTION
""",
    ),
    test(
        "mlp_forward",
        2,
        [{"seed": 311, "num_layers": 0}, {"seed": 312, "num_layers": 5, "num_hiddens": 16, "n": 3}],
    ),
    md(
        """
## 3. One training step (2 points)

`model` is a `torch.nn.Module` that returns logits, `X` a `(batch_size, 784)`
float tensor, `y` the `(batch_size,)` integer labels and `optimizer` a
`torch.optim` optimizer over `model.parameters()`. Take one gradient step on the
cross-entropy loss (`torch.nn.functional.cross_entropy`, averaged over the batch):
put the model in training mode, zero the gradients, compute the loss, backpropagate,
step. Return the loss (computed before the step) as a Python `float`.
"""
    ),
    answer(
        "train_step",
        """
def train_step(model, X, y, optimizer):
    \"\"\"One optimizer step on the cross-entropy of (X, y); returns the loss before the step.\"\"\"
    ### BEGIN SOLUTION
    model.train()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION
""",
    ),
    test("train_step", 2, [{"seed": 907, "optimizer": "adam", "lr": 0.01}, {"seed": 908, "n": 1}]),
    md(
        """
## 4. Accuracy (1 point)

`y_hat` holds logits of shape `(n, 10)` and `y` the `(n,)` true labels. The
predicted class of a row is the index of its largest logit. Return the fraction
of correct predictions as a Python `float` in [0, 1].
"""
    ),
    answer(
        "compute_accuracy",
        """
def compute_accuracy(y_hat, y):
    \"\"\"Fraction of rows of y_hat whose largest logit is at the true label.\"\"\"
    ### BEGIN SOLUTION
    return (y_hat.argmax(dim=1) == y).float().mean().item()
    ### END SOLUTION
""",
    ),
    test("compute_accuracy", 1, [{"seed": 55, "n": 1}, {"seed": 56, "n": 37, "all_correct": True}]),
    md(
        """
## 5. The most confident examples of every digit (2 points)

`probs` holds predicted probabilities of shape `(n, 10)` and `y` the `(n,)` true
labels. For every digit `c = 0..9`, take the examples whose **true** label is `c`,
sort them by their probability of `c`, highest first, and keep the first `k`.
Return their indices into `probs` as an integer tensor or array of shape `(10, k)`
(row `c` for digit `c`). Every digit has at least `k` examples.
"""
    ),
    answer(
        "compute_best_examples",
        """
def compute_best_examples(probs, y, k):
    \"\"\"(10, k) indices: row c holds the k examples of digit c with the highest probability of c.\"\"\"
    ### BEGIN SOLUTION
    best = torch.empty(10, k, dtype=torch.int64)
    for c in range(10):
        candidates = torch.nonzero(y == c).flatten()
        order = torch.argsort(probs[candidates, c], descending=True, stable=True)
        best[c] = candidates[order[:k]]
    return best
    ### END SOLUTION
""",
    ),
    test("compute_best_examples", 2, [{"seed": 77, "k": 1}, {"seed": 78, "k": 5, "per_class": 9}]),
    md(
        """
## 6. PCA with the SVD (2 points)

`X` is an `(n, d)` float tensor (e.g. one layer's outputs). Centre its columns,
compute the SVD `X_c = U S Vt` (`torch.linalg.svd(X_c, full_matrices=False)`), and
return the coordinates on the first `n_components` principal axes, `X_c @
Vt[:n_components].T`, shape `(n, n_components)`. The sign of each axis is
arbitrary in the SVD; use scikit-learn's convention: flip every axis (row of `Vt`)
so that its entry of largest absolute value is positive.
"""
    ),
    answer(
        "compute_pca",
        """
def compute_pca(X, n_components=2):
    \"\"\"Coordinates (n, n_components) of the rows of X on their first principal axes.\"\"\"
    ### BEGIN SOLUTION
    X_c = X - X.mean(dim=0)
    U, S, Vt = torch.linalg.svd(X_c, full_matrices=False)
    signs = torch.sign(Vt[torch.arange(Vt.shape[0]), Vt.abs().argmax(dim=1)])
    Vt = Vt * signs[:, None]
    return X_c @ Vt[:n_components].T
    ### END SOLUTION
""",
    ),
    test("compute_pca", 2, [{"seed": 808, "n": 25, "d": 9, "n_components": 3}]),
    md(
        """
## Try it (not graded)

Train a small MLP on the embedded digits with your `train_step` and measure it
with your `compute_accuracy`. This cell is skipped while the notebook is graded.
"""
    ),
    demo(
        """
if not os.environ.get("NBGRADER_EXECUTION"):
    from course_lib.mnist.data import load_mnist
    from course_lib.mnist.model import MLP

    torch.manual_seed(0)
    data = load_mnist(source="embedded")
    model = MLP(num_layers=2, num_hiddens=128, dropout=0.2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(3):
        order = torch.randperm(len(data.X_train))
        for start in range(0, len(order), 128):
            batch = order[start : start + 128]
            loss = train_step(model, data.X_train[batch], data.y_train[batch], optimizer)
        model.eval()
        with torch.no_grad():
            accuracy = compute_accuracy(model(data.X_test), data.y_test)
        print(f"epoch {epoch + 1}: last batch loss {loss:.3f}, test accuracy {accuracy:.3f}")
"""
    ),
    md(
        """
## 7. PCA or t-SNE? (2 points, graded by hand)

In the book, the 2-D t-SNE plot of the last hidden layer shows ten well
separated clusters, while the 2-D PCA plot of the same outputs shows overlapping
digits. Explain in a few sentences why, and say what a t-SNE plot does *not* tell you.
"""
    ),
    written(
        "tsne_vs_pca",
        2,
        """
PCA is a linear projection onto the two directions of largest variance. The
last hidden layer separates ten classes in a space of many dimensions, and
ten clusters generally need more than two linear directions to be told apart,
so a linear 2-D shadow of them overlaps. t-SNE is non-linear: it keeps the
*neighbourhoods* of points (which points are close to which) and, with its
heavy-tailed Student-t similarities in 2-D, pushes dissimilar groups apart, so
classes that are separable in the high-dimensional space become separate
clusters. A t-SNE plot does not preserve global geometry: the sizes of the
clusters, the distances between them and their densities are not meaningful,
and the picture depends on the perplexity and the random seed.
""",
    ),
]

# --------------------------------------------------------------------------- Chapter 2

CH2 = [
    md(
        """
# Assignment 2: denoising speech with a linear model

You implement the pieces of Chapter 2 yourself: the magnitude spectrogram,
mixing speech and noise at a chosen SNR, the SNR of an estimate, the
denoiser's forward pass, reconstruction with the noisy phase, and a short
training loop. The STFT settings are those of the book: `n_fft = 1024`
(513 frequency bins), `hop_length = 256`, a periodic Hann window
(`torch.hann_window(1024)`), centred frames with zero padding.
"""
        + SETUP
        + RULES
    ),
    setup(
        "setup",
        """
import os

import numpy as np
import torch
""",
    ),
    md(
        """
## 1. Magnitude spectrogram (1 point)

`waveform` is a 1-D `torch.float32` tensor. Return `|STFT|` as a `torch.float32`
tensor of shape `(513, num_frames)` with `num_frames = 1 + len(waveform) // 256`:
`torch.stft(..., n_fft=1024, hop_length=256, window=torch.hann_window(1024),
center=True, pad_mode="constant", return_complex=True)`, then the absolute value.
Short waveforms (fewer than 1024 samples) must work too.
"""
    ),
    answer(
        "compute_magnitude",
        """
def compute_magnitude(waveform):
    \"\"\"(513, num_frames) magnitude spectrogram of a 1-D waveform.\"\"\"
    ### BEGIN SOLUTION
    window = torch.hann_window(1024, dtype=waveform.dtype)
    stft = torch.stft(
        waveform, n_fft=1024, hop_length=256, window=window,
        center=True, pad_mode="constant", return_complex=True,
    )
    return stft.abs()
    ### END SOLUTION
""",
    ),
    test("compute_magnitude", 1, [{"seed": 61, "num_samples": 16000}, {"seed": 62, "num_samples": 300}]),
    md(
        """
## 2. Mixing at a given SNR (2 points)

`clean` and `noise` are 1-D NumPy `float32` arrays (of any lengths) and `snr_db`
a number. Make the noise as long as `clean`: repeat it from its start if it is
shorter (`np.resize` does that), cut it if it is longer. Scale it by a gain `g`
so that `10 * log10(sum(clean**2) / sum((g * noise)**2)) == snr_db`, and return
`clean + g * noise` as a `float32` NumPy array of the length of `clean`. Compute
the energies in `float64`.
"""
    ),
    answer(
        "mix_at_snr",
        """
def mix_at_snr(clean, noise, snr_db):
    \"\"\"clean + noise scaled to the requested SNR (noise tiled or cropped to len(clean)).\"\"\"
    ### BEGIN SOLUTION
    noise = np.resize(noise, clean.shape).astype(np.float64)
    clean_energy = np.sum(clean.astype(np.float64) ** 2)
    gain = np.sqrt(clean_energy / (np.sum(noise**2) * 10 ** (snr_db / 10)))
    return (clean + gain * noise).astype(np.float32)
    ### END SOLUTION
""",
    ),
    test("mix_at_snr", 2, [{"seed": 13, "noise_samples": 700, "snr_db": -5.0}, {"seed": 14, "snr_db": 0.0}]),
    md(
        """
## 3. SNR in decibels (1 point)

Return the SNR of `estimate` with respect to `clean` (both 1-D NumPy arrays of the
same length) as a Python `float`:
`10 * log10(sum(clean**2) / sum((clean - estimate)**2))`, computed in `float64`.
A perfect estimate has an SNR of `float("inf")`.
"""
    ),
    answer(
        "compute_snr",
        """
def compute_snr(clean, estimate):
    \"\"\"SNR of estimate against clean, in dB.\"\"\"
    ### BEGIN SOLUTION
    clean = clean.astype(np.float64)
    error_energy = np.sum((clean - estimate.astype(np.float64)) ** 2)
    if error_energy == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(clean**2) / error_energy))
    ### END SOLUTION
""",
    ),
    test("compute_snr", 1, [{"seed": 21, "noise_level": 2.0}, {"seed": 22, "perfect": True}]),
    md(
        """
## 4. The denoiser's forward pass (2 points)

The denoiser maps a noisy magnitude frame to a clean one. `X` has shape
`(n, num_bins)`; `weights[i]` has shape `(out_i, in_i)` and `biases[i]` shape
`(out_i,)`. Compute `X @ W.T + b` for every layer in order, each followed by ReLU,
**the last one included** (magnitudes are never negative). Return the
`(n, num_bins)` output as a `torch.float32` tensor, for any number of layers.
"""
    ),
    answer(
        "denoiser_forward",
        """
def denoiser_forward(X, weights, biases):
    \"\"\"Estimated clean magnitudes (n, num_bins): Linear + ReLU for every layer.\"\"\"
    ### BEGIN SOLUTION
    h = X
    for W, b in zip(weights, biases):
        h = torch.relu(h @ W.T + b)
    return h
    ### END SOLUTION
""",
    ),
    test(
        "denoiser_forward",
        2,
        [{"seed": 31, "num_layers": 1}, {"seed": 32, "num_layers": 3, "num_bins": 513, "num_hiddens": 64}],
    ),
    md(
        """
## 5. Reconstruction with the noisy phase (2 points)

`magnitude` is a `(513, num_frames)` `torch.float32` estimate of the clean
magnitude and `noisy_stft` the complex `(513, num_frames)` STFT of the noisy
waveform. Combine the estimated magnitude with the **noisy phase**,
`magnitude * exp(1j * angle(noisy_stft))` (`torch.polar` does it), and invert
with `torch.istft` (same settings as in part 1, `length=length`). Return the
`(length,)` `torch.float32` waveform.
"""
    ),
    answer(
        "reconstruct_waveform",
        """
def reconstruct_waveform(magnitude, noisy_stft, length):
    \"\"\"Waveform (length,) from an estimated magnitude and the phase of the noisy STFT.\"\"\"
    ### BEGIN SOLUTION
    spectrum = torch.polar(magnitude, torch.angle(noisy_stft))
    window = torch.hann_window(1024, dtype=magnitude.dtype)
    return torch.istft(spectrum, n_fft=1024, hop_length=256, window=window, center=True, length=length)
    ### END SOLUTION
""",
    ),
    test("reconstruct_waveform", 2, [{"seed": 41, "num_frames": 30, "length": 7500}]),
    md(
        """
## 6. A short training loop (2 points)

`model` maps noisy frames `X` `(n, num_bins)` to clean frames `y` `(n, num_bins)`.
Create `torch.optim.Adam(model.parameters(), lr=lr)` once, then for each of the
`num_epochs` epochs take **one full-batch step** on the mean squared error
(`torch.nn.functional.mse_loss(model(X), y)`): zero the gradients, compute the
loss, backpropagate, step. Return the list of the `num_epochs` losses (Python
`float`s, each computed before its step). `num_epochs = 0` returns `[]`.
"""
    ),
    answer(
        "train_denoiser",
        """
def train_denoiser(model, X, y, num_epochs, lr):
    \"\"\"Full-batch Adam on the MSE for num_epochs steps; returns the per-epoch losses.\"\"\"
    ### BEGIN SOLUTION
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(num_epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
    ### END SOLUTION
""",
    ),
    test("train_denoiser", 2, [{"seed": 51, "num_epochs": 5, "lr": 0.01}, {"seed": 52, "num_epochs": 0}]),
    md(
        """
## Try it (not graded)

Denoise one utterance of the embedded corpus with your functions: mix it with
white noise at 5 dB, train a small denoiser on its frames, reconstruct with the
noisy phase and measure the SNR. This cell is skipped while the notebook is graded.
"""
    ),
    demo(
        """
if not os.environ.get("NBGRADER_EXECUTION"):
    from course_lib.denoise.audio import load_corpus
    from course_lib.denoise.model import LinearDenoiser
    from course_lib.denoise.stft import compute_stft  # the settings of part 1 (zero padding)

    torch.manual_seed(0)
    clean = load_corpus("train")[0].waveform
    noise = np.random.default_rng(0).standard_normal(len(clean)).astype(np.float32)
    noisy = mix_at_snr(clean, noise, 5.0)
    noisy_stft = compute_stft(noisy)
    X = compute_magnitude(torch.from_numpy(noisy)).T
    y = compute_magnitude(torch.from_numpy(clean)).T
    model = LinearDenoiser(num_bins=513, num_hiddens=256, num_layers=2)
    losses = train_denoiser(model, X, y, num_epochs=200, lr=1e-3)
    with torch.no_grad():
        denoised = reconstruct_waveform(model(X).T, noisy_stft, len(noisy)).numpy()
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    print(f"SNR noisy {compute_snr(clean, noisy):.2f} dB, denoised {compute_snr(clean, denoised):.2f} dB")
"""
    ),
    md(
        """
## 7. What the model cannot do (2 points, graded by hand)

The denoiser only estimates magnitudes and reuses the phase of the noisy
signal. Explain why the noisy phase is acceptable at moderate SNR, and name two
things this frame-by-frame magnitude model cannot do, with the consequence you
would hear.
"""
    ),
    written(
        "noisy_phase",
        2,
        """
Where speech dominates a time-frequency bin, the noisy STFT is close to the
clean one, so its phase is close to the clean phase; where noise dominates, the
model sets a small magnitude, so the wrong phase is multiplied by little
energy. At moderate SNR most of the speech energy lies in speech-dominated bins,
and the ear is far less sensitive to phase errors than to magnitude errors, so
the result sounds close to the clean speech. The model cannot (1) correct the
phase, which leaves audible roughness and smearing at low SNR; (2) use context
across frames, since each frame is processed alone, so it cannot tell
speech-like noise (babble) from speech or follow non-stationary noise, and it
leaves musical noise or removes weak speech; and (3) recover speech in bins that
the noise completely masks, since it only rescales what is there.
""",
    ),
]

ASSIGNMENTS = {"ch1-mnist": CH1, "ch2-denoising": CH2}


def make_notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A notebook with stable cell ids (from the grade ids, else the position) and the Python 3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(cells):
        cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = grade_id.replace("_", "-") if grade_id else f"cell-{i}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    """Write every assignment's notebook; with ``--check``, only report whether they are up to date."""
    args = sys.argv[1:] if argv is None else argv
    stale = []
    for assignment, cells in ASSIGNMENTS.items():
        path = HERE / assignment / f"{assignment}.ipynb"
        text = nbformat.writes(make_notebook(cells)) + "\n"
        if "--check" in args:
            if not path.is_file() or path.read_text() != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    for path in stale:
        print(f"out of date: {path} (run solutions/make_notebooks.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
