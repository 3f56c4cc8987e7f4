"""Sphinx extension: keep the site's vendored JavaScript off the pages that do not need it.

Jupyter Book adds every ``*.js`` file under ``_static/`` to every page. The
JavaScript copied from npm into ``_static/vendor/`` (require.js, the
ipywidgets HTML manager, MathJax and its components) must not be loaded that
way: MathJax loads its own components, and the widget scripts are added by
MyST-NB only to the pages that hold widgets (``nb_ipywidgets_js`` in
``_config.yml``); loading them twice would draw every widget twice.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

# _static/vendor: copied from npm; _static/widgets: loaded with them by MyST-NB (nb_ipywidgets_js).
PAGE_SPECIFIC_PREFIXES = ("vendor/", "widgets/")


def remove_vendor_assets(app: Sphinx, config: Config) -> None:
    """Drop ``_static/vendor/`` and ``_static/widgets/`` files from the assets added to every page."""
    for name in ("html_js_files", "html_css_files"):
        entries = getattr(config, name, None) or []
        kept = []
        for entry in entries:
            filename = entry[0] if isinstance(entry, (tuple, list)) else entry
            if not str(filename).startswith(PAGE_SPECIFIC_PREFIXES):
                kept.append(entry)
        setattr(config, name, kept)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handler (before Sphinx normalizes ``html_js_files`` at priority 800)."""
    app.connect("config-inited", remove_vendor_assets, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
