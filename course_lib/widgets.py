"""Interactive widgets of the book: live ones that train in the kernel, static ones that work offline.

Two kinds of widgets serve the chapters' "Try it" pages:

* **Live** (:class:`MnistLiveWidget`, :class:`DenoiseLiveWidget`): ipywidgets
  controls that really train a small model in the running kernel, with a
  progress bar, and redraw the figures. They need a Python kernel (Jupyter,
  Binder, Colab).
* **Static** (:func:`make_mnist_static_widget`, :func:`make_denoise_static_widget`):
  built once, when the book is built, from a precomputed sweep (the committed
  ``book/data/*_sweep.json`` files). Every result of the sweep is rendered in
  advance into a :class:`ipywidgets.Stack`; the controls are connected to the
  stacks' ``selected_index`` with :func:`ipywidgets.jslink`, a link that runs
  in the browser. The web page keeps the widget state, so the controls keep
  working with no kernel and no network.

Three controls cannot be combined into one index on the browser side, so the
stacks are nested: one stack per value of the first control holds one stack
per value of the second control, and so on; each control is linked to every
stack of its level.

Book pages: Chapter 1, "Try it: dropout, depth, epochs"; Chapter 2, "Try it:
noise and SNR".
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.axes import Axes

from course_lib.core import CourseError

__all__ = [
    "DenoiseLiveWidget",
    "MnistLiveWidget",
    "load_sweep",
    "make_denoise_static_widget",
    "make_mnist_static_widget",
    "make_nested_stack",
    "render_png",
]


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def load_sweep(path: str | Path) -> dict[str, Any]:
    """Read a sweep results file (JSON) written by ``python -m course_lib ... sweep``.

    Book pages: both chapters' "Try it" pages.

    Args:
        path: The JSON file, e.g. ``book/data/mnist_sweep.json``.

    Returns:
        The parsed dict (it holds the ``"command"`` that produced it).

    Raises:
        CourseError: if the file is missing or is not valid JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"sweep file {str(path)!r} not found: recompute it with 'make sweeps'")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CourseError(
            f"sweep file {str(path)!r} is not valid JSON ({exc}): recompute it with 'make sweeps'"
        ) from exc


