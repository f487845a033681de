"""nbconvert's HTML exporter without its second parse of the page: the same report, 0.3-0.5 s sooner.

nbconvert's :class:`~nbconvert.HTMLExporter` renders the page from its template, then parses the whole
page again with BeautifulSoup only to give images without alternative text a placeholder and to make
the notebook's input and output areas focusable (``tabindex="0"``), and writes the page out anew. A
report's page is 2 MB with thousands of table cells, so that pass costs more than the rendering.
:class:`ReportExporter` makes the same two changes on the rendered text instead. The page is the same
document: parsed by BeautifulSoup, it is what nbconvert writes (tested); only the whitespace between
tags and the order of attributes, which the parse rewrites, differ.

Imports nbconvert: import this module only when exporting.
"""

from __future__ import annotations

import re
from typing import Any

from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

NO_ALT = "No description has been provided for this image"
"""What nbconvert gives an image without alternative text (and warns about)."""

_IMAGE_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)", re.IGNORECASE)
_FOCUSABLE = re.compile(r"""(<div\b[^>]*\sclass=(["'])(?:[^"'>]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)"""
                        r"""(?:\s[^"'>]*)?\2)""")


class ReportExporter(HTMLExporter):
    """:class:`~nbconvert.HTMLExporter` that adds the alternative-text placeholder and ``tabindex`` on the text.

    Examples
    --------
    >>> import nbformat
    >>> output = nbformat.v4.new_output("display_data", data={"text/html": "<p>rates</p>"})
    >>> notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", outputs=[output])])
    >>> html, _ = ReportExporter().from_notebook_node(notebook)
    >>> html.count('tabindex="0"')  # the cell's input area and its output
    2
    """

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        """The page of ``nb``, as :meth:`nbconvert.HTMLExporter.from_notebook_node` makes it, without the parse."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessible(html, self.log), resources


def accessible(html: str, log: Any = None) -> str:
    """``html`` with a placeholder alternative text on each image without one, and the notebook's areas focusable.

    What nbconvert's exporter does through BeautifulSoup, done on the text: ``alt`` for ``<img>`` tags
    that have none (with a warning, as nbconvert logs it), ``tabindex="0"`` on the ``div`` elements
    of class ``jp-Cell-inputWrapper`` and ``jp-OutputArea-output``.

    Examples
    --------
    >>> accessible('<div class="jp-OutputArea-output jp-RenderedHTML"><img src="a.png"></div>')
    '<div class="jp-OutputArea-output jp-RenderedHTML" tabindex="0"><img alt="No description has been \
provided for this image" src="a.png"></div>'
    """
    html, missing = _IMAGE_WITHOUT_ALT.subn(f'<img alt="{NO_ALT}"', html)
    if missing and log is not None:
        log.warning("Alternative text is missing on %s image(s).", missing)
    return _FOCUSABLE.sub(r'\1 tabindex="0"', html)
