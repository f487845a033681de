"""Shared fixtures: small, hand-made data so tests are quick and independent of bundled files."""

from __future__ import annotations

import pandas as pd
import pytest
from _frames import make_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture
def csv_path(tmp_path, frame) -> str:
    path = tmp_path / "loans.csv"
    frame.to_csv(path, index=False)
    return str(path)