def render_png(fig: matplotlib.figure.Figure, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    Args:
        fig: The figure.
        dpi: Resolution (the static widgets keep it low so the pages stay small).

    Returns:
        The PNG file's bytes.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return buffer.getvalue()


def make_nested_stack(
    controls: Sequence[widgets.Widget],
    make_leaf: Callable[[tuple[int, ...]], widgets.Widget],
) -> tuple[widgets.Stack, list[widgets.Widget]]:
    """Nest one :class:`~ipywidgets.Stack` level per control and link each control in the browser.

    Level ``k`` holds ``len(controls[k].options)`` children; every stack of level
    ``k`` has its ``selected_index`` linked to ``controls[k].index`` with
    :func:`ipywidgets.jslink`, so choosing a value shows the matching leaf with no
    kernel.

    Args:
        controls: Selection widgets (``ToggleButtons``, ``Dropdown``,
            ``SelectionSlider``, ...), outermost level first.
        make_leaf: Builds the widget shown for a tuple of option indices (one per control).

    Returns:
        ``(stack, links)``: the outermost stack and the :class:`ipywidgets.Link`
        objects (one per stack and level; keep them alive with the widget).
    """
    if not controls:
        raise CourseError("make_nested_stack needs at least one control")
    links: list[widgets.Widget] = []

    def build(level: int, prefix: tuple[int, ...]) -> widgets.Stack:
        control = controls[level]
        children = []
        for i in range(len(control.options)):
            key = (*prefix, i)
            children.append(make_leaf(key) if level == len(controls) - 1 else build(level + 1, key))
        stack = widgets.Stack(children=children, selected_index=control.index)
        links.append(widgets.jslink((control, "index"), (stack, "selected_index")))
        return stack

    return build(0, ()), links


def _percent(value: float) -> str:
    return f"{100.0 * value:.1f}%"


# --------------------------------------------------------------------------------------------
# Chapter 1: dropout x layers x epochs
# --------------------------------------------------------------------------------------------


def _index_mnist_runs(
    sweep: dict[str, Any],
) -> tuple[list[float], list[int], int, dict[tuple[float, int], list]]:
    """Check an MNIST sweep and return its grid: dropouts, layer counts, epochs, histories."""
    runs = sweep.get("runs")
    if not isinstance(runs, list) or not runs:
        raise CourseError("the MNIST sweep has no 'runs': recompute it with 'make sweeps'")
    table: dict[tuple[float, int], list] = {}
    for run in runs:
        try:
            key = (float(run["dropout"]), int(run["num_layers"]))
            history = list(run["history"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CourseError(
                f"an MNIST sweep run lacks dropout/num_layers/history ({exc}): rerun 'make sweeps'"
            ) from exc
        if not history:
            raise CourseError(
                f"the MNIST sweep run {key} has an empty history: recompute it with 'make sweeps'"
            )
        table[key] = history
    dropouts = sorted({d for d, _ in table})
    layers = sorted({n for _, n in table})
    missing = [(d, n) for d in dropouts for n in layers if (d, n) not in table]
    if missing:
        raise CourseError(
            f"the MNIST sweep lacks the runs {missing}: the grid must be complete; rerun 'make sweeps'"
        )
    num_epochs = min(len(h) for h in table.values())
    return dropouts, layers, num_epochs, table


def plot_sweep_run(
    table: dict[tuple[float, int], list],
    dropout: float,
    num_layers: int,
    ax: Sequence[Axes] | None = None,
) -> tuple[Axes, Axes]:
    """Plot one sweep run's losses and test accuracy, the runs of the same dropout in grey behind.

    Book page: Chapter 1, "Try it: dropout, depth, epochs".

    Args:
        table: ``{(dropout, num_layers): history}`` with per-epoch dicts
            (``epoch``, ``train_loss``, ``test_loss``, ``test_accuracy``).
        dropout: The run's dropout.
        num_layers: The run's number of hidden layers.
        ax: Two Axes to draw on (losses, test accuracy); ``None`` makes a new
            figure with two panels side by side.

    Returns:
        The two Axes ``(losses, test accuracy)``; their ``.figure`` is the figure.
    """
    if ax is None:
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 2.8))
    else:
        if len(ax) != 2:
            raise CourseError(f"plot_sweep_run draws two panels: pass two Axes, got {len(ax)}")
        ax_loss, ax_acc = ax
        fig = None
    history = table[(dropout, num_layers)]
    epochs = [h["epoch"] for h in history]
    for (d, n), other in sorted(table.items()):
        if d == dropout and n != num_layers:
            ax_acc.plot(
                [h["epoch"] for h in other],
                [100 * h["test_accuracy"] for h in other],
                color="0.75",
                lw=1,
                label=f"{n} layers",
            )
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train loss (dropout on)")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], label="test loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy")
    ax_loss.legend(fontsize=8)
    ax_acc.plot(
        epochs, [100 * h["test_accuracy"] for h in history], color="C2", lw=2, label=f"{num_layers} layers"
    )
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy (%)")
    ax_acc.legend(fontsize=8)
    title = f"dropout {dropout:g}, {num_layers} hidden layers"
    if fig is None:
        ax_loss.set_title(title, fontsize=10)
    else:
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
    return ax_loss, ax_acc


def _mnist_epoch_html(
    table: dict[tuple[float, int], list],
    dropouts: list[float],
    layers: list[int],
    selected: tuple[float, int],
    epoch_index: int,
    num_epochs: int,
) -> str:
    """HTML summary of the selected run at one epoch, with every run's accuracy at that epoch."""
    record = table[selected][epoch_index]
    accuracy = record["test_accuracy"]
    rows = []
    for d in dropouts:
        cells = []
        for n in layers:
            value = _percent(table[(d, n)][epoch_index]["test_accuracy"])
            if (d, n) == selected:
                cells.append(f'<td class="dlsp-selected"><b>{value}</b></td>')
            else:
                cells.append(f"<td>{value}</td>")
        rows.append(f"<tr><th>dropout {d:g}</th>{''.join(cells)}</tr>")
    header = "".join(f"<th>{n} layer{'s' if n != 1 else ''}</th>" for n in layers)
    return (
        '<div class="dlsp-epoch">'
        f"<p><b>After epoch {record['epoch']} of {num_epochs}</b>: test accuracy "
        f"<b>{_percent(accuracy)}</b>, train loss {record['train_loss']:.3f}, "
        f"test loss {record['test_loss']:.3f}</p>"
        f'<div class="dlsp-bar"><div style="width:{100 * accuracy:.1f}%"></div></div>'
        f'<table class="dlsp-grid"><tr><th>test accuracy at epoch {record["epoch"]}</th>{header}</tr>'
        f"{''.join(rows)}</table></div>"
    )


def make_mnist_static_widget(sweep: dict[str, Any], dpi: int = 80) -> widgets.VBox:
    """Build the offline dropout / layers / epochs explorer from a precomputed sweep.

    Controls: dropout and number of hidden layers (toggle buttons) select the
    run; the epochs slider selects the epoch whose numbers are shown. Each run
    shows its loss and accuracy curves; each epoch a summary and the accuracy
    of every run at that epoch. All links are client-side (``jslink``).

    Book page: Chapter 1, "Try it: dropout, depth, epochs".

    Args:
        sweep: The parsed ``mnist_sweep.json``: ``{"runs": [{"dropout",
            "num_layers", "history": [{"epoch", "train_loss", "test_loss",
            "test_accuracy", ...}, ...]}, ...]}`` on a complete dropout x layers grid.
        dpi: Resolution of the curve images.

    Returns:
        A VBox: the three controls, then the nested stacks. Its ``controls``
        attribute maps ``"dropout"``, ``"num_layers"``, ``"epoch"`` to the
        controls, and ``links`` holds the jslinks.

    Raises:
        CourseError: if the sweep is malformed or its grid incomplete.
    """
    dropouts, layers, num_epochs, table = _index_mnist_runs(sweep)
    style = {"description_width": "110px"}
    dropout_control = widgets.ToggleButtons(
        options=[f"{d:g}" for d in dropouts], description="dropout", style=style
    )
    layers_control = widgets.ToggleButtons(
        options=[str(n) for n in layers], index=len(layers) - 1, description="hidden layers", style=style
    )
    epoch_control = widgets.SelectionSlider(
        options=[str(e + 1) for e in range(num_epochs)],
        index=num_epochs - 1,
        description="epochs",
        continuous_update=True,
        style=style,
        layout=widgets.Layout(width="420px"),
    )
    images = {
        key: widgets.Image(value=render_png(plot_sweep_run(table, *key)[0].figure, dpi=dpi), format="png")
        for key in table
    }

    epoch_links: list[widgets.Widget] = []

    def make_run_view(key: tuple[int, ...]) -> widgets.Widget:
        selected = (dropouts[key[0]], layers[key[1]])
        epoch_pages = [
            widgets.HTML(_mnist_epoch_html(table, dropouts, layers, selected, e, num_epochs))
            for e in range(num_epochs)
        ]
        epoch_stack = widgets.Stack(children=epoch_pages, selected_index=epoch_control.index)
        epoch_links.append(widgets.jslink((epoch_control, "index"), (epoch_stack, "selected_index")))
        plural = "s" if selected[1] != 1 else ""
        title = widgets.HTML(f"<b>dropout {selected[0]:g}, {selected[1]} hidden layer{plural}</b>")
        return widgets.VBox([title, images[selected], epoch_stack])

    stack, links = make_nested_stack([dropout_control, layers_control], make_run_view)
    box = widgets.VBox(
        [dropout_control, layers_control, epoch_control, stack],
        layout=widgets.Layout(width="100%"),
    )
    box.add_class("dlsp-static-widget")
    box.add_class("dlsp-mnist-widget")
    box.controls = {"dropout": dropout_control, "num_layers": layers_control, "epoch": epoch_control}
    box.links = links + epoch_links
    return box


class _LiveTrainingWidget(widgets.VBox):
    """What the live widgets of both chapters share: Train button, epoch progress, status line, output.

    A subclass calls :meth:`_init_common` first, builds its own controls, then
    :meth:`_finish_layout` with its rows of controls; :meth:`_start_training` and
    :meth:`_show_epoch` drive the progress bar from its ``train``.
    """

    def _init_common(self, seed: int, device: str) -> dict[str, str]:
        """Create the shared widgets and return the style dict the controls use."""
        style = {"description_width": "110px"}
        self.seed = seed
        self.device = device
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="epoch 0", style=style)
        self.status = widgets.HTML("Choose the settings and press <b>Train</b>.")
        self.output = widgets.Output()
        self.history: list[dict[str, Any]] = []
        self.train_button.on_click(lambda _button: self.train())
        return style

    def _finish_layout(self, rows: list[widgets.Widget], controls: Sequence[widgets.Widget]) -> None:
        """Lay out ``rows``, then the status line and the output; a change of ``controls`` asks to retrain."""
        for control in controls:
            control.observe(self._on_change, names="value")
        super().__init__([*rows, self.status, self.output])
        self.add_class("dlsp-live-widget")

    def _on_change(self, _change: dict) -> None:
        self.status.value = "Settings changed: press <b>Train</b> to retrain."

    def _start_training(self, num_epochs: int) -> None:
        """Reset the progress bar to ``num_epochs`` and disable the Train button until ``train`` ends."""
        self.progress.max, self.progress.value, self.progress.description = num_epochs, 0, "epoch 0"
        self.train_button.disabled = True

    def _show_epoch(self, record: dict[str, Any]) -> None:
        """Advance the progress bar to the epoch of a history ``record``."""
        self.progress.value = record["epoch"]
        self.progress.description = f"epoch {record['epoch']}"

    def train(self) -> list[dict[str, Any]]:
        """Train with the current settings (defined by each widget)."""
        raise NotImplementedError


