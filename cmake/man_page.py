#!/usr/bin/env python3
"""Writes fanout's man page (fanout.1) from the binary's own help: `fanout --help` for the
synopsis and the list of commands, then `fanout COMMAND --help` for each command, so the
page says what the installed binary accepts. Run by the build (CMakeLists.txt, fanout_man).

Usage: man_page.py FANOUT VERSION OUTPUT
"""
import re
import subprocess
import sys


def help_text(fanout, *args):
    result = subprocess.run([fanout, *args, "--help"], capture_output=True, text=True,
                            check=False)
    text = (result.stdout or result.stderr).replace(fanout, "fanout")
    if result.returncode != 0 or not text.strip():
        sys.exit(f"man_page.py: `{fanout} {' '.join(args)} --help` failed: {result.stderr}")
    return text


def roff(text):
    """Escapes text for a roff line: backslashes, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def commands(top_help):
    """The command names listed under SUBCOMMANDS: in the top-level help."""
    names, listing = [], False
    for line in top_help.splitlines():
        if line.strip().upper().startswith("SUBCOMMANDS"):
            listing = True
            continue
        if listing:
            match = re.match(r"^\s+([a-z][a-z0-9-]*)\s", line + " ")
            if match:
                names.append(match.group(1))
            elif line.strip() and not line.startswith(" "):
                listing = False
    return names


def preformatted(text):
    lines = [".nf"]
    lines += [roff(line) for line in text.rstrip().splitlines()]
    lines.append(".fi")
    return lines


def main():
    fanout, version, output = sys.argv[1:4]
    top = help_text(fanout)
    summary = top.strip().splitlines()[0]
    if ":" in summary:
        summary = summary.split(":", 1)[1].strip()
    page = [
        '.TH FANOUT 1 "" "fanout %s" "User Commands"' % version,
        ".SH NAME",
        "fanout \\- " + roff(summary),
        ".SH SYNOPSIS",
        ".B fanout",
        "\\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
        ".br",
        ".B fanout",
        "\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR",
        ".SH DESCRIPTION",
    ]
    page += preformatted(top)
    page.append(".SH COMMANDS")
    for name in commands(top):
        page += [".SS " + name]
        page += preformatted(help_text(fanout, name))
    page += [
        ".SH FILES",
        "The documentation, including the description format and the sandbox's guarantees, is "
        "installed in \\fI/usr/share/doc/fanout\\fR.",
        ".SH SEE ALSO",
        ".BR ninja (1),",
        ".BR git (1)",
    ]
    with open(output, "w", encoding="utf-8") as out:
        out.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
