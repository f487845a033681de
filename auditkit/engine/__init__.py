"""Engines that compute an audit: ``"memory"`` (pandas, the default) and ``"dask"`` (partitioned data).

The Dask engine aggregates partitioned Parquet/CSV (or a ``dask.dataframe.DataFrame``) into the small
tables the counts-based steps need, then runs the same steps, bootstrap and findings as the in-memory
engine (see :mod:`auditkit.engine.dask_audit`).

Examples
--------
>>> from auditkit.params import validate
>>> validate("engine", "dask", ENGINE_CONSTRAINTS["engine"])
>>> validate("engine", "spark", ENGINE_CONSTRAINTS["engine"])
Traceback (most recent call last):
...
auditkit.exceptions.InputError: engine must be one of memory, dask; got 'spark' (str)
"""

from __future__ import annotations

from auditkit.params import Options, Text

ENGINES = ("memory", "dask")
ENGINE_CONSTRAINTS = {
    "engine": [Options(ENGINES)],
    "scheduler": [None, Text("a scheduler address such as tcp://host:8786")],
}
# What the Dask engine runs: steps whose numbers are functions of counts the engine aggregates.
DASK_STEPS = ("data_overview", "data_bias", "performance", "fairness")
# What it runs with a model besides: steps that explain rows, on a seeded stratified sample pulled from the data.
DASK_MODEL_STEPS = ("shap", "lime", "agreement")
