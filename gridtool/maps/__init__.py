"""Map exports: wall maps (PDF/PNG/SVG), the atlas, the five-colour assessment map, route cards,
the offline HTML map and GIS files.

Kept light on purpose: importing ``gridtool.maps`` loads no matplotlib, folium or Qt; each
submodule imports what it needs when used (``gridtool.maps.wallmap``, ``.atlas``, ``.cards``,
``.assessment``, ``.colours``, ``.fonts``, ``.paper``).
"""