class MnistLiveWidget(_LiveTrainingWidget):
    """Controls that train an MLP in the kernel and redraw its curves (needs a running kernel).

    Book page: Chapter 1, "Try it: dropout, depth, epochs" (the live version, for
    Jupyter, Binder or Colab).

    Args:
        data: The digits to train on (default: the embedded split, loaded on first use).
        num_hiddens: Initial units per hidden layer (1024 as in the reference; smaller is
            faster). The dropdown offers 64, 256 and 1024, plus this value if it is another.
        max_epochs: Upper end of the epochs slider (a small budget on a CPU).
        seed: Training seed (same settings, same result on the CPU).
        device: ``"auto"`` (cuda, mps, cpu) or a device name.
    """

    def __init__(
        self,
        data: Any = None,
        num_hiddens: int = 1024,
        max_epochs: int = 20,
        seed: int = 0,
        device: str = "auto",
    ) -> None:
        style = self._init_common(seed, device)
        self.data = data
        self.dropout = widgets.FloatSlider(
            value=0.2, min=0.0, max=0.8, step=0.1, description="dropout", style=style, readout_format=".1f"
        )
        self.num_layers = widgets.IntSlider(value=3, min=0, max=6, description="hidden layers", style=style)
        self.num_epochs = widgets.IntSlider(value=5, min=1, max=max_epochs, description="epochs", style=style)
        if num_hiddens < 1:
            raise CourseError(f"num_hiddens must be a positive number of units, got {num_hiddens}")
        self.num_hiddens = widgets.Dropdown(
            options=sorted({64, 256, 1024, int(num_hiddens)}),
            value=int(num_hiddens),
            description="hidden units",
            style=style,
        )
        self._finish_layout(
            [
                widgets.HBox([self.dropout, self.num_layers]),
                widgets.HBox([self.num_epochs, self.num_hiddens]),
                widgets.HBox([self.train_button, self.progress]),
            ],
            (self.dropout, self.num_layers, self.num_epochs, self.num_hiddens),
        )

    def train(self) -> list[dict[str, Any]]:
        """Train with the current settings, updating the progress bar and the curves after each epoch.

        Returns:
            The per-epoch history of :func:`course_lib.mnist.train.train_mlp`.
        """
        from course_lib.core import seed_everything
        from course_lib.mnist.data import load_mnist
        from course_lib.mnist.model import MLP
        from course_lib.mnist.train import train_mlp

        if self.data is None:
            self.data = load_mnist("embedded")
        num_epochs = int(self.num_epochs.value)
        dropout, num_layers = float(self.dropout.value), int(self.num_layers.value)
        self._start_training(num_epochs)
        self.status.value = (
            f"Training {num_layers} hidden layers, dropout {dropout:g}, {num_epochs} epochs..."
        )
        history: list[dict[str, Any]] = []
        table: dict[tuple[float, int], list] = {}

        def on_epoch(record: dict[str, Any]) -> None:
            history.append(record)
            self._show_epoch(record)
            table[(dropout, num_layers)] = history
            with self.output:
                self.output.clear_output(wait=True)
                fig = plot_sweep_run(table, dropout, num_layers)[0].figure
                display(fig)
                plt.close(fig)

        try:
            seed_everything(self.seed)
            model = MLP(num_layers=num_layers, num_hiddens=int(self.num_hiddens.value), dropout=dropout)
            train_mlp(
                model,
                self.data,
                num_epochs=num_epochs,
                seed=self.seed,
                device=self.device,
                show_progress=False,
                callback=on_epoch,
            )
        finally:
            self.train_button.disabled = False
        self.history = history
        last = history[-1]
        self.status.value = (
            f"Done: test accuracy <b>{_percent(last['test_accuracy'])}</b> after {last['epoch']} epochs "
            f"({sum(h['seconds'] for h in history):.1f} s)."
        )
        return history


