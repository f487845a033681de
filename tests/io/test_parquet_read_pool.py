"""A Parquet read allocates from the returning pool only: none of the file's bytes pass through Arrow's default pool.

Arrow's default pool (mimalloc in the wheels) keeps what it freed; a path handed to pyarrow has its bytes read into
buffers of the pool that was the default when pyarrow started. Measured by the default pool's own counter
(``max_memory``) in a fresh process, where nothing else has used that pool.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

PROBE = """
import json, sys
from pathlib import Path
import pyarrow as pa
default = pa.default_memory_pool()
from auditkit.io.data_files import read_file
frame, _, how = read_file(Path(sys.argv[1]), None, columns=json.loads(sys.argv[2]))
print(json.dumps({"default_pool_peak": default.max_memory(), "backend": default.backend_name,
                  "rows": len(frame), "format": how["format"]}))
"""


def _default_pool_peak(path: Path, columns: list[str] | None) -> dict:
    here = str(Path(__file__).parents[2])  # this checkout's auditkit in the child
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", PROBE, str(path), json.dumps(columns)], capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("columns", [None, ["x", "t"]], ids=["every column", "a projection"])
def test_no_byte_of_the_file_is_read_into_the_default_pool(tmp_path: Path, columns: list[str] | None):
    rng = np.random.default_rng(0)
    rows = 200_000
    frame = pd.DataFrame({"x": rng.normal(size=rows), "y": rng.normal(size=rows),
                          "t": np.char.add("t", rng.integers(0, 10**6, rows).astype(str))})
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, index=False, compression=None)
    column_bytes = rows * 8  # one float column, stored plain and uncompressed: 1.6 MB
    found = _default_pool_peak(path, columns)  # here: the 64 kB footer read for the schema
    assert found["rows"] == rows and found["format"] == "parquet"
    assert found["default_pool_peak"] < column_bytes / 16, found  # on main: at least a column's bytes
