"""The seeded split of the audited rows into a fitting part and held-out evaluation rows.

Post-processing learns its thresholds on the fitting part; every option, the unmitigated model
included, is evaluated on the evaluation rows, which no mitigation saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Positions (in the audited rows) of the fitting part and of the evaluation rows.

    Attributes
    ----------
    fit, evaluate : ndarray of int
        Sorted positions.
    stratified_by : str
        What both parts keep the shares of: ``"outcome and group"``, ``"outcome"`` or
        ``"nothing"`` (when a stratum has a single row).
    seed : int
        The ``random_state`` given to scikit-learn's ``train_test_split``.

    Examples
    --------
    >>> split = fitting_split(np.array([0, 1] * 4), np.array(["a"] * 8), 0.5, seed=1)
    >>> split.fit.tolist(), split.evaluate.tolist(), split.stratified_by
    ([1, 4, 5, 6], [0, 2, 3, 7], 'outcome and group')
    """

    fit: np.ndarray
    evaluate: np.ndarray
    stratified_by: str
    seed: int

    def describe(self) -> dict[str, object]:
        """The split as ``audit.json`` records it.

        Examples
        --------
        >>> split = fitting_split(np.array([0, 1] * 10), np.array(["a"] * 10 + ["b"] * 10), 0.5, seed=3)
        >>> split.describe()
        {'fitting_rows': 10, 'evaluation_rows': 10, 'stratified_by': 'outcome and group', 'seed': 3}
        """
        return {"fitting_rows": len(self.fit), "evaluation_rows": len(self.evaluate),
                "stratified_by": self.stratified_by, "seed": self.seed}


def fitting_split(y_true: np.ndarray, groups: np.ndarray, evaluation_share: float, seed: int) -> Split:
    """Split the rows in two, keeping the shares of each outcome within each group where it can.

    Parameters
    ----------
    y_true : ndarray of int
        0/1 outcomes of the audited rows.
    groups : ndarray
        Group label of each row (one sensitive feature).
    evaluation_share : float
        Share of the rows held out for evaluation, in (0, 1).
    seed : int
        ``random_state`` of the split.

    Examples
    --------
    >>> y = np.array([0, 1] * 50)
    >>> groups = np.array(["a"] * 60 + ["b"] * 40)
    >>> split = fitting_split(y, groups, 0.5, seed=0)
    >>> len(split.fit), len(split.evaluate), sorted(set(groups[split.evaluate].tolist()))
    (50, 50, ['a', 'b'])
    >>> fitting_split(y, groups, 0.5, seed=0).evaluate.tolist() == split.evaluate.tolist()  # seeded
    True
    """
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(y_true))
    outcome_and_group = np.char.add(np.asarray(y_true).astype(str), np.char.add("|", np.asarray(groups).astype(str)))
    for strata, name in ((outcome_and_group, "outcome and group"), (np.asarray(y_true), "outcome"), (None, "nothing")):
        if strata is None or _splittable(strata, evaluation_share):
            fit, evaluate = train_test_split(positions, test_size=evaluation_share, random_state=seed,
                                             stratify=strata)
            return Split(np.sort(fit), np.sort(evaluate), name, int(seed))
    raise AssertionError("unreachable: the unstratified split always applies")  # pragma: no cover


def _splittable(strata: np.ndarray, evaluation_share: float) -> bool:
    """Whether scikit-learn can stratify on ``strata``: every stratum has two rows, both parts one per stratum."""
    _, counts = np.unique(strata, return_counts=True)
    n, k = len(strata), len(counts)
    held_out = int(np.ceil(evaluation_share * n))
    return bool(counts.min() >= 2 and k <= held_out and k <= n - held_out)
