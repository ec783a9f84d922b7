"""The in-memory SAR image every detector works on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from darkfleet.imagery.sar.geocode import Geocoder
from darkfleet.imagery.sar.radar import RadarGeometry


@dataclass(frozen=True)
class SarImage:
    """One band of calibrated backscatter (sigma0, linear power) with its ground pixel spacing.

    ``sigma0`` is float32, shape (rows, cols); rows run along track (azimuth), cols across track
    (range). Pixels that are not valid sea (no data, land, analyst mask) are NaN: detection
    neither uses them as background nor reports targets on them.
    """

    sigma0: NDArray[np.float32]
    row_spacing_m: float
    col_spacing_m: float
    source: str = ""
    band: str = ""
    # Radar incidence angle at the image (a chip's, or a scene's mid-swath value): it scales the
    # azimuth displacement of moving targets that matching to AIS corrects for. None: unknown.
    incidence_deg: float | None = None
    geocoder: Geocoder | None = field(default=None, compare=False, repr=False)
    # The acquisition geometry from the product annotation (PRF, slant range, ...), for the
    # azimuth-ambiguity test; None: Sentinel-1 IW defaults are assumed.
    radar: RadarGeometry | None = field(default=None, compare=False, repr=False)
    item: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.sigma0.ndim != 2:
            raise ValueError(f"{self.source}: sigma0 must be 2-D, got shape {self.sigma0.shape}")
        if not (self.row_spacing_m > 0 and self.col_spacing_m > 0):
            raise ValueError(
                f"{self.source}: pixel spacing must be positive, got "
                f"{self.row_spacing_m} m × {self.col_spacing_m} m"
            )

    @property
    def shape(self) -> tuple[int, int]:
        return self.sigma0.shape  # type: ignore[return-value]


def masked(image: SarImage, invalid: NDArray[np.bool_]) -> SarImage:
    """A copy of the image with ``invalid`` pixels (land, analyst mask) set to NaN."""
    if invalid.shape != image.shape:
        raise ValueError(f"mask shape {invalid.shape} differs from image shape {image.shape}")
    data = image.sigma0.copy()
    data[invalid] = np.nan
    return replace(image, sigma0=data)
