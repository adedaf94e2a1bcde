"""Scoring throughput and peak memory: the naive transformers pipeline against each backend of ``stance score``.

Builds corpora of N articles by recombining the seed articles' paragraphs (deterministic, seeded), then measures
each configuration in a fresh subprocess so that start-up, model loading and peak RSS are its own:

    .venv/bin/python benchmarks/bench_scoring.py --sizes 1000 10000      (or: make bench)

The naive baseline is ``transformers.pipeline("text-classification")`` called one sentence at a time, the way
a first script would; it is timed on at most ``--baseline-sample`` sentences and its rate extrapolated (said so
in the table). Every backend runs the real streaming ``stance score`` command. The fraction of peak is the
encoder's FLOPs per sentence times sentences/s, over an fp32 matmul peak measured here with numpy.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ("torch", "onnx", "onnx-int8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(REPO / "models" / "latest"), help="a trained bundle folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="corpus sizes in articles")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1],
                        help="score.workers settings to run each backend with (0 = one process per core)")
    parser.add_argument("--baseline-sample", type=int, default=1000, help="sentences the naive baseline is timed on")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child)
    model = Path(args.model)
    if not (model / "stance.json").exists():
        print(f"no trained model at {model}: run 'make train' first (or pass --model FOLDER)", file=sys.stderr)
        return 1
    peak = matmul_peak_gflops()
    print(f"model: {model.resolve().name}; cores: {len(os.sched_getaffinity(0))}; fp32 matmul peak: {peak:.1f} GFLOP/s")
    with tempfile.TemporaryDirectory(prefix="stance-bench-") as scratch:
        results = []
        for size in args.sizes:
            corpus = build_corpus(Path(scratch) / f"corpus-{size}", size, args.seed)
            baseline = _run_child(["baseline", str(corpus), str(model), str(args.baseline_sample)])
            results.append((size, "naive pipeline (1 sentence/call)", baseline))
            for backend in args.backends:
                for workers in args.workers:
                    output = Path(scratch) / f"scores-{size}-{backend}-{workers}.jsonl"
                    measured = _run_child(["score", str(corpus), str(model), backend, str(output), str(workers)])
                    processes = f"{measured['workers']} processes" if measured["workers"] > 1 else "1 process"
                    results.append((size, f"stance score --backend {backend}, workers={workers}: {processes}", measured))
        print()
        print_table(results, model, peak)
        print()
        print(f"warm 'stance score seeds/' with the default backend: {warm_seed_wall(model, Path(scratch)):.2f} s wall")
    return 0


def build_corpus(folder: Path, size: int, seed: int) -> Path:
    """``size`` articles, each a seed's headline and dateline followed by body paragraphs drawn from every seed."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    split = [[p.strip() for p in text.split("\n\n") if p.strip()] for text in seeds]
    heads = [paragraphs[:2] for paragraphs in split]
    bodies = [p for paragraphs in split for p in paragraphs[2:]]
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for index in range(size):
        title, dateline = rng.choice(heads)
        body = rng.sample(bodies, rng.randint(6, 14))
        text = "\n\n".join([f"{title} ({index})", dateline, *body]) + "\n"
        (folder / f"article-{index:06d}.txt").write_text(text, encoding="utf-8")
    return folder


def matmul_peak_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Best of a few fp32 square matmuls on every core: the machine's practical dense-compute ceiling."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def flops_per_sentence(model: Path, tokens: float) -> float:
    """Encoder FLOPs for a sentence of ``tokens`` tokens: projections and FFN, plus attention over the tokens."""
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    hidden, layers, inner = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    per_token_layer = 2 * (4 * hidden * hidden + 2 * hidden * inner) + 2 * 2 * tokens * hidden
    return layers * tokens * per_token_layer


def print_table(results: list, model: Path, peak: float) -> None:
    tokens = {size: r["mean_tokens"] for size, _, r in results if r["mean_tokens"]}
    flops = {size: flops_per_sentence(model, mean) for size, mean in tokens.items()}
    for size, per_sentence in flops.items():
        print(f"{size} articles: mean {tokens[size]:.1f} tokens per sentence, {per_sentence / 1e6:.1f} MFLOPs per sentence")
    header = f"| {'articles':>8} | {'method':<48} | {'articles/s':>10} | {'sentences/s':>11} | {'x baseline':>10} | {'% of peak':>9} | {'peak RSS MiB':>12} |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    baselines = {size: r for size, method, r in results if method.startswith("naive")}
    for size, method, r in results:
        note = f" (warm, best of 3 passes over {r['timed_sentences']})" if r.get("timed_sentences", r["sentences"]) < r["sentences"] else ""
        ratio = r["sentences_per_s"] / baselines[size]["sentences_per_s"]
        share = 100 * flops[size] * r["sentences_per_s"] / (peak * 1e9)
        print(
            f"| {size:>8} | {method + note:<48} | {r['articles_per_s']:>10.1f} | {r['sentences_per_s']:>11.1f} "
            f"| {ratio:>10.1f} | {share:>8.1f}% | {r['peak_rss_mib']:>12.0f} |"
        )


