#!/usr/bin/env python3
"""Compatibility entry point: the report generator is the vfreport package beside this file.

  gen_report.py --results DIR/results.json [--published F] [--out DIR] [--no-plots] [--testbed-md F]
  gen_report.py --check DIR/results.json
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vfreport.cli import main  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["--check"]:
        sys.exit(main(["check"] + argv[1:]))
    sys.exit(main(["report"] + argv))