# --------------------------------------------------------------------------------------------
# Chapter 2: noise type x input SNR
# --------------------------------------------------------------------------------------------


def _data_uri(mime: str, payload: str | bytes) -> str:
    if isinstance(payload, bytes):
        payload = base64.b64encode(payload).decode("ascii")
    return f"data:{mime};base64,{payload}"


def _denoise_figure(title: str, entry: dict[str, Any]) -> str:
    """HTML of one signal: its spectrogram image and an audio player, both embedded as data URIs."""
    return (
        f'<figure class="dlsp-figure"><figcaption>{html.escape(title)}</figcaption>'
        f'<img alt="spectrogram: {html.escape(title)}" src="{_data_uri("image/png", entry["image"])}">'
        f'<audio controls preload="metadata" src="{_data_uri("audio/wav", entry["audio"])}"></audio></figure>'
    )


def _denoise_condition_html(condition: dict[str, Any]) -> str:
    """HTML for one (noise, SNR) condition: noisy and denoised signals and a metrics table."""
    noise, snr = condition["noise"], float(condition["snr_db"])
    rows = [("noisy input", condition["noisy"]["metrics"])]
    if "spectral_subtraction" in condition:
        rows.append(("spectral subtraction", condition["spectral_subtraction"]["metrics"]))
    rows.append(("linear denoiser", condition["denoised"]["metrics"]))
    body = "".join(
        f"<tr><th>{name}</th><td>{m['snr']:.1f}</td><td>{m['si_sdr']:.1f}</td><td>{m['stoi']:.2f}</td></tr>"
        for name, m in rows
    )
    gain = condition["denoised"]["metrics"]["snr"] - condition["noisy"]["metrics"]["snr"]
    return (
        f'<div class="dlsp-condition"><p><b>{html.escape(noise)} noise at {snr:g} dB input SNR</b>: '
        f"the denoiser changes the SNR by {gain:+.1f} dB.</p>"
        '<div class="dlsp-players">'
        + _denoise_figure(f"noisy ({noise}, {snr:g} dB)", condition["noisy"])
        + _denoise_figure("denoised", condition["denoised"])
        + "</div>"
        '<table class="dlsp-metrics"><tr><th>this clip</th><th>SNR (dB)</th><th>SI-SDR (dB)</th>'
        f"<th>STOI</th></tr>{body}</table></div>"
    )