def warm_seed_wall(model: Path, scratch: Path) -> float:
    """The real command twice; the second (warm page cache) is reported."""
    command = [str(REPO / ".venv" / "bin" / "stance"), "score", str(REPO / "seeds"), "--model", str(model),
               "--output", str(scratch / "seeds.jsonl")]
    walls = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=REPO, capture_output=True)
        walls.append(time.perf_counter() - start)
    return walls[-1]


def _run_child(arguments: list[str]) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *arguments], cwd=REPO, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark child {arguments[0]} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _child(arguments: list[str]) -> int:
    """Runs in a fresh process: one measurement, printed as a JSON line with its wall time and peak RSS."""
    kind, corpus, model, *rest = arguments
    result = _naive_baseline(Path(corpus), Path(model), int(rest[0])) if kind == "baseline" else _stance_score(
        Path(corpus), Path(model), rest[0], Path(rest[1]), int(rest[2])
    )
    wall = result.pop("seconds")
    result |= {"articles_per_s": result["articles"] / wall, "sentences_per_s": result["sentences"] / wall}
    print(json.dumps(result))
    return 0


def _peak_rss_mib(workers: int) -> float:
    """This process's peak plus the largest worker's times their number (the kernel keeps only the largest
    child's peak): an upper bound on the combined peak."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if workers > 1 else 0
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + workers * children) / 1024


def _stance_score(corpus: Path, model: Path, backend: str, output: Path, workers: int) -> dict:
    """The real command, in this process, so its peak RSS is this process's (plus its workers'); timed from
    before its imports, as a user's ``stance score`` would be."""
    import contextlib
    import io

    start = time.perf_counter()
    from pipeline.cli import DEFAULT_CONFIG, main
    from pipeline.config import load_config
    from pipeline.score import worker_plan

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["score", str(corpus), "--model", str(model), "--backend", backend, "--output", str(output),
                     "--set", f"score.workers={workers}"])
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"stance score --backend {backend} exited {code}")
    articles = len(list(corpus.glob("*.txt")))
    parallel = articles > load_config(REPO / DEFAULT_CONFIG).score.chunk_articles  # one chunk stays in one process
    processes = worker_plan(workers, 0)[0] if parallel else 1
    peak = _peak_rss_mib(processes)  # taken before the counting below, which is the bench's work, not the scorer's
    return {"articles": articles, "sentences": sum(1 for _ in output.open(encoding="utf-8")), "seconds": seconds,
            "peak_rss_mib": peak, "mean_tokens": _mean_tokens(model, output), "workers": processes}


def _naive_baseline(corpus: Path, model: Path, sample: int) -> dict:
    """Extraction as in ``score``, then a default ``transformers`` pipeline called once per sentence.

    The sample is classified once to warm up, then timed in three passes of which the fastest counts: this shared
    machine's background load moves a single pass by up to a third, and taking the best favours the baseline.
    """
    from transformers import pipeline as hf_pipeline

    from pipeline.config import ExtractionConfig
    from pipeline.ingest import read_articles
    from pipeline.score import extract_sentences

    start = time.perf_counter()
    classifier = hf_pipeline("text-classification", model=str(model), device="cpu")
    articles = list(read_articles([corpus], lambda skipped: None))
    sentences = [s.text for a in articles for s in extract_sentences(a, ExtractionConfig())]
    setup = time.perf_counter() - start
    timed = sentences[:sample]
    [classifier(s) for s in timed]  # warm-up: torch builds kernels per new input shape, slow the first time only
    classify = min(_timed(lambda: [classifier(s) for s in timed]) for _ in range(3))
    seconds = setup + classify * len(sentences) / max(len(timed), 1)
    return {"articles": len(articles), "sentences": len(sentences), "timed_sentences": len(timed), "seconds": seconds,
            "peak_rss_mib": _peak_rss_mib(1), "mean_tokens": 0.0, "workers": 1}


def _mean_tokens(model: Path, output: Path) -> float:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    texts = [json.loads(line)["sentence"] for line in output.open(encoding="utf-8")]
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts)) / max(len(texts), 1)


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
