"""Writes docs/reference/cli.md, the command line's reference, from `keras_wgan.cli.build_parser`.

    python tools/cli_reference.py            # rewrite the page
    python tools/cli_reference.py --check    # exit 1 if the page is out of date

`tests/test_docs.py` fails when the committed page differs from what this renders, so a new
flag cannot go undocumented.
"""

import argparse
import os
import sys

PAGE = os.path.join(os.path.dirname(__file__), "..", "docs", "reference", "cli.md")

HEADER = """# Command line reference

Generated from the `keras-wgan` command's own parser (`keras_wgan.cli.build_parser`) by
`python tools/cli_reference.py`; a test fails when this page and the parser differ. The guide
to the commands is [The command line](../guides/command-line.md).
"""


def _cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def _flags(action):
    names = ", ".join(f"`{name}`" for name in action.option_strings) or f"`{action.dest}`"
    if action.option_strings and action.nargs != 0:
        metavar = action.metavar or action.dest.upper()
        if isinstance(metavar, tuple):
            metavar = " ".join(metavar)
        if action.choices is not None and action.metavar is None:
            metavar = "{" + ",".join(map(str, action.choices)) + "}"
        names += f" `{metavar}`"
        if action.nargs in ("?", "*"):
            names += " (optional)"
        elif action.nargs == "+":
            names += " (one or more)"
    return names


def _default(action):
    if action.required:
        return "required"
    if action.nargs == 0 or action.default in (None, argparse.SUPPRESS):
        return ""
    return f"`{action.default}`"


def _help(parser, action):
    if not action.help:
        return ""
    formatter = parser._get_formatter()
    return _cell(formatter._expand_help(action))


def _section(name, parser):
    lines = [f"## `keras-wgan {name}`", ""]
    if parser.description:
        lines += [_cell(parser.description), ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if a.help is not argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)
        ]
        if not actions:
            continue
        if group.title not in ("options", "optional arguments"):
            lines += [f"### {group.title[0].upper()}{group.title[1:]}", ""]
        lines += ["| flag | default | what it does |", "|---|---|---|"]
        for action in actions:
            lines.append(f"| {_flags(action)} | {_default(action)} | {_help(parser, action)} |")
        lines.append("")
    return lines


def render():
    """The page's Markdown, from the parser."""
    from keras_wgan.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps usage lines at the terminal's width
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    lines = [HEADER, "| command | what it does |", "|---|---|"]
    lines += [f"| [`{name}`](#keras-wgan-{name}) | {_cell(helps[name])} |" for name in sub.choices]
    lines.append("")
    for name, subparser in sub.choices.items():
        lines += _section(name, subparser)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    text = render()
    with open(PAGE) as f:
        current = f.read() if os.path.exists(PAGE) else ""
    if check:
        if current != text:
            print(f"{PAGE} is out of date: run python tools/cli_reference.py")
            return 1
        return 0
    with open(PAGE, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
