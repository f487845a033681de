"""Data bias: representation, label base rates, missingness and proxies by group -- no model needed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from auditkit.data_bias import analysis as bias
from auditkit.data_bias import findings as found
from auditkit.exceptions import InputError
from auditkit.params import Boolean, Interval, ListOf, MappingOf, Scalar, Text, show
from auditkit.report.tables import records_frame
from auditkit.result import StepResult, to_jsonable
from auditkit.stats.counts import groupings
from auditkit.steps._base import COUNT, LEVEL, RESAMPLES, SHARE, Step


@dataclass
class DataBiasStep(Step):
    """Bias in the audited rows themselves, before any model.

    Reports, for every sensitive feature (and their intersections): how many rows each
    group has (against a reference distribution when given), the recorded outcome by group
    (positive share, class shares or mean), how often each column is missing by group,
    and which columns act as proxies of a sensitive feature, strongest first.

    Parameters
    ----------
    min_group_size : int, optional
        Groups smaller than this are left out of the tests; default the spec's.
    intersections : bool, default True
        Also report representation and base rates of intersections.
    reference_distribution : dict, optional
        ``{feature: {group: share}}`` expected shares (e.g. census figures).
    proxy_threshold : float, default 0.3
        Cramér's V at or above which a column is reported as a proxy (0.5 or more: high).
    columns : list of str, optional
        Columns to check for proxies and missingness. Default: for proxies every column
        except the target, prediction, score and sensitive columns (a column that is not a
        model input can still reveal a proxy in the data); for missingness the model's
        input features.
    n_boot : int, default 500
        Bootstrap resamples for the intervals (0: none).
    ci_level : float, default 0.95
    alpha : float, default 0.05
        Significance level of the tests (Holm-corrected within each kind of test).

    Examples
    --------
    >>> import auditkit
    >>> result = auditkit.audit(data="german", seed=1, steps=["data_bias"])
    >>> result.step("data_bias").payload["bias"]["proxies"][0]["feature"]
    'personal_status_sex'
    """

    min_group_size: int | None = None
    intersections: bool = True
    reference_distribution: dict[str, dict[str, float]] = field(default_factory=dict)
    proxy_threshold: float = 0.3
    columns: list[str] | None = None
    n_boot: int = 500
    ci_level: float = 0.95
    alpha: float = 0.05

    name = "data_bias"
    section = "data"
    constraints = {
        "min_group_size": [None, COUNT],
        "intersections": [Boolean()],
        "reference_distribution": [MappingOf(
            Text(), MappingOf(Scalar(), Interval(float, 0)),
            "a mapping of sensitive column to {group: share}, e.g. {sex: {Female: 0.5, Male: 0.5}}",
        )],
        "proxy_threshold": [SHARE],
        "columns": [None, ListOf(Text(), "a list of column names")],
        "n_boot": [RESAMPLES],
        "ci_level": [LEVEL],
        "alpha": [LEVEL],
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for feature, shares in self.reference_distribution.items():
            if not shares or sum(shares.values()) <= 0:
                raise InputError(f"data_bias step: reference_distribution for '{feature}' must hold shares that "
                                 f"add up to more than 0; got {show(shares)}")

    def check_sensitive(self, sensitive: list[str]) -> None:
        unknown = [str(f) for f in self.reference_distribution if f not in sensitive]
        if unknown:
            raise InputError(f"reference_distribution names {', '.join(unknown)}, which is not a "
                             f"sensitive feature of this audit ({', '.join(sensitive)})")

    def run(self, ctx) -> StepResult:
        min_size = int(self.min_group_size or ctx.spec.min_group_size)
        chosen = groupings(ctx.sensitive_features, self.intersections)
        columns = self._columns(ctx, list(ctx.frame.columns))
        features = self._columns(ctx, list(ctx.X.columns))
        self.check_sensitive(ctx.sensitive_features)
        n_boot, level = int(self.n_boot), float(self.ci_level)
        represented, fit_tests = bias.representation(ctx.sensitive, chosen, self.reference_distribution, n_boot,
                                                     ctx.rng("data_bias.representation"), level, ctx.group_codes)
        rates, rate_tests = bias.base_rates(ctx, chosen, min_size, n_boot, ctx.rng("data_bias.base_rates"), level)
        missing, missing_tests = bias.missingness(ctx.frame, ctx.sensitive, features, min_size, n_boot,
                                                  ctx.rng("data_bias.missingness"), level, ctx.group_codes)
        proxies, skipped = bias.proxies(ctx.frame, ctx.sensitive, columns, n_boot, ctx.rng("data_bias.proxies"),
                                        level, ctx.group_codes, lambda c: (ctx.number_summary(c) or (0, None))[1])
        return self.result_from(ctx, min_size, represented=represented, fit_tests=fit_tests, rates=rates,
                                rate_tests=rate_tests, missing=missing, missing_tests=missing_tests,
                                proxies=proxies, skipped=skipped)

    def result_from(self, ctx, min_size: int, *, represented: list, fit_tests: list, rates: list, rate_tests: list,
                    missing: list, missing_tests: list, proxies: list, skipped: list) -> StepResult:
        """The step's result from its computed parts: findings, payload and tables (both engines build it here)."""
        n_boot, level = int(self.n_boot), float(self.ci_level)
        findings = [
            *found.missing_sensitive_findings(represented),
            *found.representation_findings(represented, fit_tests, self.alpha),
            *found.base_rate_findings(rates, rate_tests, ctx.spec.task, self.alpha),
            *found.missingness_findings(missing_tests, self.alpha),
            *found.proxy_findings(proxies, float(self.proxy_threshold)),
        ]
        payload = {"bias": {
            "rows": ctx.n_rows, "representation": represented, "representation_tests": fit_tests,
            "base_rates": rates, "base_rate_tests": rate_tests, "missingness": missing,
            "missingness_tests": missing_tests, "proxies": proxies, "skipped_columns": skipped,
            "settings": {"min_group_size": min_size, "proxy_threshold": float(self.proxy_threshold),
                         "n_boot": n_boot, "ci_level": level, "alpha": float(self.alpha)},
        }}
        return StepResult(name=self.name, section=self.section, payload=payload, tables=bias_tables(payload),
                          findings=findings)

    @staticmethod
    def tables_from_payload(payload: dict) -> dict[str, pd.DataFrame]:
        return bias_tables(payload)

    def _columns(self, ctx, default: list[str]) -> list[str]:
        excluded = {ctx.target, ctx.spec.predictions, ctx.spec.scores, *ctx.sensitive_features}
        if self.columns is None:
            return [c for c in default if c not in excluded and c in ctx.frame.columns]
        missing = [c for c in self.columns if c not in ctx.frame.columns]
        if missing:
            raise InputError(f"data_bias columns not in the data: {', '.join(map(str, missing))}")
        return [c for c in self.columns if c not in excluded]