def make_denoise_static_widget(sweep: dict[str, Any]) -> widgets.VBox:
    """Build the offline noise / SNR explorer (spectrograms, audio players, metrics) from a sweep.

    The clean clip is shown once; the noise kind and the input SNR (toggle
    buttons) select, in the browser, the noisy mixture and the denoiser's output:
    their spectrograms, audio players and SNR, SI-SDR and STOI next to spectral
    subtraction's. Audio and images are embedded as data URIs, so the page plays
    them with no server.

    Book page: Chapter 2, "Try it: noise and SNR".

    Args:
        sweep: The parsed ``denoise_sweep.json``: ``noises``, ``snrs``, ``utterance``
            (``text``, ``voice``), ``clean`` (``audio``, ``image``: base64 WAV and
            PNG) and ``conditions``: one per noise and SNR with ``noise``,
            ``snr_db``, ``noisy`` and ``denoised`` (each ``audio``, ``image``,
            ``metrics`` {``snr``, ``si_sdr``, ``stoi``}) and optionally
            ``spectral_subtraction`` (``metrics``).

    Returns:
        A VBox with the clean clip, the two controls and the nested stacks;
        ``controls`` (``"noise"``, ``"snr_db"``) and ``links`` attributes as in
        :func:`make_mnist_static_widget`.

    Raises:
        CourseError: if the sweep lacks a field or a (noise, SNR) condition.
    """
    try:
        noises = [str(n) for n in sweep["noises"]]
        snrs = [float(v) for v in sweep["snrs"]]
        table = {(c["noise"], float(c["snr_db"])): c for c in sweep["conditions"]}
        clean = sweep["clean"]
        utterance = sweep.get("utterance", {})
    except (KeyError, TypeError, ValueError) as exc:
        raise CourseError(f"the denoising sweep lacks {exc}: recompute it with 'make sweeps'") from exc
    missing = [(n, v) for n in noises for v in snrs if (n, v) not in table]
    if missing:
        raise CourseError(
            f"the denoising sweep lacks the conditions {missing}: recompute it with 'make sweeps'"
        )
    style = {"description_width": "110px"}
    noise_control = widgets.ToggleButtons(options=noises, description="noise", style=style)
    snr_control = widgets.ToggleButtons(
        options=[f"{v:g} dB" for v in snrs], index=min(1, len(snrs) - 1), description="input SNR", style=style
    )
    text = html.escape(str(utterance.get("text", "")))
    voice = html.escape(str(utterance.get("voice", "")))
    header = widgets.HTML(
        f'<p>A held-out sentence (voice <i>{voice}</i>, never heard in training): "{text}"</p>'
        f'<div class="dlsp-players">{_denoise_figure("clean", clean)}</div>'
    )

    def make_leaf(key: tuple[int, ...]) -> widgets.Widget:
        return widgets.HTML(_denoise_condition_html(table[(noises[key[0]], snrs[key[1]])]))

    stack, links = make_nested_stack([noise_control, snr_control], make_leaf)
    box = widgets.VBox([header, noise_control, snr_control, stack], layout=widgets.Layout(width="100%"))
    box.add_class("dlsp-static-widget")
    box.add_class("dlsp-denoise-widget")
    box.controls = {"noise": noise_control, "snr_db": snr_control}
    box.links = links
    return box


