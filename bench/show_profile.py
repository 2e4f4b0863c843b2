"""Summarise a profile written by ``--profile`` (py-spy collapsed stacks).

    .venv/bin/python bench/show_profile.py bench/out/profiles/payment-20.txt
"""
from __future__ import annotations

import sys
from pathlib import Path

from common import summary

if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"== {name}")
        print(summary(Path(name)))