def bias_tables(payload: dict) -> dict[str, pd.DataFrame]:
    """``representation``, ``base_rates``, ``missingness`` and ``proxies``, one row per group (or column pair).

    Groups are labels such as ``"sex=female, race=Black"``; every interval is two columns
    (``share_ci_low``, ``share_ci_high``; ``base_rate_ci_low``, ... ``mean_target_ci_low`` for
    regression; ``missing_rate_ci_low``, ...; ``cramers_v_ci_low``, ...).

    Examples
    --------
    >>> payload = {"bias": {
    ...     "representation": [{"grouping": "sex", "group": {"sex": "female"}, "n": 30, "share": 0.3,
    ...                         "share_ci": [0.21, 0.4], "missing_group": False}],
    ...     "base_rates": [{"grouping": "sex", "group": {"sex": "female"}, "n": 30, "base_rate": 0.7,
    ...                     "ci": [0.53, 0.83], "small_group": False}]}}
    >>> tables = bias_tables(payload)
    >>> list(tables)
    ['representation', 'base_rates', 'missingness', 'proxies']
    >>> tables["representation"][["group", "n", "share", "share_ci_low", "share_ci_high"]]
            group   n  share  share_ci_low  share_ci_high
    0  sex=female  30    0.3          0.21            0.4
    >>> tables["base_rates"].columns.tolist()
    ['grouping', 'group', 'n', 'base_rate', 'base_rate_ci_low', 'base_rate_ci_high', 'small_group']
    """
    bias = to_jsonable(payload).get("bias", {})
    rates = bias.get("base_rates", [])
    outcome = "mean_target" if rates and "mean_target" in rates[0] else "base_rate"
    return {
        "representation": records_frame(bias.get("representation", []), REPRESENTATION_COLUMNS,
                                        floats=["share", "reference_share", "ratio_to_reference"]),
        "base_rates": records_frame(rates, ("grouping", "group", "n", outcome, f"{outcome}_ci_low",
                                            f"{outcome}_ci_high", "small_group"),
                                    intervals={"ci": outcome}, floats=[outcome]),
        "missingness": records_frame(bias.get("missingness", []), MISSINGNESS_COLUMNS,
                                     intervals={"ci": "missing_rate"}, floats=["missing_rate"]),
        "proxies": records_frame(bias.get("proxies", []), PROXY_COLUMNS,
                                 floats=["cramers_v", "mutual_information_bits", "entropy_share",
                                         "balanced_accuracy", "chance_balanced_accuracy"]),
    }


REPRESENTATION_COLUMNS = ("grouping", "group", "n", "share", "share_ci_low", "share_ci_high", "missing_group")
MISSINGNESS_COLUMNS = ("feature", "group", "column", "n", "n_missing", "missing_rate", "missing_rate_ci_low",
                       "missing_rate_ci_high", "small_group")
PROXY_COLUMNS = ("sensitive_feature", "feature", "cramers_v", "cramers_v_ci_low", "cramers_v_ci_high",
                 "mutual_information_bits", "entropy_share", "balanced_accuracy", "chance_balanced_accuracy",
                 "n_levels", "kind")
