"""The built website in headless Chromium, offline (needs `make book`; `make test` builds it first).

Every request outside the local server is blocked. Checked: every page loads
without console errors or failed requests, its images and audio load, the
static widgets of both chapters react to their controls in the browser (no
kernel), and the audio players have playable sources.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
MNIST_WIDGET_PAGE = "book/ch1/widgets.html"
DENOISE_WIDGET_PAGE = "book/ch2/widgets.html"
LISTENING_PAGE = "book/ch2/listening.html"

WAIT_FOR_WIDGETS = """() => {
    const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
    const rendered = Array.from(document.querySelectorAll('.widget-subarea'))
        .filter((el) => el.children.length > 0).length;
    return rendered >= views;
}"""

BROKEN_IMAGES = """async () => {
    const images = Array.from(document.images);
    await Promise.all(images.map((img) => img.complete ? null : new Promise((resolve) => {
        img.addEventListener('load', resolve);
        img.addEventListener('error', resolve);
    })));
    return images.filter((img) => !(img.naturalWidth > 0)).map((img) => img.src.slice(0, 120));
}"""

AUDIO_DURATIONS = """async () => {
    const players = Array.from(document.querySelectorAll('audio'));
    return Promise.all(players.map((audio) => new Promise((resolve) => {
        const report = () => resolve({
            duration: audio.duration, error: audio.error ? audio.error.code : null,
            src: (audio.currentSrc || '').slice(0, 40),
        });
        if (audio.readyState >= 1) { report(); return; }
        audio.addEventListener('loadedmetadata', report, { once: true });
        audio.addEventListener('error', report, { once: true });
        audio.preload = 'metadata';
        audio.load();
        setTimeout(report, 15000);
    })));
}"""


def _pages(site_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(site_dir).as_posix()
        for p in site_dir.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    )


def _wait_for_widgets(page: Any) -> None:
    page.wait_for_function(WAIT_FOR_WIDGETS, timeout=60_000)
    page.wait_for_timeout(300)


def _bad_audio(durations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in durations if d["error"] is not None or not (d["duration"] and d["duration"] > 0)]


def test_every_page_loads_offline_without_errors(site_dir: Path, open_page: Any) -> None:
    pages = _pages(site_dir)
    assert len(pages) >= 15, f"only {len(pages)} pages were built"
    problems: dict[str, list[str]] = {}
    for path in pages:
        page, log = open_page(path)
        _wait_for_widgets(page)
        found = [f"image did not load: {src}" for src in page.evaluate(BROKEN_IMAGES)]
        found += [f"audio not playable: {a}" for a in _bad_audio(page.evaluate(AUDIO_DURATIONS))]
        found += log.problems()
        if found:
            problems[path] = sorted(set(found))
        page.context.close()
    assert not problems, "pages with problems:\n" + "\n".join(
        f"{path}:\n  " + "\n  ".join(lines) for path, lines in problems.items()
    )


def _visible_text(locator: Any) -> str:
    return re.sub(r"\s+", " ", locator.inner_text())


def _select_toggle(group: Any, label: str) -> None:
    group.locator("button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()


def test_mnist_widget_controls_change_what_is_shown(open_page: Any, artifacts_dir: Path) -> None:
    sweep = json.loads((ROOT / "book" / "data" / "mnist_sweep.json").read_text())
    page, log = open_page(MNIST_WIDGET_PAGE, height=1400)
    _wait_for_widgets(page)
    widget = page.locator(".dlsp-mnist-widget").first
    widget.scroll_into_view_if_needed()
    groups = widget.locator(".widget-toggle-buttons")
    dropout_group, layers_group = groups.nth(0), groups.nth(1)
    dropouts = [t.strip() for t in dropout_group.locator("button").all_inner_texts()]
    layers = [t.strip() for t in layers_group.locator("button").all_inner_texts()]
    assert len(dropouts) >= 3 and len(layers) >= 3, (dropouts, layers)

    def state() -> tuple[str, bytes]:
        return _visible_text(widget), widget.screenshot()

    def accuracy_shown(dropout: str, num_layers: str, epoch: int) -> str:
        run = next(
            r for r in sweep["runs"] if f"{r['dropout']:g}" == dropout and str(r["num_layers"]) == num_layers
        )
        return f"{100 * run['history'][epoch - 1]['test_accuracy']:.1f}%"

    num_epochs = len(sweep["runs"][0]["history"])
    text0, shot0 = state()
    page.screenshot(path=str(artifacts_dir / "ch1-widgets.png"), full_page=True)
    assert f"After epoch {num_epochs} of {num_epochs}" in text0

    _select_toggle(dropout_group, dropouts[-1])
    text1, shot1 = state()
    assert text1 != text0 and shot1 != shot0, "the dropout control did not change the display"
    assert f"dropout {dropouts[-1]}" in text1

    _select_toggle(layers_group, layers[0])
    text2, shot2 = state()
    assert text2 != text1 and shot2 != shot1, "the layers control did not change the display"
    assert accuracy_shown(dropouts[-1], layers[0], num_epochs) in text2

    handle = widget.locator(".noUi-handle").first
    handle.focus()
    page.keyboard.press("Home")
    page.wait_for_timeout(200)
    text3, shot3 = state()
    assert text3 != text2 and shot3 != shot2, "the epochs slider did not change the display"
    assert f"After epoch 1 of {num_epochs}" in text3
    assert accuracy_shown(dropouts[-1], layers[0], 1) in text3
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert f"After epoch 2 of {num_epochs}" in _visible_text(widget)
    page.screenshot(path=str(artifacts_dir / "ch1-widgets-moved.png"), full_page=True)
    assert not log.problems(), log.problems()


def test_denoise_widget_controls_change_what_is_shown(open_page: Any, artifacts_dir: Path) -> None:
    page, log = open_page(DENOISE_WIDGET_PAGE, height=1400)
    _wait_for_widgets(page)
    widget = page.locator(".dlsp-denoise-widget").first
    widget.scroll_into_view_if_needed()
    groups = widget.locator(".widget-toggle-buttons")
    assert groups.count() >= 2, "the Chapter 2 widget should have noise and SNR controls"
    page.screenshot(path=str(artifacts_dir / "ch2-widgets.png"), full_page=True)
    previous = (_visible_text(widget), widget.screenshot())
    for index in range(groups.count()):
        group = groups.nth(index)
        labels = [t.strip() for t in group.locator("button").all_inner_texts()]
        assert len(labels) >= 2, labels
        _select_toggle(
            group,
            labels[0] if group.locator("button.mod-active").inner_text().strip() != labels[0] else labels[-1],
        )
        page.wait_for_timeout(200)
        current = (_visible_text(widget), widget.screenshot())
        assert current[0] != previous[0] and current[1] != previous[1], (
            f"control {index} did not change the display"
        )
        previous = current
    players = _bad_audio(page.evaluate(AUDIO_DURATIONS))
    assert not players, f"audio players without a playable source: {players}"
    page.screenshot(path=str(artifacts_dir / "ch2-widgets-moved.png"), full_page=True)
    assert not log.problems(), log.problems()


def test_audio_players_play_clean_noisy_and_denoised(open_page: Any) -> None:
    page, log = open_page(LISTENING_PAGE)
    _wait_for_widgets(page)
    durations = page.evaluate(AUDIO_DURATIONS)
    assert len(durations) >= 3, f"expected clean, noisy and denoised players, found {len(durations)}"
    assert not _bad_audio(durations), durations
    assert all(d["src"].startswith("data:audio/") for d in durations), "audio must be embedded in the page"
    first = page.locator("audio").first
    first.evaluate("(audio) => { audio.muted = true; return audio.play(); }")
    page.wait_for_timeout(500)
    assert first.evaluate("(audio) => audio.currentTime") > 0, "the audio did not play"
    assert not log.problems(), log.problems()


def test_computed_numbers_look_like_the_text_around_them(open_page: Any) -> None:
    """Numbers glued into a sentence (myst-nb's pasted text) have the paragraph's font weight, not bold."""
    page, log = open_page("book/ch1/model.html")
    weights = page.evaluate(
        """() => Array.from(document.querySelectorAll('p span.pasted-text')).map((span) => [
            getComputedStyle(span).fontWeight, getComputedStyle(span.closest('p')).fontWeight])"""
    )
    assert len(weights) >= 2, "the model page should glue the parameter count into its text"
    assert all(own == paragraph for own, paragraph in weights), weights
    assert not log.problems(), log.problems()


def test_widget_spectrograms_are_drawn_at_a_readable_size(open_page: Any) -> None:
    """The sweep's spectrograms have one pixel per frame; the page scales them up to at least 300 px wide."""
    page, log = open_page(DENOISE_WIDGET_PAGE)
    _wait_for_widgets(page)
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('img[alt^="spectrogram"]'))
            .filter((img) => img.offsetParent !== null)
            .map((img) => [img.naturalWidth, img.getBoundingClientRect().width])"""
    )
    assert len(sizes) >= 3, f"expected the clean, noisy and denoised spectrograms, found {sizes}"
    assert all(shown >= 300 and shown > natural for natural, shown in sizes), sizes
    assert not log.problems(), log.problems()