class DenoiseLiveWidget(_LiveTrainingWidget):
    """Controls that train the linear denoiser in the kernel, then show and play the result (needs a kernel).

    Training uses the embedded corpus's training utterances mixed with the chosen
    noise at the chosen SNR; the result is applied to a held-out utterance mixed
    the same way, shown as spectrograms and audio players with its SNR, SI-SDR
    and STOI.

    Book page: Chapter 2, "Try it: noise and SNR" (the live version, for Jupyter,
    Binder or Colab).

    Args:
        num_utterances: Training utterances to use (fewer is faster; ``None``: all).
        max_epochs: Upper end of the epochs slider.
        seed: Seeds the noise and the training.
        device: ``"auto"`` (cuda, mps, cpu) or a device name.
    """

    def __init__(
        self,
        num_utterances: int | None = 20,
        max_epochs: int = 20,
        seed: int = 0,
        device: str = "auto",
    ) -> None:
        from course_lib.denoise.noise import NOISE_KINDS

        style = self._init_common(seed, device)
        self.num_utterances = num_utterances
        self.noise = widgets.Dropdown(
            options=list(NOISE_KINDS), value="white", description="noise", style=style
        )
        self.snr_db = widgets.IntSlider(
            value=5, min=-5, max=20, step=1, description="input SNR (dB)", style=style
        )
        self.num_epochs = widgets.IntSlider(value=3, min=1, max=max_epochs, description="epochs", style=style)
        self.metrics: dict[str, dict[str, float]] = {}
        self._finish_layout(
            [
                widgets.HBox([self.noise, self.snr_db]),
                widgets.HBox([self.num_epochs, self.train_button, self.progress]),
            ],
            (self.noise, self.snr_db, self.num_epochs),
        )

    def train(self) -> list[dict[str, Any]]:
        """Train with the current settings, then denoise a held-out clip and show the result.

        Returns:
            The per-epoch history of :func:`course_lib.denoise.train.train_denoiser`.
        """
        from course_lib.core import seed_everything
        from course_lib.denoise.audio import SAMPLE_RATE, load_corpus, play_audio
        from course_lib.denoise.metrics import compute_metrics
        from course_lib.denoise.model import LinearDenoiser
        from course_lib.denoise.noise import make_noisy_pair
        from course_lib.denoise.plot import plot_spectrograms
        from course_lib.denoise.stft import compute_magnitude
        from course_lib.denoise.train import denoise_waveform, make_training_set, train_denoiser

        noise, snr_db, num_epochs = (
            str(self.noise.value),
            float(self.snr_db.value),
            int(self.num_epochs.value),
        )
        self._start_training(num_epochs)
        try:
            self.status.value = f"Mixing the training speech with {noise} noise at {snr_db:g} dB..."
            utterances = load_corpus("train")[: self.num_utterances]
            X, y = make_training_set(utterances, noise=noise, snr_db=snr_db, seed=self.seed)
            self.status.value = f"Training on {X.shape[0]:,} frames for {num_epochs} epochs..."

            seed_everything(self.seed)
            model = LinearDenoiser()
            history = train_denoiser(
                model,
                X,
                y,
                num_epochs=num_epochs,
                seed=self.seed,
                device=self.device,
                show_progress=False,
                callback=self._show_epoch,
            )
            model = model.cpu().eval()
            clean = load_corpus("test")[0].waveform
            noisy, _ = make_noisy_pair(clean, noise, snr_db, seed=self.seed, split="test")
            denoised = denoise_waveform(model, noisy)
        finally:
            self.train_button.disabled = False
        self.history = history
        self.metrics = {
            "noisy": compute_metrics(clean, noisy, SAMPLE_RATE),
            "denoised": compute_metrics(clean, denoised, SAMPLE_RATE),
        }
        with self.output:
            self.output.clear_output(wait=True)
            fig = plot_spectrograms(
                {
                    "clean": compute_magnitude(clean),
                    f"noisy ({noise}, {snr_db:g} dB)": compute_magnitude(noisy),
                    "denoised": compute_magnitude(denoised),
                }
            )
            display(fig)
            plt.close(fig)
            for name, waveform in (("clean", clean), ("noisy", noisy), ("denoised", denoised)):
                display(widgets.HTML(f"<b>{name}</b>"), play_audio(waveform, SAMPLE_RATE))
        gain = self.metrics["denoised"]["snr"] - self.metrics["noisy"]["snr"]
        self.status.value = (
            f"Done: final training loss {history[-1]['train_loss']:.4g}; on a held-out sentence the SNR goes "
            f"from {self.metrics['noisy']['snr']:.1f} to {self.metrics['denoised']['snr']:.1f} dB "
            f"({gain:+.1f} dB)."
        )
        return history
