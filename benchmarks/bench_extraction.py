"""Quote extraction time on adversarial quote-mark inputs and on a large normal text, at growing sizes.

Linear time shows as a constant time per MB: doubling the input doubles the time (a quadratic pass
would quadruple it). The adversarial inputs are made of quote marks: runs of one mark, marks of every
kind at random, opening marks never closed, marks between letters, and dense real quotations. The
normal text is the seed articles repeated.

    .venv/bin/python benchmarks/bench_extraction.py                 (sizes 0.25 0.5 1 MB)
    .venv/bin/python benchmarks/bench_extraction.py --sizes 1 2
"""
from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.quotes import TRAILING_BOILERPLATE_LINE, extract_quotes
from pipeline.types import Article

REPO = Path(__file__).resolve().parents[1]
MB = 1_000_000


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _random_marks(size: int) -> str:
    generator = random.Random(42)
    return "".join(generator.choice("\"“”‘’' \n") for _ in range(size))


def _normal_text(size: int) -> str:
    """The seed articles' prose paragraphs (their site furniture left out, since it ends an article)."""
    paragraphs = [
        line
        for path in sorted((REPO / "seeds").glob("*.txt"))
        for line in path.read_bytes().decode("utf-8").splitlines()
        if len(line) > 80 and line.rstrip().endswith((".", '"', "”")) and not TRAILING_BOILERPLATE_LINE.match(line)
    ]
    return _repeat("\n\n".join(paragraphs) + "\n\n", size)


INPUTS: dict[str, Callable[[int], str]] = {
    'one straight mark ("""…)': lambda size: _repeat('"', size),
    "opening curly marks (“““…)": lambda size: _repeat("“", size),
    "random marks, spaces, newlines": _random_marks,
    'marks between letters ("a"a…)': lambda size: _repeat('"a', size),
    "one unclosed quotation": lambda size: '"' + _repeat("a ", size - 1),
    "dense quotations (“a” “a” …)": lambda size: _repeat("“a” ", size),
    "normal text (seed articles)": _normal_text,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 0.5, 1.0], help="input sizes in MB")
    args = parser.parse_args()
    sizes = [int(size * MB) for size in args.sizes]
    header = "".join(f"{size / MB:>9.2f} MB" for size in sizes)
    print(f"{'input':<34}{header}   s/MB at largest   quotes at largest")
    for name, make in INPUTS.items():
        timings, quotes = [], 0
        for size in sizes:
            article = Article(id="bench", source="bench", title="bench", text=make(size))
            started = time.perf_counter()
            quotes = len(extract_quotes(article))
            timings.append(time.perf_counter() - started)
        cells = "".join(f"{seconds:>10.3f} s" for seconds in timings)
        print(f"{name:<34}{cells}   {timings[-1] / (sizes[-1] / MB):>15.3f}   {quotes:>17}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
