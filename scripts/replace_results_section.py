#!/usr/bin/env python3
"""Puts a section into docs/results.md between its markers <!-- NAME:begin --> and
<!-- NAME:end -->, replacing the section already there or appending it; the rest of the file is
kept. scripts/reproduce_tables.sh rewrites the file's head and keeps every marked section.

  /usr/bin/python3 scripts/replace_results_section.py NAME RESULTS_MD SECTION_MD
"""
import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip())
    name, path, section_path = sys.argv[1:]
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    with open(section_path) as f:
        block = f"{begin}\n{f.read().strip()}\n{end}"
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
