"""Sentinel-1 radiometric calibration: digital numbers to sigma0 with the product's look-up tables.

Pure kernels (XML text and arrays in, arrays out); reading a SAFE directory is in ``safe.py``.

Per ESA's "Radiometric Calibration of S-1 Level-1 Products" (ESA-EOPG-CSCOP-TN-0002) and the
Sentinel-1 Product Specification (S1-RS-MDA-52-7441, calibration and noise annotation data sets):

    sigma0 = (DN² − η) / A²

where ``A`` is the ``sigmaNought`` vector of ``calibration/calibrationVectorList`` and ``η`` the
thermal noise, both given on a sparse grid (one vector per ``line``, each with its own
``pixel`` positions) and bilinearly interpolated to every pixel. Noise: IPF before 2.9 gives
``noiseVectorList/noiseVector/noiseLut``; from 2.9, ``noiseRangeVectorList`` (``noiseRangeLut``)
times ``noiseAzimuthVectorList`` (``noiseAzimuthLut`` over the block of lines × samples of each
vector). Negative values after noise removal (noise over dark sea) are set to zero.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
_STRIP_ROWS = 512


class CalibrationError(ValueError):
    """An annotation lacks what calibration needs; the message names the element."""


@dataclass(frozen=True)
class SparseLut:
    """Values on a sparse grid: one vector per ``lines[k]``, sampled at its own ``pixels[k]``."""

    lines: F64
    pixels: tuple[F64, ...]
    values: tuple[F64, ...]

    def __post_init__(self) -> None:
        if len(self.lines) == 0:
            raise CalibrationError("look-up table has no vector")
        if np.any(np.diff(self.lines) <= 0):
            raise CalibrationError("look-up table lines must increase")

    def at(self, rows: F64, cols: F64) -> F64:
        """Bilinear interpolation on the (rows × cols) grid: along each vector's pixels first,
        then linearly between the vectors either side of each row (constant beyond the ends)."""
        by_vector = np.stack([np.interp(cols, p, v) for p, v in zip(self.pixels, self.values, strict=True)])
        if len(self.lines) == 1:
            return np.broadcast_to(by_vector[0], (len(rows), len(cols))).copy()
        k = np.clip(np.searchsorted(self.lines, rows, side="right") - 1, 0, len(self.lines) - 2)
        l0, l1 = self.lines[k], self.lines[k + 1]
        w = np.clip((rows - l0) / (l1 - l0), 0.0, 1.0)[:, None]
        return by_vector[k] * (1.0 - w) + by_vector[k + 1] * w


@dataclass(frozen=True)
class AzimuthNoiseBlock:
    """One ``noiseAzimuthVector``: a factor along lines over a block of lines × samples."""

    first_line: int
    last_line: int
    first_sample: int
    last_sample: int
    lines: F64
    values: F64


@dataclass(frozen=True)
class NoiseLut:
    range_lut: SparseLut
    azimuth_blocks: tuple[AzimuthNoiseBlock, ...] = ()  # empty before IPF 2.9

    def at(self, rows: F64, cols: F64) -> F64:
        eta = self.range_lut.at(rows, cols)
        if not self.azimuth_blocks:
            return eta
        factor = np.ones_like(eta)
        for b in self.azimuth_blocks:
            r = (rows >= b.first_line) & (rows <= b.last_line)
            c = (cols >= b.first_sample) & (cols <= b.last_sample)
            if r.any() and c.any():
                f = np.interp(rows[r], b.lines, b.values)
                factor[np.ix_(r, c)] = f[:, None]
        return eta * factor


def _floats(el: ET.Element | None, what: str) -> F64:
    if el is None or el.text is None:
        raise CalibrationError(f"missing <{what}>")
    try:
        return np.array(el.text.split(), dtype=np.float64)
    except ValueError as exc:
        raise CalibrationError(f"<{what}> holds a non-number ({exc})") from exc


def _sparse(root: ET.Element, list_tag: str, vector_tag: str, value_tag: str) -> SparseLut:
    vectors = root.findall(f"{list_tag}/{vector_tag}")
    if not vectors:
        raise CalibrationError(f"no <{list_tag}>/<{vector_tag}> element")
    lines, pixels, values = [], [], []
    for k, v in enumerate(vectors):
        p, x = _floats(v.find("pixel"), "pixel"), _floats(v.find(value_tag), value_tag)
        if p.size != x.size:
            raise CalibrationError(f"{vector_tag} {k}: {p.size} pixels but {x.size} {value_tag} values")
        lines.append(float(_floats(v.find("line"), "line")[0]))
        pixels.append(p)
        values.append(x)
    return SparseLut(np.array(lines), tuple(pixels), tuple(values))


def _root(xml: str | bytes, tag: str, source: str) -> ET.Element:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise CalibrationError(f"{source}: not XML ({exc})") from exc
    if root.tag != tag:
        raise CalibrationError(f"{source}: expected a <{tag}> document, got <{root.tag}>")
    return root


def parse_calibration(xml: str | bytes, lut: str = "sigmaNought", source: str = "<calibration>") -> SparseLut:
    """The ``sigmaNought`` (or ``betaNought``, ``gamma``, ``dn``) table of a calibration XML."""
    root = _root(xml, "calibration", source)
    try:
        return _sparse(root, "calibrationVectorList", "calibrationVector", lut)
    except CalibrationError as exc:
        raise CalibrationError(f"{source}: {exc}") from None


def parse_noise(xml: str | bytes, source: str = "<noise>") -> NoiseLut:
    """Thermal noise of a noise XML, in either layout (before and from IPF 2.9)."""
    root = _root(xml, "noise", source)
    try:
        if root.find("noiseRangeVectorList") is None:
            return NoiseLut(_sparse(root, "noiseVectorList", "noiseVector", "noiseLut"))
        rng = _sparse(root, "noiseRangeVectorList", "noiseRangeVector", "noiseRangeLut")
        blocks = []
        for v in root.findall("noiseAzimuthVectorList/noiseAzimuthVector"):
            ints = [
                int(_floats(v.find(t), t)[0])
                for t in ("firstAzimuthLine", "lastAzimuthLine", "firstRangeSample", "lastRangeSample")
            ]
            lines, lut = _floats(v.find("line"), "line"), _floats(v.find("noiseAzimuthLut"), "noiseAzimuthLut")
            if lines.size != lut.size:
                raise CalibrationError(f"noiseAzimuthVector: {lines.size} lines but {lut.size} values")
            blocks.append(AzimuthNoiseBlock(ints[0], ints[1], ints[2], ints[3], lines, lut))
        return NoiseLut(rng, tuple(blocks))
    except CalibrationError as exc:
        raise CalibrationError(f"{source}: {exc}") from None


def calibrate_in_place(
    dn: NDArray[np.float32],
    sigma: SparseLut,
    noise: NoiseLut | None = None,
    nodata_dn: float | None = 0.0,
    row_offset: int = 0,
    col_offset: int = 0,
) -> NDArray[np.float32]:
    """Turn an array of digital numbers (amplitude, as float32) into sigma0 in place and return
    it. ``nodata_dn`` pixels (GRD border fill is 0) become NaN. ``row_offset`` /
    ``col_offset``: the array's origin in the product's line / pixel numbering (for windows).
    Works strip by strip, so the look-up tables never exist at full size."""
    h, w = dn.shape
    cols = np.arange(w, dtype=np.float64) + col_offset
    for a in range(0, h, _STRIP_ROWS):
        b = min(a + _STRIP_ROWS, h)
        rows = np.arange(a, b, dtype=np.float64) + row_offset
        block = dn[a:b]
        fill = block == nodata_dn if nodata_dn is not None else None
        power = block.astype(np.float64) ** 2
        if noise is not None:
            power = np.maximum(power - noise.at(rows, cols), 0.0)
        amp = sigma.at(rows, cols)
        block[...] = power / (amp * amp)
        if fill is not None:
            block[fill] = np.nan
    return dn
