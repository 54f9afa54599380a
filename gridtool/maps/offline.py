"""Everything the HTML map needs, inside the one file: vendored Leaflet, our script and styles.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs, so its maps go blank without
a network (the usual state of a township office's sharing PC). The map uses none of those but
Leaflet; Leaflet 1.9.4 is vendored in ``assets/`` (from the npm package ``leaflet@1.9.4``,
BSD-2-Clause, see ``assets/README.md`` for checksums) and inlined here, its CSS images as
``data:`` URIs. :func:`external_references` is the check that nothing is left to fetch; it runs on
every map before it is written.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

#: The only change made to vendored Leaflet when inlining: the attribution prefix links to
#: leafletjs.com. The link fetches nothing, but the file then holds no web address at all, which
#: makes the "no external reference" check simple and strict. (BSD-2 asks no link.)
_LEAFLET_PREFIX_LINK = '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">'
_LEAFLET_PREFIX_PLAIN = '<a title="Leaflet: a JavaScript library for interactive maps">'


def asset_bytes(name: str) -> bytes:
    """A file of ``gridtool/maps/assets`` (``"leaflet.js"``, ``"images/layers.png"`` …)."""
    return resources.files("gridtool.maps").joinpath("assets", *name.split("/")).read_bytes()


def asset_text(name: str) -> str:
    return asset_bytes(name).decode("utf-8")


def _script_safe(text: str) -> str:
    """Text that cannot end the ``<script>``/``<style>`` element it is placed in."""
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    js = asset_text("leaflet.js")
    if js.count(_LEAFLET_PREFIX_LINK) != 1:
        raise RuntimeError("vendored leaflet.js changed: update _LEAFLET_PREFIX_LINK in gridtool/maps/offline.py")
    return _script_safe(js.replace(_LEAFLET_PREFIX_LINK, _LEAFLET_PREFIX_PLAIN))


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's CSS with its images as ``data:`` URIs (layer-control icon, default marker)."""
    css = asset_text("leaflet.css")

    def data_uri(m: re.Match) -> str:
        name = m.group(1)
        b64 = base64.b64encode(asset_bytes(name)).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    return _script_safe(re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css))


def head_html() -> str:
    """``<style>`` and ``<script>`` elements with Leaflet and gridtool's map code, for ``<head>``."""
    return (f"<style>{leaflet_css()}</style>\n<style>{_script_safe(asset_text('gridtool-map.css'))}</style>\n"
            f"<script>{leaflet_js()}</script>\n<script>{_script_safe(asset_text('gridtool-map.js'))}</script>\n")


def json_for_script(obj: Any) -> str:
    """JSON to place inside ``<script>``: ``<``, ``>`` and line separators escaped.

    Data text can then never close the script element or open a comment, whatever it holds.
    """
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# Anything that makes a browser fetch: script/img/iframe/source src, link href (stylesheets,
# icons, preloads), CSS url() and @import, and protocol-relative addresses.
_FETCH_PATTERNS = (
    re.compile(r"<(?:script|img|iframe|source|embed|audio|video|track|input)\b[^>]*?\bsrc\s*=\s*[\"']?\s*(?:https?:)?//",
               re.IGNORECASE),
    re.compile(r"<link\b[^>]*?\bhref\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE),
    re.compile(r"url\(\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE),
    re.compile(r"@import\s+[\"']?\s*(?:url\()?\s*[\"']?(?:https?:)?//", re.IGNORECASE),
    re.compile(r"\b(?:src|href)\s*=\s*\\?[\"']\s*(?:https?:)?//", re.IGNORECASE),
    re.compile(r"https?://[^\s\"'<>]*(?:cdn|unpkg|jsdelivr|googleapis|cloudflare|bootstrapcdn)", re.IGNORECASE),
)


def external_references(html: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """Snippets of ``html`` that would make a browser fetch something over the network.

    ``allowed`` are substrings (the user's own tile URL templates) that may appear.
    """
    found = []
    for pat in _FETCH_PATTERNS:
        for m in pat.finditer(html):
            snippet = html[m.start():m.end() + 80]
            if any(a and a in snippet for a in allowed):
                continue
            found.append(snippet)
    return found


def strip_external(html: str) -> tuple[str, list[str]]:
    """Remove ``<script src=http…>`` and ``<link href=http…>`` elements; returns what was removed."""
    removed: list[str] = []

    def drop(m: re.Match) -> str:
        removed.append(m.group(0))
        return ""

    html = re.sub(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", drop, html,
                  flags=re.IGNORECASE)
    html = re.sub(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", drop, html, flags=re.IGNORECASE)
    return html, removed


__all__ = ["asset_bytes", "asset_text", "external_references", "head_html", "json_for_script",
           "leaflet_css", "leaflet_js", "strip_external"]
