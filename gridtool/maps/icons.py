"""Category icons of key places for the HTML map, as inline SVG.

Hand-drawn because folium's icons come from Font Awesome and Bootstrap Glyphicons on CDNs, which
leave empty markers offline. Each icon is a round badge in the category's colour with a white
pictogram on a 24 × 24 grid; the markup is ours (no data in it), so it may go into HTML as is.
"""

from __future__ import annotations

from ..roles import PLACE_CATEGORIES

#: Category → (badge colour, white pictogram as SVG elements on a 24 × 24 view box).
ICONS: dict[str, tuple[str, str]] = {
    "school": ("#1f5fbf", '<path d="M12 5 2.5 9.5 12 14l9.5-4.5z"/><path d="M6.5 11.8v3.6c0 1.8 11 1.8 11 0'
                          'v-3.6L12 14.4z"/><path d="M20 10v5h1v-5z"/>'),
    "kindergarten": ("#3aa0d8", '<circle cx="12" cy="7" r="2.6"/><path d="M7.5 19 12 10.3 16.5 19z"/>'),
    "hospital": ("#d62728", '<path d="M10 5h4v5h5v4h-5v5h-4v-5H5v-4h5z"/>'),
    "clinic": ("#e8696b", '<path d="M10.7 7h2.6v3.7H17v2.6h-3.7V17h-2.6v-3.7H7v-2.6h3.7z"/>'),
    "market": ("#f28e2b", '<path d="M4 8h16l-1.2 3.2H5.2z"/><path d="M6 12.5h12V19H6z"/>'
                          '<path d="M7 6h10v1.2H7z"/>'),
    "supermarket": ("#d9822b", '<path d="M3 5h3.2l2.3 8.5h8.7L19.5 8H8" fill="none" stroke="#fff" '
                               'stroke-width="1.8" stroke-linejoin="round"/><circle cx="9.5" cy="17" r="1.6"/>'
                               '<circle cx="16" cy="17" r="1.6"/>'),
    "bank": ("#2ca02c", '<path d="M7 5h2.6l2.4 4.2L14.4 5H17l-3.6 6H16v1.6h-2.9v1.2H16v1.6h-2.9V19h-2.2v-3.6H8'
                        'v-1.6h2.9v-1.2H8V11h2.6z"/>'),
    "police": ("#1a237e", '<path d="M12 3.5 18.5 6v5c0 4.2-2.8 7.4-6.5 9-3.7-1.6-6.5-4.8-6.5-9V6z"/>'
                          '<path d="m12 8 1.2 2.6 2.8.3-2.1 1.9.6 2.8-2.5-1.5-2.5 1.5.6-2.8-2.1-1.9 2.8-.3z" '
                          'fill="#1a237e"/>'),
    "townhall": ("#b71c1c", '<path d="M4 10 12 5l8 5z"/><path d="M6 11h2v5H6zm5 0h2v5h-2zm5 0h2v5h-2z"/>'
                            '<path d="M5 17h14v2H5z"/>'),
    "camera": ("#37474f", '<path d="m4 8.5 10.5-3 1.8 5.2-10.5 3z"/><path d="m14.8 11.6 1.6 3.4H20v-1.8'
                          'h-2.6l-1.2-2.3z"/><path d="M6.5 13.8 8 17H5v1.6h4.5l-1.9-4.3z"/>'),
    "enterprise": ("#8c564b", '<path d="M4 19v-8l4 2.5V11l4 2.5V11l4 2.5V5h3v14z"/>'),
    "other": ("#757575", '<circle cx="12" cy="12" r="4"/>'),
}

#: English names of the categories (legend text beside the Chinese ones of ``PLACE_CATEGORIES``).
CATEGORY_EN: dict[str, str] = {
    "school": "school", "kindergarten": "kindergarten", "hospital": "hospital", "clinic": "clinic",
    "market": "market", "supermarket": "supermarket", "bank": "bank", "police": "police station",
    "townhall": "village committee / government", "camera": "camera",
    "enterprise": "enterprise", "other": "other",
}


def icon_svg(category: str, *, size: int = 22) -> str:
    """The badge of ``category`` (unknown categories get ``other``) as an ``<svg>`` element."""
    colour, glyph = ICONS.get(category, ICONS["other"])
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 24 24" aria-hidden="true">'
            f'<circle cx="12" cy="12" r="11" fill="{colour}" stroke="#fff" stroke-width="1.5"/>'
            f'<g fill="#fff">{glyph}</g></svg>')


def category_label(category: str) -> str:
    """``"学校 school"``: the legend text of a category in both languages."""
    return category_text(category, "both")


def category_text(category, lang: str = "zh") -> str:
    """A place category as the map's reader says it: ``学校`` (``zh``), ``school`` (``en``), ``学校 school``
    (``both``). Categories gridtool does not know (``路口``, ``intersection``) are shown as given."""
    c = "" if category is None else str(category)
    if c not in PLACE_CATEGORIES:
        return c or (PLACE_CATEGORIES["other"] if lang != "en" else "other")
    zh, en = PLACE_CATEGORIES[c], CATEGORY_EN.get(c, c)
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


__all__ = ["CATEGORY_EN", "ICONS", "category_label", "category_text", "icon_svg"]
