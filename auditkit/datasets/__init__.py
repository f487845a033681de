"""Bundled audit datasets and a generator of synthetic data with planted bias.

The bundled datasets (``adult``, ``compas``, ``german``) ship inside auditkit,
gzip-compressed and byte-identical to their public originals; every load
checks their SHA-256 digests. Each has a datasheet (``Dataset.datasheet``)
describing its origin, licence, preprocessing and known caveats, and a documented
train/test split (:func:`documented_split`; ``load(name, split="train")``): an audit of
a model on ``data=name`` audits the held-out rows.

Examples
--------
>>> from auditkit import datasets
>>> datasets.list()
['adult', 'compas', 'german']
>>> german = datasets.load("german")
>>> german.positive_label
'good'
"""

from __future__ import annotations

import builtins

from auditkit.datasets._loaders import Dataset, dataset_names, documented_split, load, propublica_filter
from auditkit.datasets._synthetic import make_biased

__all__ = ["Dataset", "documented_split", "list", "load", "make_biased", "propublica_filter"]


def list() -> builtins.list[str]:
    """Return the names of the bundled datasets.

    Returns
    -------
    list of str
        Sorted names accepted by :func:`load`: ``['adult', 'compas', 'german']``.

    Examples
    --------
    >>> from auditkit import datasets
    >>> datasets.list()
    ['adult', 'compas', 'german']
    """
    return dataset_names()
