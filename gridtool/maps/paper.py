"""Paper sizes, map scales, raster size and memory estimates, and checked atomic writes of exports.

Why hand-written: the ISO 216 sizes and "nice" scales are a table and a rounding rule; the raster
guard exists because renderers fail badly on huge images (QGIS has reported "successfully exported"
for truncated files): before drawing a PNG the pixels and memory are estimated, and the export
refuses, with a fix, when they pass a safe limit. Every export is written to a temporary file
beside the target, checked the way a reader would open it (PNG decoded header and chunk CRCs with
the expected pixel size, PDF header and trailer, SVG parsed), and only then renamed into place.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..atomic import publish, write_failure
from ..errors import CancelledError, GridtoolError, OptionError

log = logging.getLogger(__name__)

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH

#: ISO 216 A sizes, portrait (width, height) in millimetres.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A0": (841.0, 1189.0), "A1": (594.0, 841.0), "A2": (420.0, 594.0),
    "A3": (297.0, 420.0), "A4": (210.0, 297.0),
}
FORMATS = ("pdf", "png", "svg")

#: Past this many pixels a raster export logs a warning (≈ A0 at 200 dpi is 62 Mpx).
WARN_PIXELS = 100_000_000
#: Past this many pixels a raster export is refused (A0 at 300 dpi is 139 Mpx, ≈ 0.56 GB RGBA).
MAX_PIXELS = 180_000_000
#: Peak memory of an Agg raster export per pixel: the RGBA canvas (4 bytes), which the PNG encoder
#: reads in place, plus headroom for the encoder and the drawing itself (measured: an A1 map at
#: 300 dpi, 70 Mpx, raised the peak resident memory by 240 MB ≈ 3.5 bytes/px, matplotlib 3.11).
BYTES_PER_PIXEL = 6


class ExportError(GridtoolError):
    """An export could not be made or written (too large, disk full, unwritable folder …)."""


class RasterTooLargeError(ExportError):
    """The raster image asked for would need more pixels or memory than is safe."""


@dataclass(frozen=True)
class Paper:
    """A sheet: ISO name, orientation, width and height in millimetres."""

    name: str
    landscape: bool
    width_mm: float
    height_mm: float

    @property
    def inches(self) -> tuple[float, float]:
        return self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH

    @property
    def unit(self) -> float:
        """Size factor relative to A4 (√2 per size step): fonts, margins and lines scale by it."""
        return min(self.width_mm, self.height_mm) / 210.0


def paper(size: str | tuple[float, float] = "A3", *, landscape: bool = False) -> Paper:
    """The sheet for an ISO name (``"A0"`` … ``"A4"``, any case) or ``(width_mm, height_mm)``."""
    if isinstance(size, (tuple, list)):
        w, h = (float(v) for v in size)
        name = f"{w:g}×{h:g}mm"
    else:
        key = str(size).strip().upper()
        if key not in PAPER_SIZES_MM:
            raise ExportError(f"不支持的纸张尺寸：{size}", f"unsupported paper size: {size}",
                              fix_zh="可选 " + "、".join(PAPER_SIZES_MM), fix_en="choose one of " + ", ".join(PAPER_SIZES_MM))
        w, h = PAPER_SIZES_MM[key]
        name = key
    if landscape != (w > h):
        w, h = h, w
    return Paper(name, landscape, w, h)


# ---------------------------------------------------------------------------------------------
# scales

_NICE = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0, 10.0)


def nice_scale(denominator: float) -> int:
    """The next scale denominator at or above ``denominator`` of the form {1 … 8}·10ⁿ (1:12,500)."""
    if denominator <= 0 or not math.isfinite(denominator):
        raise OptionError(f"比例尺必须为正数：{denominator}", f"bad scale {denominator}",
                          fix_zh="例如 --scale 1:5000。", fix_en="e.g. --scale 1:5000.", field="scale")
    exp = 10 ** math.floor(math.log10(denominator))
    for m in _NICE:
        if m * exp >= denominator * (1 - 1e-9):
            return int(round(m * exp))
    return int(round(10 * exp))


def fit_scale(extent_w_m: float, extent_h_m: float, frame_w_mm: float, frame_h_mm: float) -> float:
    """The exact scale denominator at which an extent fills a frame on paper."""
    return max(extent_w_m / frame_w_mm, extent_h_m / frame_h_mm, 1e-9) * 1000.0


def format_scale(denominator: float) -> str:
    """``1:5,000``."""
    return f"1:{int(round(denominator)):,}"


def nice_length(target: float) -> float:
    """1, 2 or 5 × 10ⁿ at or below ``target`` (a scale-bar or coordinate-grid step)."""
    if target <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * exp <= target:
            return m * exp
    return exp


# ---------------------------------------------------------------------------------------------
# raster guard


@dataclass(frozen=True)
class RasterEstimate:
    """Pixels and peak memory of a raster export."""

    width_px: int
    height_px: int
    memory_bytes: int

    @property
    def pixels(self) -> int:
        return self.width_px * self.height_px

    def describe(self) -> str:
        return (f"{self.width_px:,} × {self.height_px:,} px = {self.pixels / 1e6:,.0f} Mpx, "
                f"≈ {self.memory_bytes / 2**30:.1f} GiB")


def raster_estimate(width_in: float, height_in: float, dpi: float) -> RasterEstimate:
    """Pixel size and peak memory of rendering a ``width_in`` × ``height_in`` inch figure at ``dpi``.

    matplotlib rounds the canvas size to whole pixels the same way (``int(w·dpi)``).
    """
    w = int(width_in * dpi)
    h = int(height_in * dpi)
    return RasterEstimate(w, h, w * h * BYTES_PER_PIXEL)


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` on Linux; psutil elsewhere when installed)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil  # optional

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - no way to know; the pixel limit still applies
        return None


def check_raster(sheet: Paper, dpi: float, *, max_pixels: int | None = None,
                 warn_pixels: int | None = None, memory: int | None = None) -> RasterEstimate:
    """Refuse (``RasterTooLargeError``) or warn before rendering a raster of ``sheet`` at ``dpi``.

    Refused when the pixels pass ``max_pixels`` (default :data:`MAX_PIXELS`) or the estimated peak
    memory passes 60 % of the available memory (``memory``; read from the system when None).
    The error names the size, the DPI that would fit and the alternatives (smaller paper, PDF).
    """
    if dpi <= 0:
        raise ExportError(f"DPI 必须为正数：{dpi}", f"DPI must be positive: {dpi}")
    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    warn_pixels = WARN_PIXELS if warn_pixels is None else warn_pixels
    est = raster_estimate(*sheet.inches, dpi)
    memory = available_memory() if memory is None else memory
    mem_limit = int(memory * 0.6) if memory else None
    limit_px = max_pixels if mem_limit is None else min(max_pixels, mem_limit // BYTES_PER_PIXEL)
    if est.pixels > limit_px:
        w_in, h_in = sheet.inches
        fit_dpi = int(math.sqrt(limit_px / (w_in * h_in)))
        why_zh = "超过安全上限" if est.pixels > max_pixels else "超过可用内存"
        why_en = "past the safe limit" if est.pixels > max_pixels else "more than the memory available"
        raise RasterTooLargeError(
            f"图片太大，未导出：{sheet.name} 在 {dpi:g} DPI 下为 {est.describe()}，{why_zh}"
            f"（上限 {limit_px / 1e6:,.0f} Mpx）",
            f"image too large, not exported: {sheet.name} at {dpi:g} DPI is {est.describe()}, {why_en} "
            f"(limit {limit_px / 1e6:,.0f} Mpx)",
            fix_zh=f"把 DPI 降到 {fit_dpi} 或以下（--dpi {fit_dpi}），或选较小的纸张，或导出 PDF/SVG 矢量图（--pdf）",
            fix_en=f"lower the DPI to {fit_dpi} or less (--dpi {fit_dpi}), use a smaller paper size, "
                   "or export a vector PDF/SVG (--pdf)")
    if est.pixels > warn_pixels:
        log.warning("大图导出 / large raster export: %s %s at %g dpi: %s", sheet.name,
                    "landscape" if sheet.landscape else "portrait", dpi, est.describe())
    return est


def check_cancelled(cancelled: Callable[[], bool] | None) -> None:
    """Raise :class:`CancelledError` when the ``cancelled`` callable (if any) returns True."""
    if cancelled is not None and cancelled():
        raise CancelledError()


# ---------------------------------------------------------------------------------------------
# checked atomic writes


def format_from_path(path: str | Path, fmt: str | None = None) -> str:
    """``pdf``/``png``/``svg`` from ``fmt`` or the file suffix; ExportError otherwise."""
    f = (fmt or Path(path).suffix.lstrip(".")).lower()
    if f not in FORMATS:
        raise ExportError(f"不支持的导出格式：{path}", f"unsupported export format: {path}",
                          fix_zh="文件名以 .pdf、.png 或 .svg 结尾", fix_en="end the file name in .pdf, .png or .svg",
                          file=str(path))
    return f


def verify_output(path: Path, fmt: str, *, expected_px: tuple[int, int] | None = None,
                  min_pages: int | None = None) -> None:
    """Read the written file back as a viewer would; ExportError when it is not complete.

    PNG: header, pixel size and every chunk's CRC (``PIL.Image.verify``, no full decode). PDF:
    ``%PDF-`` header and ``%%EOF`` trailer (and the page count when pypdf is installed). SVG:
    the XML parses to an ``<svg>`` root.
    """
    size = path.stat().st_size if path.exists() else 0
    problem = None
    if size == 0:
        problem = "empty file"
    elif fmt == "png":
        from PIL import Image

        old = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None  # we made it; the guard above already bounded it
        try:
            with Image.open(path) as im:
                got = im.size
                im.verify()
            if expected_px and (abs(got[0] - expected_px[0]) > 1 or abs(got[1] - expected_px[1]) > 1):
                problem = f"size {got} instead of {expected_px}"
        except Exception as exc:  # noqa: BLE001 - any decoder complaint means a bad file
            problem = f"PNG does not decode: {exc}"
        finally:
            Image.MAX_IMAGE_PIXELS = old
    elif fmt == "pdf":
        with open(path, "rb") as fh:
            head = fh.read(8)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
        if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
            problem = "PDF header or trailer missing (truncated)"
        elif min_pages:
            try:
                from pypdf import PdfReader
            except ImportError:
                PdfReader = None
            if PdfReader is not None:
                n = len(PdfReader(str(path)).pages)
                if n < min_pages:
                    problem = f"{n} pages instead of {min_pages}"
    elif fmt == "svg":
        import xml.etree.ElementTree as ET

        try:
            root = next(ET.iterparse(path, events=("start",)))[1]
            for _ in ET.iterparse(path):
                pass
            if not root.tag.endswith("svg"):
                problem = f"root element {root.tag}"
        except ET.ParseError as exc:
            problem = f"SVG does not parse: {exc}"
    if problem:
        raise ExportError(f"导出文件不完整，未保存：{path.name}（{problem}）",
                          f"the exported file is incomplete and was not kept: {path.name} ({problem})",
                          fix_zh="检查磁盘空间和文件夹写权限后重试", fix_en="check free disk space and folder permissions, then retry",
                          file=str(path))


def write_checked(out_path: str | Path, fmt: str, write: Callable[[Path], None], *,
                  expected_px: tuple[int, int] | None = None, min_pages: int | None = None) -> Path:
    """Call ``write(tmp_path)``, verify the file (:func:`verify_output`), then rename it to ``out_path``.

    A failed write or check removes the temporary file and leaves any earlier ``out_path`` as it
    was; OS errors (disk full, permissions) come back as ExportError with the path.
    """
    out = Path(out_path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".{fmt}.tmp", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        plain = write_failure(exc, out)
        if plain is not None:
            raise plain from exc
        raise ExportError(f"无法写入 {out}：{exc.strerror or exc}", f"cannot write {out}: {exc.strerror or exc}",
                          fix_zh="选择有写权限的文件夹", fix_en="choose a folder you can write to", file=str(out)) from exc
    tmp = Path(tmp_name)
    try:
        write(tmp)
        verify_output(tmp, fmt, expected_px=expected_px, min_pages=min_pages)
        publish(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        plain = write_failure(exc, out)
        if plain is not None:
            raise plain from exc
        raise ExportError(f"写入 {out.name} 失败：{exc.strerror or exc}", f"writing {out.name} failed: {exc.strerror or exc}",
                          fix_zh="检查磁盘空间和写权限", fix_en="check free disk space and write permissions",
                          file=str(out)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
