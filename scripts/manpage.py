#!/usr/bin/env python3
"""Writes nicvault(1) in roff from `nicvault --experimental-dump-help` (stdin): every command with its abstract,
discussion and options, then the exit codes and environment. Standard library only."""
import json
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote on a line."""
    out = []
    for line in text.replace("\\", "\\e").split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def options(command):
    lines = []
    for argument in command.get("arguments", []):
        names = [("--" if n["kind"] == "long" else "-") + n["name"] for n in argument.get("names", [])]
        if not names:
            names = ["<" + argument.get("valueName", "value") + ">"]
        if argument.get("kind") == "option":
            names = [n + " <" + argument.get("valueName", "value") + ">" for n in names]
        if any(n.startswith(("--help", "--version")) for n in names):
            continue
        lines.append(".TP\n\\fB" + roff(", ".join(names)) + "\\fR\n" + roff(argument.get("abstract", "")))
    return "\n".join(lines)


def commands(command, path):
    sections = []
    subcommands = command.get("subcommands", [])
    if path and command.get("commandName") != "help":
        body = [".SS " + roff("nicvault " + " ".join(path)), roff(command.get("abstract", ""))]
        if command.get("discussion"):
            body.append(".PP\n.nf\n" + roff(command["discussion"]) + "\n.fi")
        if not subcommands:
            body.append(options(command))
        sections.append("\n".join(part for part in body if part))
    for sub in subcommands:
        sections += commands(sub, path + [sub["commandName"]])
    return sections


def main():
    root = json.load(sys.stdin)["command"]
    print('.TH NICVAULT 1 "" "nicvault" "User Commands"')
    print(".SH NAME\nnicvault \\- " + roff(root.get("abstract", "")))
    print(".SH SYNOPSIS\n\\fBnicvault\\fR \\fIcommand\\fR [\\fIoptions\\fR]")
    print(".SH DESCRIPTION\n" + roff(root.get("discussion", "")))
    print(".SH COMMANDS")
    print("\n".join(commands(root, [])))
    print(".SH EXIT STATUS\n0 ok, 1 failure, 2 wrong passphrase or none available, 3 vault damaged or foreign,"
          " 4 conflict or locked, 5 portal refused or unreachable, 6 not found, 10 something is due"
          " (list \\-\\-due), 64 usage.")
    print(".SH ENVIRONMENT\nNICVAULT_FILE, NICVAULT_PASSPHRASE_FILE, NICVAULT_PASSPHRASE_COMMAND, NICVAULT_PASSPHRASE,"
          " NICVAULT_PASSPHRASE_TIMEOUT, NICVAULT_SESSION, XDG_DATA_HOME, XDG_STATE_HOME, XDG_CACHE_HOME, XDG_RUNTIME_DIR:"
          " see docs/cli.md.")
    print(".SH FILES\n$XDG_DATA_HOME/nicvault/vault.nicv (the vault), $XDG_STATE_HOME/nicvault/ (rollback memory,"
          " sandbox state), $XDG_CACHE_HOME/nicvault/lookup/ (where records are, for show and exec; a cache).")


if __name__ == "__main__":
    main()
