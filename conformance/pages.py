"""HTML pages from the jinja2 templates in conformance/templates/.

Autoescaping is on for every template, and every value a template prints first goes through
`untrusted.visible`: text from an implementation under test or a student (exception messages,
file names) can neither become markup nor carry control characters into the page.
jinja2 is imported only here, when a page is rendered: grading to Gradescope's JSON needs
NumPy alone.
"""

import functools
import math

from .untrusted import visible

# The colour of each state of a case or test, in both reports (the screenshot tests look for
# these pixels): passed, failed, known (an expected failure) and missing.
COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "known": "#f9a825", "missing": "#9e9e9e"}
INSTALL_HINT = "pip install -c constraints.txt 'scratch-cnn[grade]' (or '.[conformance]')"


class MissingJinja(RuntimeError):
    """HTML output asked for where jinja2 is not installed."""


def require_jinja():
    """Raise MissingJinja, with how to install it, unless jinja2 can be imported."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        raise MissingJinja(f"HTML reports need jinja2, which is not installed: "
                           f"{INSTALL_HINT}") from None


def render(template, **context):
    return _environment().get_template(template).render(colours=COLOURS, **context)


def number(x, digits=2):
    """A float for a table: 2 significant digits; inf and nan spelled out."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.{digits}g}"


def points(x):
    """Points without trailing zeros: 7.5, 10."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _shown(value):
    # markup the templates built themselves (macros) is already safe; any other text is data
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return visible(value)
    return value


@functools.cache
def _environment():
    require_jinja()
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
        finalize=_shown)
    env.filters.update(number=number, points=points)
    return env
