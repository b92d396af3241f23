#!/usr/bin/env python3
"""Assembles BENCHMARKS.md from the hand-written parts and the raw outputs of the quoted runs.

Usage: python3 benchmarks/assemble_benchmarks_md.py RUN_DIR   (run from the repository root)
RUN_DIR holds out-quick.txt, out-full.txt, out-profile.txt, out-ws.txt, out-ws-idle.txt, commit.txt
and optionally out-full-profile.txt.
"""
import re
import sys
from pathlib import Path

run = Path(sys.argv[1])
here = Path(__file__).parent


def read(name):
    p = run / name
    return p.read_text() if p.exists() else f"({name} missing: that run did not finish)\n"


def tables(text):
    """The markdown tables printed at the end of a run (results and ratios)."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("## Results")), None)
    if start is None:
        return "(no result table: the run did not finish)\n"
    out = [l for l in lines[start + 1:] if l.startswith("|") or l.startswith("## Ratios")]
    res, cur = [], []
    for l in out:
        if l.startswith("## Ratios"):
            res.append("\n".join(cur)); cur = []
            res.append("\n" + l.replace("## ", "**").rstrip() + "**\n")
        else:
            cur.append(l)
    res.append("\n".join(cur))
    return "\n".join(res) + "\n"


def header_lines(text):
    return "\n".join(l for l in text.splitlines() if l.startswith(("$ ", "uptime", "cores:", "cpu:", "load average", "os:"))) + "\n"


parts = [
    (here / "BENCHMARKS.head.md").read_text(),
    "\n## Results: quick run (R=10, M=3, 100 B)\n\n",
    "Commit: `" + read("commit.txt").strip() + "`\n\n```\n" + header_lines(read("out-quick.txt")) + "```\n\n",
    tables(read("out-quick.txt")),
    (here / "BENCHMARKS.quick-notes.md").read_text() if (here / "BENCHMARKS.quick-notes.md").exists() else "",
    "\n## Results: full run (the matrix)\n\n```\n" + header_lines(read("out-full.txt")) + "```\n\n",
    tables(read("out-full.txt")),
    (here / "BENCHMARKS.full-notes.md").read_text() if (here / "BENCHMARKS.full-notes.md").exists() else "",
    "\n## WebSocket fan-out (2,000 clients over 3 nodes)\n\n```\n" + header_lines(read("out-ws.txt")) + "```\n\n",
    tables(read("out-ws.txt")).split("**Ratios")[0],
    "\n## Idle WebSocket connections (one node)\n\n```\n" + read("out-ws-idle.txt") + "```\n",
    (here / "BENCHMARKS.tail.md").read_text(),
    "\n## Appendix: raw output of the quoted runs\n",
]
for name, title in [("out-quick.txt", "quick"), ("out-profile.txt", "quick JFR profile of chatmesh-grpc"),
                    ("out-ws.txt", "WebSocket fan-out"), ("out-ws-idle.txt", "idle WebSocket connections"),
                    ("out-full.txt", "full"), ("out-full-profile.txt", "full JFR profile of chatmesh-grpc (the matrix, chatmesh-grpc only)")]:
    parts.append(f"\n### {title}\n\n```\n{read(name)}```\n")
Path("BENCHMARKS.md").write_text("".join(parts))
print("wrote BENCHMARKS.md")
