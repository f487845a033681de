"""``result.plot``: matplotlib plots of an audit result, the same ones the report shows.

Each method reads what a step recorded (its payload and, for per-row SHAP plots, its
artifacts), computes nothing, returns the :class:`~matplotlib.figure.Figure` and draws into
``ax`` when one is given. Data strings (column names, categories, groups) are drawn as written;
legends sit beside the axes, never over the data. A plot whose step did not run, or an unknown
grouping, feature or row, raises :class:`~auditkit.exceptions.InputError` naming what there is.
The design follows scikit-learn's ``RocCurveDisplay.plot(ax=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditkit.report import plots_explain, plots_fairness, plots_mitigation

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from auditkit.result import AuditResult


class ResultPlots:
    """The plots of one audit result, reached as ``result.plot``.

    A new figure is closed in pyplot as soon as it is made: a notebook shows it once, as the
    cell's value, and a script saves it with ``fig.savefig(...)``.

    Parameters
    ----------
    result : AuditResult
        An audit run in memory or loaded from ``audit.json``.

    Examples
    --------
    One audit, every plot (each method's own example continues this one):

    >>> import auditkit
    >>> result = auditkit.audit(data="german", sample=200, seed=1, min_group_size=10,
    ...                         steps=["fairness", "shap", "lime"],
    ...                         step_options={"fairness": {"n_boot": 20},
    ...                                       "lime": {"n_instances": 2, "repeats": 2, "num_samples": 200}})
    >>> result.plot.group_rates("sex").axes[0].get_title()
    'Rates by sex with 95% intervals'
    >>> result.plot.disparities(measure="ratio").axes[0].get_title()
    'Disparities (ratio, min / max) with 95% intervals'
    >>> result.plot.calibration("sex").axes[0].get_ylabel()
    'share actually positive'
    >>> result.plot.importance(max_display=3).axes[0].get_xlabel()
    'mean |SHAP value| (log-odds of class good)'
    >>> result.plot.beeswarm(max_display=5).axes[0].get_title()
    'SHAP value of each explained row: top 5 of 20 features'
    >>> result.plot.dependence("age").axes[0].get_title()
    'Dependence: age'
    >>> len(result.plot.waterfall(35, max_display=4).axes[0].patches)
    4
    >>> print(result.plot.group_attribution("sex").axes[0].get_title())
    Parts of the gap in mean output between each sex group
    and the reference sex=male; top 10 of 20 features
    >>> result.plot.lime(647).axes[0].get_xlabel()
    'weight (probability of class good)'
    >>> import matplotlib.pyplot as plt
    >>> fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    >>> result.plot.group_rates("sex", ax=left) is result.plot.calibration("sex", ax=right) is fig
    True
    >>> result.plot.group_rates("gender")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: group_rates: unknown grouping 'gender'; available: 'sex', 'age_group', ...
    >>> auditkit.audit(data="german", sample=100, seed=1, steps=["performance"]).plot.beeswarm()
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: beeswarm needs the shap step; this audit ran: performance
    """

    def __init__(self, result: AuditResult) -> None:
        self.result = result

    def __repr__(self) -> str:
        return "<plots: group_rates, disparities, calibration, importance, beeswarm, dependence, waterfall, " \
               "group_attribution, lime, mitigation>"

    def group_rates(self, grouping: str | Sequence[str] | None = None, metrics: str | Sequence[str] | None = None,
                    ax: Axes | None = None) -> Figure:
        """Bars of rates by group with their confidence intervals (fairness step).

        Parameters
        ----------
        grouping : str or sequence of str, optional
            A sensitive feature (``"sex"``) or an intersection (``"sex*age_group"``,
            ``("sex", "age_group")``). Default: the first sensitive feature.
        metrics : str or sequence of str, optional
            Metrics of ``fairness.by_group``. Default: selection rate, true and false positive
            rates (MAE and RMSE for regression).
        ax : matplotlib Axes, optional
            Draw into these axes instead of a new figure.

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.group_rates("sex*age_group", metrics="selection_rate")  # doctest: +SKIP
        >>> fig.savefig("group_rates.png")  # doctest: +SKIP
        """
        return plots_fairness.plot_group_rates(self.result, grouping, metrics, ax)

    def disparities(self, ax: Axes | None = None, *, measure: str = "difference",
                    method: str = "between_groups") -> Figure:
        """One bar per grouping and fairness criterion, with the disparity's interval (fairness step).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        measure : {"difference", "ratio"}, default "difference"
        method : {"between_groups", "to_reference"}, default "between_groups"
            Best- against worst-off group, or each group against the reference group.

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.disparities(measure="ratio")  # doctest: +SKIP
        >>> fig.savefig("disparities.png")  # doctest: +SKIP
        """
        return plots_fairness.plot_disparities(self.result, measure, method, ax)

    def calibration(self, grouping: str | Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
        """Reliability plot by group: share actually positive against mean score per score bin.

        Needs scores (a model with ``predict_proba`` or a scores column).

        Parameters
        ----------
        grouping : str or sequence of str, optional
            As for :meth:`group_rates`.
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.calibration("sex")  # doctest: +SKIP
        >>> fig.savefig("calibration.png")  # doctest: +SKIP
        """
        return plots_fairness.plot_calibration(self.result, grouping, ax)

    def importance(self, max_display: int = 20, ax: Axes | None = None) -> Figure:
        """Mean absolute SHAP value per feature (shap step).

        Parameters
        ----------
        max_display : int, default 20
            Features shown, most important first.
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.importance(max_display=3)  # doctest: +SKIP
        >>> fig.savefig("importance.png")  # doctest: +SKIP
        """
        return plots_explain.plot_importance(self.result, max_display, ax)

    def beeswarm(self, max_display: int = 10, ax: Axes | None = None) -> Figure:
        """The SHAP value of every explained row for the most important features (shap step).

        Colour shows a numeric feature's value (its percentile among the rows); grey marks
        categorical features and missing values.

        Parameters
        ----------
        max_display : int, default 10
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.beeswarm(max_display=5)  # doctest: +SKIP
        >>> fig.savefig("beeswarm.png")  # doctest: +SKIP
        """
        return plots_explain.plot_beeswarm(self.result, max_display, ax)

    def dependence(self, feature: str, ax: Axes | None = None) -> Figure:
        """A feature's SHAP value against its value in each explained row (shap step).

        Numeric features are a scatter; categorical ones a box per category (the 15 most
        frequent). Rows without a value are drawn apart, under a label no value of the
        column has (``"(missing)"``, see :mod:`auditkit.stats.missing_group`).

        Parameters
        ----------
        feature : str
            A model input, as named in the data.
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.dependence("age")  # doctest: +SKIP
        >>> fig.savefig("dependence.png")  # doctest: +SKIP
        """
        return plots_explain.plot_dependence(self.result, feature, ax)

    def waterfall(self, row: Any, max_display: int = 10, ax: Axes | None = None) -> Figure:
        """How one row's SHAP values lead from the base value to the model's output (shap step).

        Parameters
        ----------
        row : int or str
            The row's label in the audited data (``result.step("shap").artifacts["rows"]``).
        max_display : int, default 10
            Bars drawn; the remaining features are summed into one bar.
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.waterfall(35, max_display=4)  # doctest: +SKIP
        >>> fig.savefig("waterfall.png")  # doctest: +SKIP
        """
        return plots_explain.plot_waterfall(self.result, row, max_display, ax)

    def group_attribution(self, grouping: str | None = None, max_display: int = 10,
                          ax: Axes | None = None) -> Figure:
        """Each feature's part in the gap in mean model output between groups (shap step).

        By SHAP additivity the gap between a group's mean output and the reference group's
        splits exactly over the features. Without a decomposed gap (groups too small), the
        mean SHAP value per group is drawn; the title says which.

        Parameters
        ----------
        grouping : str, optional
            A sensitive feature. Default: the first.
        max_display : int, default 10
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.group_attribution("sex")  # doctest: +SKIP
        >>> fig.savefig("group_attribution.png")  # doctest: +SKIP
        """
        return plots_explain.plot_group_attribution(self.result, grouping, max_display, ax)

    def lime(self, row: Any, max_display: int = 10, ax: Axes | None = None) -> Figure:
        """LIME weights of one explained row, mean ± standard deviation over the repeats (lime step).

        Parameters
        ----------
        row : int or str
            The row's label in the audited data (``row_id`` of the lime step's instances).
        max_display : int, default 10
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        With ``result`` from the class example (which runs):

        >>> fig = result.plot.lime(647)  # doctest: +SKIP
        >>> fig.savefig("lime.png")  # doctest: +SKIP
        """
        return plots_explain.plot_lime(self.result, row, max_display, ax)

    def mitigation(self, criterion: str | None = None, ax: Axes | None = None) -> Figure:
        """Accuracy against disparity for each mitigation option, with intervals: the trade-off (mitigation step).

        The unmitigated model is a black star (a hollow one: a user's estimator refitted without
        a constraint, what the reductions are compared with); the dashed line joins the options no
        other beats.

        Parameters
        ----------
        criterion : {"demographic_parity", "equalized_odds"}, optional
            Draw one panel, for this criterion's difference. Default: both (one with ``ax``).
        ax : matplotlib Axes, optional

        Returns
        -------
        Figure

        Examples
        --------
        >>> import auditkit
        >>> result = auditkit.audit(data=auditkit.datasets.make_biased(1000, seed=0).frame, target="label",
        ...                         sensitive=["group"], steps=["mitigation"],
        ...                         step_options={"mitigation": {"methods": ["threshold_optimizer"], "n_boot": 50}})
        >>> [ax.get_title() for ax in result.plot.mitigation().axes]
        ['Demographic parity', 'Equalized odds']
        >>> fig = result.plot.mitigation("equalized_odds")
        >>> fig.savefig("mitigation.png")  # doctest: +SKIP
        """
        return plots_mitigation.plot_mitigation(self.result, criterion, ax)
