"""Griffe extension of the site's API reference (mkdocs.yml): doctest examples as code.

The package's docstrings put their doctests right under an "Example:" line, not indented as
a Google-style section, so griffe reads them as prose and Markdown would turn `>>>` into
nested quotes. This wraps each run of doctest lines (a `>>>` line, its `...` lines and its
output, up to a blank line) in a fenced `pycon` block; the docstrings stay as they are.
"""

import griffe


def fence_doctests(text):
    """Returns `text` with every doctest run fenced as `pycon` code."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if stripped.startswith(">>>"):
            indent = lines[i][: len(lines[i]) - len(stripped)]
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
