"""course_lib.widgets and course_lib.book without a browser: structure, client-side links, live training."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
import torch

from course_lib.book import find_project_root, make_cache_key, train_or_load_mlp
from course_lib.core import CourseError
from course_lib.mnist.data import MNISTData, load_mnist
from course_lib.widgets import (
    DenoiseLiveWidget,
    MnistLiveWidget,
    make_denoise_static_widget,
    make_mnist_static_widget,
    make_nested_stack,
    plot_sweep_run,
)


def _history(num_epochs: int, start: float) -> list[dict]:
    return [
        {
            "epoch": e,
            "train_loss": 1.0 / e,
            "test_loss": 1.2 / e,
            "test_accuracy": round(start + 0.01 * e, 4),
            "seconds": 0.1,
        }
        for e in range(1, num_epochs + 1)
    ]


def _sweep(dropouts=(0.0, 0.5), layers=(1, 3), num_epochs=3) -> dict:
    runs = [
        {"dropout": d, "num_layers": n, "history": _history(num_epochs, 0.5 + 0.1 * i + 0.02 * j)}
        for i, d in enumerate(dropouts)
        for j, n in enumerate(layers)
    ]
    return {"command": "hand-made", "config": {}, "runs": runs}


def _links(box: widgets.VBox) -> list[tuple]:
    return [(link.source[0], link.source[1], link.target[0], link.target[1]) for link in box.links]


def test_static_mnist_widget_nests_one_stack_per_control_and_links_them_client_side() -> None:
    box = make_mnist_static_widget(_sweep(dropouts=(0.5, 0.0), layers=(3, 1)), dpi=30)
    dropout, layers, epoch = (box.controls[k] for k in ("dropout", "num_layers", "epoch"))
    assert list(dropout.options) == ["0", "0.5"]  # sorted
    assert list(layers.options) == ["1", "3"]
    assert list(epoch.options) == ["1", "2", "3"] and epoch.index == 2  # starts at the last epoch
    outer = box.children[-1]
    assert isinstance(outer, widgets.Stack) and len(outer.children) == 2
    inner = outer.children
    assert all(isinstance(s, widgets.Stack) and len(s.children) == 2 for s in inner)
    runs = [run for s in inner for run in s.children]
    epoch_stacks = [run.children[-1] for run in runs]
    assert all(len(s.children) == 3 for s in epoch_stacks)
    assert all(
        isinstance(run.children[1], widgets.Image) and run.children[1].value[:4] == b"\x89PNG" for run in runs
    )

    links = _links(box)
    assert all(link._model_name == "LinkModel" for link in box.links)  # jslink: runs in the browser
    assert (dropout, "index", outer, "selected_index") in links
    for stack in inner:
        assert (layers, "index", stack, "selected_index") in links
    for stack in epoch_stacks:
        assert (epoch, "index", stack, "selected_index") in links
    assert len(links) == 1 + 2 + 4


def test_static_mnist_widget_shows_the_sweep_numbers_of_each_run_and_epoch() -> None:
    sweep = _sweep()
    box = make_mnist_static_widget(sweep, dpi=30)
    outer = box.children[-1]
    # dropout 0.5 (index 1), 1 layer (index 0), epoch 2 (index 1)
    run_view = outer.children[1].children[0]
    assert "dropout 0.5, 1 hidden layer<" in run_view.children[0].value
    text = run_view.children[-1].children[1].value
    expected = sweep["runs"][2]["history"][1]["test_accuracy"]
    assert "After epoch 2 of 3" in text and f"<b>{100 * expected:.1f}%</b>" in text


def test_static_mnist_widget_rejects_an_incomplete_grid() -> None:
    sweep = _sweep()
    sweep["runs"].pop()
    with pytest.raises(CourseError, match="grid must be complete"):
        make_mnist_static_widget(sweep)
    with pytest.raises(CourseError, match="make sweeps"):
        make_mnist_static_widget({"runs": []})


def test_nested_stack_links_every_stack_of_a_level_to_its_control() -> None:
    controls = [widgets.Dropdown(options=["a", "b"]), widgets.Dropdown(options=["x", "y", "z"])]
    stack, links = make_nested_stack(controls, lambda key: widgets.Label(str(key)))
    assert [[leaf.value for leaf in s.children] for s in stack.children] == [
        ["(0, 0)", "(0, 1)", "(0, 2)"],
        ["(1, 0)", "(1, 1)", "(1, 2)"],
    ]
    assert len(links) == 3


@pytest.fixture(scope="module")
def tiny_digits() -> MNISTData:
    data = load_mnist("embedded")
    return MNISTData(
        data.X_train[:256], data.y_train[:256], data.X_test[:100], data.y_test[:100], "embedded[:256]"
    )


def test_live_mnist_widget_trains_with_a_progress_bar(tiny_digits: MNISTData) -> None:
    live = MnistLiveWidget(data=tiny_digits, num_hiddens=64, device="cpu")
    live.num_layers.value, live.num_epochs.value, live.dropout.value = 1, 2, 0.0
    assert "retrain" in live.status.value  # a changed setting asks for training
    live.train_button.click()
    assert [h["epoch"] for h in live.history] == [1, 2]
    assert live.progress.value == live.progress.max == 2
    assert "test accuracy" in live.status.value and not live.train_button.disabled
    assert 0.0 <= live.history[-1]["test_accuracy"] <= 1.0


def test_train_or_load_mlp_trains_once_then_loads(tiny_digits: MNISTData, tmp_path) -> None:
    settings = dict(num_layers=1, num_hiddens=32, dropout=0.0, num_epochs=1, device="cpu", data=tiny_digits)
    model, history, path = train_or_load_mlp(cache_dir=tmp_path, **settings)
    assert path.is_file() and len(history) == 1
    mtime = path.stat().st_mtime_ns
    again, history_again, path_again = train_or_load_mlp(cache_dir=tmp_path, **settings)
    assert path_again == path and path.stat().st_mtime_ns == mtime  # loaded, not retrained
    assert history_again == history
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    other = train_or_load_mlp(cache_dir=tmp_path, **{**settings, "dropout": 0.1})[2]
    assert other != path


def test_cache_key_and_project_root(tmp_path) -> None:
    assert make_cache_key("mlp", {"a": 1, "b": 2}) == make_cache_key("mlp", {"b": 2, "a": 1})
    assert make_cache_key("mlp", {"a": 1}) != make_cache_key("mlp", {"a": 2})
    assert (find_project_root() / "_config.yml").is_file()
    with pytest.raises(CourseError, match="_config.yml"):
        find_project_root(tmp_path)


def _tiny_png_and_wav() -> tuple[str, str]:
    import base64
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    import soundfile as sf

    from course_lib.widgets import render_png

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1])
    png = base64.b64encode(render_png(fig, dpi=20)).decode("ascii")
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(1600, dtype=np.float32), 16000, format="WAV", subtype="PCM_16")
    return png, base64.b64encode(buffer.getvalue()).decode("ascii")


def _denoise_sweep() -> dict:
    png, wav = _tiny_png_and_wav()
    conditions = []
    for i, noise in enumerate(("white", "babble")):
        for j, snr in enumerate((0.0, 5.0, 10.0)):
            metrics_in = {"snr": snr, "si_sdr": snr - 1.0, "stoi": 0.6 + 0.01 * j}
            metrics_out = {"snr": snr + 4.0 + i, "si_sdr": snr + 2.0, "stoi": 0.7}
            conditions.append(
                {
                    "noise": noise,
                    "snr_db": snr,
                    "noisy": {"audio": wav, "image": png, "metrics": metrics_in},
                    "denoised": {"audio": wav, "image": png, "metrics": metrics_out},
                    "spectral_subtraction": {"metrics": {"snr": snr + 1.0, "si_sdr": snr, "stoi": 0.65}},
                }
            )
    return {
        "command": "hand-made",
        "noises": ["white", "babble"],
        "snrs": [0.0, 5.0, 10.0],
        "utterance": {"text": "a <test> sentence", "voice": "en+f3"},
        "clean": {"audio": wav, "image": png},
        "conditions": conditions,
    }


def test_static_denoise_widget_links_noise_and_snr_to_nested_stacks_with_embedded_media() -> None:
    box = make_denoise_static_widget(_denoise_sweep())
    noise, snr = box.controls["noise"], box.controls["snr_db"]
    assert list(noise.options) == ["white", "babble"] and list(snr.options) == ["0 dB", "5 dB", "10 dB"]
    outer = box.children[-1]
    assert len(outer.children) == 2 and all(len(s.children) == 3 for s in outer.children)
    links = _links(box)
    assert (noise, "index", outer, "selected_index") in links
    assert all((snr, "index", s, "selected_index") in links for s in outer.children)
    leaf = outer.children[1].children[2].value  # babble, 10 dB
    assert "babble noise at 10 dB input SNR" in leaf and "+5.0 dB" in leaf  # 10 -> 15 dB
    assert leaf.count('src="data:audio/wav;base64,') == 2 and leaf.count('src="data:image/png;base64,') == 2
    assert "spectral subtraction" in leaf
    header = box.children[0].value
    assert "a &lt;test&gt; sentence" in header and header.count("data:audio/wav") == 1  # clean clip once


def test_static_denoise_widget_rejects_a_missing_condition() -> None:
    sweep = _denoise_sweep()
    sweep["conditions"].pop(0)
    with pytest.raises(CourseError, match="lacks the conditions"):
        make_denoise_static_widget(sweep)


def test_live_denoise_widget_trains_and_reports_metrics() -> None:
    live = DenoiseLiveWidget(num_utterances=2, device="cpu")
    live.noise.value, live.snr_db.value, live.num_epochs.value = "white", 5, 1
    live.train_button.click()
    assert len(live.history) == 1 and live.progress.value == 1
    assert set(live.metrics) == {"noisy", "denoised"}
    assert abs(live.metrics["noisy"]["snr"] - 5.0) < 0.1  # mixed at exactly 5 dB
    assert "SNR goes from" in live.status.value


def test_live_mnist_widget_offers_any_given_hidden_size() -> None:
    live = MnistLiveWidget(num_hiddens=512, device="cpu")
    assert live.num_hiddens.value == 512
    assert list(live.num_hiddens.options) == [64, 256, 512, 1024]
    assert list(MnistLiveWidget(device="cpu").num_hiddens.options) == [64, 256, 1024]
    with pytest.raises(CourseError, match="num_hiddens"):
        MnistLiveWidget(num_hiddens=0, device="cpu")


def test_plot_sweep_run_draws_on_given_axes_or_a_new_figure() -> None:
    import matplotlib.pyplot as plt

    table = {(0.0, 1): _history(3, 0.5), (0.0, 3): _history(3, 0.6)}
    ax_loss, ax_acc = plot_sweep_run(table, 0.0, 3)
    assert ax_loss.figure is ax_acc.figure and len(ax_loss.lines) == 2
    assert len(ax_acc.lines) == 2  # the run, and the other depth in grey
    plt.close(ax_loss.figure)
    fig, axes = plt.subplots(1, 2)
    returned = plot_sweep_run(table, 0.0, 1, ax=axes)
    assert returned[0] is axes[0] and returned[1] is axes[1]
    assert "dropout 0" in axes[0].get_title()
    with pytest.raises(CourseError, match="two Axes"):
        plot_sweep_run(table, 0.0, 1, ax=[axes[0]])
    plt.close(fig)


def test_live_denoise_widget_offers_every_noise_kind() -> None:
    from course_lib.denoise.noise import NOISE_KINDS

    live = DenoiseLiveWidget(device="cpu")
    assert tuple(live.noise.options) == NOISE_KINDS
