"""Print a report to PDF with headless Chromium (or Chrome), when one is installed.

The browser is the one named by the ``AUDITKIT_CHROMIUM`` environment variable, else the first of
``chromium``, ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on ``PATH``. It
prints the report with its print stylesheet (sections on new pages, folded sections open), from a
throw-away profile, with the network cut off: the report loads nothing remote anyway.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from auditkit.exceptions import BrowserError, BrowserNotFoundError, InputError
from auditkit.report.output_folder import atomic_path, show_path

BROWSER_ENV = "AUDITKIT_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT = 300  # seconds Chromium may take to print a report
# Chromium's switches (written without their leading "--") for a headless, offline, throw-away run.
HEADLESS_SWITCHES = ("headless", "disable-gpu", "no-first-run", "no-default-browser-check",
                     "disable-background-networking", "disable-extensions", "disable-sync",
                     "host-resolver-rules=MAP * ~NOTFOUND")
PRINT_SWITCHES = ("no-pdf-header-footer", "print-to-pdf-no-header")  # the second for Chrome before 120
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: apt-get install chromium; macOS: brew install chromium) "
                f"or Google Chrome, or set {BROWSER_ENV} to the browser's path")


def find_browser() -> str:
    """The path of the Chromium (or Chrome) that prints reports.

    Raises
    ------
    BrowserNotFoundError
        None is installed, or ``AUDITKIT_CHROMIUM`` names no executable.

    Examples
    --------
    >>> find_browser()  # doctest: +SKIP
    '/usr/bin/chromium'
    """
    configured = os.environ.get(BROWSER_ENV, "").strip()
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise BrowserNotFoundError(f"{BROWSER_ENV} must name a Chromium or Chrome executable; "
                                       f"got {configured!r}, which is not an executable file or on PATH")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    raise BrowserNotFoundError(f"no Chromium or Chrome found to print the report to PDF (looked for "
                               f"{', '.join(BROWSERS)} on PATH); {INSTALL_HINT}; report.html prints from "
                               "any browser too")


def print_pdf(path: str | os.PathLike[str], pdf_path: str | os.PathLike[str] | None = None, *,
              browser: str | None = None) -> Path:
    """Print the report ``path`` (``report.html``, or the folder holding it) to PDF; return the PDF's path.

    The PDF is written atomically, by default beside the HTML (``report.pdf``).

    Parameters
    ----------
    path : path-like
        The report's HTML file, or an audit folder holding ``report.html``.
    pdf_path : path-like, optional
        Where to write the PDF (its folder is created if needed); default the HTML's path with the
        suffix ``.pdf``.
    browser : str, optional
        The Chromium or Chrome executable; default :func:`find_browser`'s.

    Raises
    ------
    BrowserNotFoundError
        No Chromium or Chrome is installed (an :class:`~auditkit.exceptions.InputError`).
    BrowserError
        The browser did not print the PDF.

    Examples
    --------
    >>> print_pdf("reports/demo")  # doctest: +SKIP
    PosixPath('reports/demo/report.pdf')
    """
    html = _report_html(Path(path))
    target = Path(pdf_path) if pdf_path is not None else html.with_suffix(".pdf")
    executable = browser or find_browser()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="auditkit-chromium-") as profile, atomic_path(target) as staged:
        command = [executable, *browser_flags(profile), *map(_switch, PRINT_SWITCHES),
                   _switch(f"print-to-pdf={staged}"), html.resolve().as_uri()]
        _run(command, html, staged)
    return target


def browser_flags(profile: str) -> list[str]:
    """Command-line flags for a headless, offline, throw-away Chromium run with its profile in ``profile``.

    ``--no-sandbox`` is added when running as root, where Chromium refuses to start without it.

    Examples
    --------
    >>> flags = browser_flags("/tmp/profile")
    >>> flags[0], flags[-1]
    ('--headless', '--user-data-dir=/tmp/profile')
    """
    root = getattr(os, "geteuid", lambda: -1)() == 0
    switches = [*HEADLESS_SWITCHES, *(["no-sandbox"] if root else []), f"user-data-dir={profile}"]
    return [_switch(name) for name in switches]


def _switch(switch: str) -> str:
    return f"--{switch}"


def _report_html(path: Path) -> Path:
    html = path / "report.html" if path.is_dir() else path
    if not html.is_file():
        raise InputError(f"report to print must be a report.html file or a folder holding one; "
                         f"got {show_path(path)!r}, which has none")
    return html


def _run(command: list[str], html: Path, pdf: Path) -> None:
    """Run the browser; raise :class:`BrowserError` with its last words unless it wrote a PDF."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise BrowserError(f"{Path(command[0]).name} did not print {show_path(html)} within "
                           f"{PRINT_TIMEOUT} s") from None
    except OSError as error:
        raise BrowserError(f"{command[0]} could not be started: {error.strerror or error}") from None
    if not (pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"):
        said = [line.strip() for line in (done.stderr or "").splitlines() if line.strip()]
        last = f": {said[-1]}" if said else ""
        raise BrowserError(f"{Path(command[0]).name} did not print {show_path(html)} to PDF "
                           f"(exit status {done.returncode}){last}")
