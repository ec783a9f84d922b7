"""The radar's acquisition geometry that image artefacts depend on: wavelength, pulse repetition
frequency per sub-swath, platform speed and slant range across the image.

Its use here is the azimuth ambiguity distance: a bright target leaks energy at Doppler
frequencies offset by ±PRF, which focusing places Δx = λ·R·PRF / (2·V) along track from it
(Curlander & McDonough, "Synthetic Aperture Radar", §6.5; with V the platform speed this is the
ground displacement, since V_eff² = V·V_ground). For Sentinel-1 IW that is about 4.5–5.5 km.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

SPEED_OF_LIGHT_M_S = 299_792_458.0
EARTH_RADIUS_M = 6_371_008.8
S1_WAVELENGTH_M = SPEED_OF_LIGHT_M_S / 5.405e9  # C band, 5.405 GHz: 0.0555 m
S1_PLATFORM_SPEED_M_S = 7_590.0  # orbital speed at Sentinel-1's 693 km
S1_ORBIT_HEIGHT_M = 693_000.0
# IW sub-swaths as annotated in IW products (downlinkInformation/prf) and their incidence spans.
S1_IW_PRF_HZ = (1717.13, 1451.59, 1685.81)
S1_IW_SWATH_UPPER_INCIDENCE_DEG = (36.3, 41.8, 90.0)
S1_IW_INCIDENCE_SPAN_DEG = (30.9, 45.9)  # near and far edge of an IW GRD scene (about 250 km)
S1_IW_MIN_SCENE_WIDTH_M = 200_000.0  # an image this wide is taken to span the whole IW swath


def slant_range_m(incidence_deg: ArrayLike, orbit_height_m: float = S1_ORBIT_HEIGHT_M) -> NDArray[np.float64]:
    """Slant range for an incidence angle on a spherical Earth (law of sines in the triangle
    Earth centre – satellite – target): 845 km at 37° from 693 km."""
    theta = np.radians(np.asarray(incidence_deg, dtype=np.float64))
    rs = EARTH_RADIUS_M + orbit_height_m
    look = np.arcsin(EARTH_RADIUS_M * np.sin(theta) / rs)
    return rs * np.cos(look) - EARTH_RADIUS_M * np.cos(theta)


@dataclass(frozen=True)
class RadarGeometry:
    """What the product annotation says about the acquisition (all tuples ordered near → far).

    ``prf_hz[k]`` applies from image column ``swath_first_cols[k]`` on; ``slant_range_m`` is
    known at ``range_cols`` and interpolated linearly between them.
    """

    wavelength_m: float
    platform_speed_m_s: float
    prf_hz: tuple[float, ...]
    swath_first_cols: tuple[float, ...]
    range_cols: tuple[float, ...]
    slant_range_m: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.prf_hz) != len(self.swath_first_cols) or not self.prf_hz:
            raise ValueError("one swath_first_col per PRF, at least one PRF")
        if len(self.range_cols) != len(self.slant_range_m) or not self.range_cols:
            raise ValueError("one slant range per range column, at least one")
        if self.wavelength_m <= 0 or self.platform_speed_m_s <= 0 or min(self.prf_hz) <= 0:
            raise ValueError("wavelength_m, platform_speed_m_s and prf_hz must be positive")

    def ambiguity_distance_m(self, cols: ArrayLike) -> NDArray[np.float64]:
        """Along-track distance from a target to its first azimuth ambiguities, per column."""
        c = np.asarray(cols, dtype=np.float64)
        k = np.clip(np.searchsorted(np.asarray(self.swath_first_cols), c, side="right") - 1, 0, None)
        prf = np.asarray(self.prf_hz)[k]
        r = np.interp(c, self.range_cols, self.slant_range_m)
        return self.wavelength_m * r * prf / (2.0 * self.platform_speed_m_s)


def default_iw_geometry(incidence_deg: float, width_px: int = 1) -> RadarGeometry:
    """Sentinel-1 IW defaults for an image whose product annotation is not at hand: the
    sub-swath (hence PRF) and slant range follow from the incidence angle."""
    k = next(i for i, up in enumerate(S1_IW_SWATH_UPPER_INCIDENCE_DEG) if incidence_deg < up)
    r = float(slant_range_m(incidence_deg))
    return RadarGeometry(
        S1_WAVELENGTH_M, S1_PLATFORM_SPEED_M_S, (S1_IW_PRF_HZ[k],), (0.0,), (0.0, float(max(width_px - 1, 1))), (r, r)
    )


def default_iw_scene_geometry(width_px: int, col_spacing_m: float) -> RadarGeometry:
    """Sentinel-1 IW defaults for a whole GRD scene (column 0 at near range, as in every GRD
    product) without its annotation: incidence linear across the swath, so each column gets
    its sub-swath's PRF and its slant range."""
    near, far = S1_IW_INCIDENCE_SPAN_DEG
    cols = np.linspace(0.0, max(width_px - 1, 1), 16)
    inc = near + (far - near) * cols / cols[-1]
    bounds = [near, *S1_IW_SWATH_UPPER_INCIDENCE_DEG[:-1]]
    first = tuple(float(np.interp(b, inc, cols)) for b in bounds)
    return RadarGeometry(
        S1_WAVELENGTH_M,
        S1_PLATFORM_SPEED_M_S,
        S1_IW_PRF_HZ,
        first,
        tuple(cols.tolist()),
        tuple(slant_range_m(inc).tolist()),
    )


def default_geometry(width_px: int, col_spacing_m: float, incidence_deg: float | None) -> RadarGeometry:
    """The defaults that fit an image: a whole IW scene's, else those of its incidence angle
    (37°, IW mid-swath, when unknown)."""
    if width_px * col_spacing_m >= S1_IW_MIN_SCENE_WIDTH_M:
        return default_iw_scene_geometry(width_px, col_spacing_m)
    return default_iw_geometry(incidence_deg if incidence_deg is not None else 37.0, width_px)


def ambiguity_distance_default_m(incidence_deg: float) -> float:
    """Convenience: the IW ambiguity distance at an incidence angle (≈ 4.5–5.5 km)."""
    return float(default_iw_geometry(incidence_deg).ambiguity_distance_m([0.0])[0])
