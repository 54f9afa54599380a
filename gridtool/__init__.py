"""gridtool: grid management (网格化管理) and patrol planning for Chinese townships.

The core (this package, ``partition``, ``routing``, ``maps``) never imports Qt; only
``gridtool.ui`` does.
"""

__version__ = "0.1.0"
