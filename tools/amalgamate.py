#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate single_include/elman/elman.hpp from the umbrella include/elman/elman.hpp.

Every `#include <elman/...>` is replaced by the file's text the first time it is met and by a
`// #include <elman/...>` marker every time (so the origin of each block stays visible); a `.inc` kernel body is
expanded at every include site, since each inclusion instantiates it for another instruction set. Per-file
`#pragma once` and SPDX lines are dropped; one banner and one `#pragma once` open the result.
The output depends only on the input files: no timestamps, no absolute paths.

Usage:
    python3 tools/amalgamate.py           # rewrite single_include/elman/elman.hpp
    python3 tools/amalgamate.py --check   # exit 1 (with a diff) if the committed file is stale
    python3 tools/amalgamate.py --output FILE [--version X.Y.Z]   # write elsewhere, optionally re-versioned

Rules it enforces, so the single header stays "Eigen and the standard library only":
  * an `#include <elman/io/...>` (optional dependencies such as HDF5) is an error;
  * an `#include <elman/...>` inside `#if`/`#ifdef` is an error (inlining it once would be wrong);
  * an unconditional include that is neither `<Eigen/...>`, `<unsupported/Eigen/...>` nor a
    standard header is an error; conditional ones (opt-in backends) are left as they are.
"""

import argparse
import difflib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE_DIR = ROOT / "include"
UMBRELLA = "elman/elman.hpp"
DEFAULT_OUTPUT = ROOT / "single_include" / "elman" / "elman.hpp"

INCLUDE_RE = re.compile(r"^\s*#\s*include\s*([<\"])([^>\"]+)[>\"]")
ELMAN_INCLUDE_RE = re.compile(r"^\s*#\s*include\s*<(elman/[^>]+)>")
PRAGMA_ONCE_RE = re.compile(r"^\s*#\s*pragma\s+once\b")
SPDX_RE = re.compile(r"^\s*//\s*SPDX-License-Identifier:")
IF_RE = re.compile(r"^\s*#\s*if(n?def)?\b")
ENDIF_RE = re.compile(r"^\s*#\s*endif\b")
VERSION_RE = re.compile(r"^#define ELMAN_VERSION_(MAJOR|MINOR|PATCH) ([0-9]+)$", re.MULTILINE)
STD_HEADER_RE = re.compile(r"^[a-z_]+(\.h)?$")


class AmalgamationError(Exception):
    pass


def read_version(text):
    parts = dict(VERSION_RE.findall(text))
    try:
        return "{}.{}.{}".format(parts["MAJOR"], parts["MINOR"], parts["PATCH"])
    except KeyError as missing:
        raise AmalgamationError("include/elman/version.hpp lacks ELMAN_VERSION_{}".format(missing))


class Amalgamator:
    def __init__(self, include_dir):
        self.include_dir = include_dir
        self.done = set()
        self.stack = []

    def header(self, name):
        path = self.include_dir / name
        if not path.is_file():
            where = self.stack[-1] if self.stack else "the command line"
            raise AmalgamationError("<{}> included from {} does not exist under include/".format(name, where))
        return path.read_text(encoding="utf-8")

    def expand(self, name):
        if name.startswith("elman/io/"):
            raise AmalgamationError(
                "<{}> (included from {}) belongs to elman/io, whose optional dependencies must stay out of the "
                "umbrella and the single header".format(name, self.stack[-1])
            )
        if name in self.stack:
            raise AmalgamationError("include cycle: {} -> {}".format(" -> ".join(self.stack), name))
        self.done.add(name)
        self.stack.append(name)
        out = []
        depth = 0
        lines = self.header(name).splitlines()
        for number, line in enumerate(lines, start=1):
            where = "{}:{}".format(name, number)
            if PRAGMA_ONCE_RE.match(line) or SPDX_RE.match(line):
                continue
            if IF_RE.match(line):
                depth += 1
            elif ENDIF_RE.match(line):
                depth -= 1
            own = ELMAN_INCLUDE_RE.match(line)
            if own and own.group(1).endswith(".inc"):
                # A kernel body (detail/simd_kernels.inc) is meant to be expanded at every include site, each
                # inside its own namespace and target region, so it is inlined each time (also under #if).
                out.append("// #include <{}>".format(own.group(1)))
                out.extend(self.expand(own.group(1)))
                continue
            if own:
                target = own.group(1)
                if depth > 0:
                    raise AmalgamationError(
                        "{}: conditional #include <{}> cannot be amalgamated; include it unconditionally "
                        "or keep the header out of the umbrella".format(where, target)
                    )
                out.append("// #include <{}>".format(target))
                if target not in self.done:
                    out.extend(self.expand(target))
                continue
            other = INCLUDE_RE.match(line)
            if other:
                kind, target = other.groups()
                allowed = kind == "<" and (
                    target.startswith("Eigen/") or target.startswith("unsupported/Eigen/") or STD_HEADER_RE.match(target)
                )
                if not allowed and depth == 0:
                    raise AmalgamationError(
                        "{}: #include {}{}{} is neither Eigen nor the standard library".format(
                            where, kind, target, ">" if kind == "<" else '"'
                        )
                    )
            out.append(line.rstrip())
        if depth != 0:
            raise AmalgamationError("{}: unbalanced #if/#endif".format(name))
        # Drop the blank lines left at the top where the SPDX line and #pragma once were.
        while out and not out[0].strip():
            out.pop(0)
        self.stack.pop()
        return out


def amalgamate(include_dir, version_override=None):
    version_text = (include_dir / "elman" / "version.hpp").read_text(encoding="utf-8")
    version = read_version(version_text)
    body = Amalgamator(include_dir).expand(UMBRELLA)
    if version_override:
        if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version_override):
            raise AmalgamationError("--version must look like X.Y.Z")
        major, minor, patch = version_override.split(".")
        replaced = {"MAJOR": major, "MINOR": minor, "PATCH": patch}
        count = 0
        for i, line in enumerate(body):
            match = VERSION_RE.match(line)
            if match:
                body[i] = "#define ELMAN_VERSION_{} {}".format(match.group(1), replaced[match.group(1)])
                count += 1
        if count != 3:
            raise AmalgamationError("expected three ELMAN_VERSION_* lines to patch, found {}".format(count))
        version = version_override
    # Collapse runs of blank lines so the seams between files stay tidy.
    lines = []
    for line in body:
        if not line and lines and not lines[-1]:
            continue
        lines.append(line)
    banner = [
        "// SPDX-License-Identifier: MIT",
        "// elman {} -- Keras SimpleRNN (TF 2.4 semantics) as a header-only C++17 library on Eigen 3.4.".format(version),
        "// Copyright (c) 2026 The elman authors. MIT License, see LICENSE in the elman repository.",
        "//",
        "// GENERATED FILE, DO NOT EDIT. Produced by tools/amalgamate.py from include/elman/elman.hpp;",
        "// rerun `python3 tools/amalgamate.py` after changing any header. Requires only Eigen and the",
        "// C++17 standard library: `c++ -std=c++17 -I single_include -I /usr/include/eigen3 main.cpp`.",
        "#pragma once",
        "",
    ]
    return "\n".join(banner + lines).rstrip("\n") + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed single header is stale")
    parser.add_argument("--output", type=pathlib.Path, default=DEFAULT_OUTPUT, help="file to write or check")
    parser.add_argument("--include-dir", type=pathlib.Path, default=INCLUDE_DIR, help="the multi-header tree")
    parser.add_argument("--version", help="write this X.Y.Z into the copy instead (for the ABI test)")
    args = parser.parse_args(argv)
    try:
        text = amalgamate(args.include_dir, args.version)
    except AmalgamationError as error:
        print("amalgamate.py: error: {}".format(error), file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current == text:
            print("amalgamate.py: {} is up to date".format(args.output))
            return 0
        diff = list(
            difflib.unified_diff(
                current.splitlines(), text.splitlines(), "committed", "regenerated", lineterm="", n=1
            )
        )
        sys.stderr.write("\n".join(diff[:80]) + "\n")
        if len(diff) > 80:
            sys.stderr.write("... ({} more diff lines)\n".format(len(diff) - 80))
        print(
            "amalgamate.py: {} is stale; run `python3 tools/amalgamate.py` and commit it".format(args.output),
            file=sys.stderr,
        )
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
