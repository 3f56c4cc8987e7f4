"""Checks of the built website's HTML files: links, scripts, buttons (needs `make book`, no browser).

The site must work offline: no page may load a script or style sheet from
another host, and every internal link (pages, anchors, downloads) must resolve.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

REPOSITORY = "dlsp-course/deep-learning-signal-processing"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class _PageParser(HTMLParser):
    """Collects ids, links, scripts and style sheets of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.stylesheets: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for key in ("id", "name"):
            if attributes.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attributes[key] or "")
        if tag == "a" and attributes.get("href") is not None:
            self.links.append(attributes["href"] or "")
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "link" and attributes.get("href"):
            rel = (attributes.get("rel") or "").lower()
            if "stylesheet" in rel or "preload" in rel or "icon" in rel:
                self.stylesheets.append(attributes["href"] or "")
        if tag in ("img", "audio", "source", "video", "iframe") and attributes.get("src"):
            self.sources.append(attributes["src"] or "")


def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _pages(site_dir: Path) -> list[Path]:
    pages = sorted(
        p for p in site_dir.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
    )
    assert pages, f"no HTML pages under {site_dir}"
    return pages


def _is_external(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE))


def test_no_page_references_an_external_script_or_style_sheet(site_dir: Path) -> None:
    problems = []
    for page in _pages(site_dir):
        parsed = _parse(page)
        rel = page.relative_to(site_dir)
        problems += [
            f"{rel}: <script src={s['src']}>"
            for s in parsed.scripts
            if s.get("src") and _is_external(s["src"] or "")
        ]
        problems += [f"{rel}: <link href={h}>" for h in parsed.stylesheets if _is_external(h)]
        problems += [f"{rel}: embedded resource {s[:80]}" for s in parsed.sources if _is_external(s)]
    assert not problems, "pages load resources from other hosts (the site must work offline):\n" + "\n".join(
        problems
    )


def test_no_internal_link_is_broken(site_dir: Path) -> None:
    parsed_pages = {page: _parse(page) for page in _pages(site_dir)}
    ids = {page.resolve(): parsed.ids for page, parsed in parsed_pages.items()}
    broken = []
    checked = 0
    for page, parsed in parsed_pages.items():
        for href in parsed.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site_dir)} -> {href}"
            if not target.is_file():
                broken.append(f"{where} (no file {target})")
                continue
            if site_dir.resolve() not in target.resolve().parents:
                broken.append(f"{where} (outside the site)")
                continue
            checked += 1
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                target_ids = ids.get(target.resolve())
                if target_ids is None:
                    target_ids = _parse(target).ids
                if fragment not in target_ids:
                    broken.append(f"{where} (no anchor #{fragment})")
    assert checked > 50, f"only {checked} internal links found: is the site complete?"
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_widget_scripts_are_local_and_loaded_once_on_widget_pages_only(site_dir: Path) -> None:
    widget_pages = 0
    for page in _pages(site_dir):
        parsed = _parse(page)
        rel = page.relative_to(site_dir)
        srcs = [urlsplit(s.get("src") or "").path for s in parsed.scripts]
        has_views = any(s.get("type") == WIDGET_VIEW for s in parsed.scripts)
        embed = [s for s in srcs if s.endswith("html-manager/embed-amd.js")]
        require = [s for s in srcs if s.endswith("/require.js")]
        if has_views:
            widget_pages += 1
            assert len(embed) == 1 and len(require) == 1, (
                f"{rel}: widget scripts {embed + require} (want each once)"
            )
            assert all("_static/vendor/" in s for s in embed + require), (
                f"{rel}: widget scripts not served locally"
            )
            assert any(
                s.get("type") == "application/vnd.jupyter.widget-state+json" for s in parsed.scripts
            ), f"{rel}: widgets without their saved state"
        else:
            assert not embed and not require, f"{rel}: widget scripts on a page without widgets"
    assert widget_pages >= 2, f"expected widget pages in both chapters, found {widget_pages}"


def test_notebook_pages_have_download_and_launch_buttons(site_dir: Path) -> None:
    notebook_pages = 0
    for page in _pages(site_dir):
        text = page.read_text(encoding="utf-8")
        if "download-notebook-button" not in text:
            continue
        notebook_pages += 1
        rel = page.relative_to(site_dir)
        name = page.stem
        assert re.search(rf'href="[^"]*_sources/[^"]*{re.escape(name)}\.ipynb"', text), (
            f"{rel}: no .ipynb download"
        )
        assert f"mybinder.org/v2/gh/{REPOSITORY}/" in text, f"{rel}: no Binder launch link to the repository"
        assert f"colab.research.google.com/github/{REPOSITORY}/" in text, f"{rel}: no Colab launch link"
    assert notebook_pages >= 10, f"only {notebook_pages} pages offer the notebook download"
    # The theme's light/dark switcher is on every page.
    index = (site_dir / "book" / "intro.html").read_text(encoding="utf-8")
    assert "theme-switch-button" in index, "the theme's dark-mode switch is missing"
