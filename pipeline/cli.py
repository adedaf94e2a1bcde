"""The ``stance`` command: parse arguments, call one job, print the result. Errors become one line and exit 2."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import traceback
from pathlib import Path

from pipeline.types import StanceError

DEFAULT_CONFIG = "configs/default.yaml"


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """Accepted before or after the command; only the top level sets defaults, so neither overwrites the other."""
    common = argparse.ArgumentParser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    common.add_argument("--config", help=f"YAML settings file (default: {DEFAULT_CONFIG})", **({"default": DEFAULT_CONFIG} if defaults else {}))
    common.add_argument("--set", dest="overrides", action="append", metavar="KEY=VALUE",
                        help="override a setting, e.g. --set train.learning_rate=3e-5 (repeatable)")
    common.add_argument("--debug", action="store_true", help="show tracebacks", **({"default": False} if defaults else {}))
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stance", description=__doc__, parents=[_common_options(defaults=True)])
    common = _common_options(defaults=False)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", parents=[common], help="fine-tune, evaluate, export and register a model")
    train.add_argument("--corpus", type=Path, help="also report macro-F1 on a gold corpus (measuring only)")

    evaluate = commands.add_parser("evaluate", parents=[common], help="evaluate a model against the champion")
    evaluate.add_argument("--model", help="latest (default), a bundle folder or models:/stance-classifier@champion")
    evaluate.add_argument("--corpus", type=Path, help="gold corpus folder (e.g. ../shared/corpus)")
    evaluate.add_argument("--promote", action="store_true", help="move the champion alias if the candidate is better")
    evaluate.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx", "onnx-int8"])

    baselines = commands.add_parser("baselines", parents=[common], help="track the baselines as MLflow runs")
    baselines.add_argument("names", nargs="*", help="majority, keywords, tfidf-logreg, zero-shot, embedding-logreg (default: all)")
    baselines.add_argument("--corpus", type=Path)

    commands.add_parser("cv", parents=[common], help="k-fold cross-validation grouped by document")

    extraction = commands.add_parser("evaluate-extraction", parents=[common], help="measure quote extraction on a gold corpus")
    extraction.add_argument("corpus", type=Path)

    for name, help_text in (("score", "score quoted sentences of articles"), ("classify", "label bare sentences")):
        sub = commands.add_parser(name, parents=[common], help=help_text)
        sub.add_argument("inputs", nargs="+", type=str, help="files or folders" if name == "score" else "one .txt or .jsonl file")
        sub.add_argument("--output", "-o", required=True, type=Path, help=".jsonl, .csv or .parquet")
        sub.add_argument("--model", help="latest (default), a bundle folder or models:/stance-classifier@champion")
        sub.add_argument("--backend", choices=["auto", "torch", "onnx", "onnx-int8"], help="default: score.backend")
        if name == "score":
            sub.add_argument("--resume", action="store_true", help="reuse finished chunks of an interrupted run")
            sub.add_argument("--strict", action="store_true", help="fail if any input is skipped")
            sub.add_argument("--engine", choices=["local", "spark"], default="local")
            sub.add_argument("--master", default="local[*]", help="Spark master URL (with --engine spark)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        from pipeline.config import load_config

        config = load_config(args.config, args.overrides or [])
        COMMANDS[args.command](args, config)
        return 0
    except StanceError as err:
        if args.debug:
            traceback.print_exc()
        print(f"stance: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # disk full, a folder removed mid-run: the file and the reason, not a traceback
        if args.debug:
            traceback.print_exc()
        print(f"stance: error: {err.filename or 'input/output'}: {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stance: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(message, flush=True)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def cmd_train(args, config) -> None:
    from pipeline.jobs import train_job

    result = train_job(config, args.corpus, _say)
    _say(json.dumps({k: v for k, v in result.items() if not k.endswith("_n")}, indent=2, default=str))


def cmd_evaluate(args, config) -> None:
    from pipeline.jobs import evaluate_job

    evaluate_job(config, args.model, args.corpus, args.promote, args.backend, _say)


def cmd_baselines(args, config) -> None:
    from pipeline.jobs import baselines_job

    baselines_job(config, args.corpus, args.names, _say)


def cmd_cv(args, config) -> None:
    from pipeline.jobs import cv_job

    cv_job(config, _say)


def cmd_evaluate_extraction(args, config) -> None:
    from pipeline.jobs import extraction_job

    if not args.corpus.is_dir():
        raise StanceError(f"{args.corpus}: corpus folder does not exist")
    extraction_job(config, args.corpus, _say)


def _predictor(args, config):
    """Torch and mlflow are imported only if the model reference or the backend needs them."""
    from pipeline.model import resolve_model
    from pipeline.predict import load_predictor

    folder = resolve_model(args.model, config)
    return load_predictor(folder, args.backend or config.score.backend, config.score.batch_size, config.score.threads)


def cmd_score(args, config) -> None:
    from pipeline.score import check_output_path, score_inputs, worker_plan

    if args.engine == "spark":
        from pipeline.spark import score_with_spark

        score_with_spark(args.inputs, args.output, args.model, args.master, config, _say)
        return
    for item in args.inputs:
        if not Path(item).exists():
            raise StanceError(f"{item}: input path does not exist")
    check_output_path(args.output)
    predictor = _predictor(args, config)
    workers, worker_threads = worker_plan(config.score.workers, config.score.threads)
    summary = score_inputs(
        args.inputs, args.output, predictor, config.extraction, config.score.chunk_articles,
        resume=args.resume, on_skip=_fail_on_skip if args.strict else lambda s: _warn(f"skipped {s.path}: {s.reason}"),
        progress=sys.stderr.isatty(), workers=workers, worker_threads=worker_threads,
    )
    _print_summary(summary, predictor.labels)
    _say(f"wrote {summary.sentences} sentences from {summary.articles} articles to {args.output}")


def _fail_on_skip(skipped) -> None:
    """``--strict``: the first bad input stops the run before the output is written."""
    raise StanceError(f"{skipped.path}: {skipped.reason} (--strict: no input may be skipped)")


def _print_summary(summary, labels: list[str], limit: int = 40) -> None:
    by_pair: dict[tuple[str, str], dict[str, int]] = {}
    for (article, speaker, label), count in summary.counts.items():
        by_pair.setdefault((article, speaker or "(unattributed)"), dict.fromkeys(labels, 0))[label] += count
    header = f"{'article':<28} {'speaker':<28} " + " ".join(f"{l[:14]:>14}" for l in labels)
    _say(header)
    for (article, speaker), counts in sorted(by_pair.items())[:limit]:
        _say(f"{article[:28]:<28} {speaker[:28]:<28} " + " ".join(f"{counts[l]:>14}" for l in labels))
    if len(by_pair) > limit:
        _say(f"... {len(by_pair) - limit} more article/speaker pairs in the output file")
    if summary.resumed_articles:
        _say(f"resumed: {summary.resumed_articles} articles reused from finished chunks")
    if summary.skipped:
        _say(f"skipped: {len(summary.skipped)} input(s)")
        for item in summary.skipped:
            _say(f"  {item.path}: {item.reason}")


def cmd_classify(args, config) -> None:
    from pipeline.score import check_output_path, classify_file

    if len(args.inputs) != 1:
        raise StanceError("classify takes exactly one input file")
    check_output_path(args.output)
    count = classify_file(Path(args.inputs[0]), args.output, _predictor(args, config))
    _say(f"wrote {count} labelled sentences to {args.output}")


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "baselines": cmd_baselines,
    "cv": cmd_cv,
    "evaluate-extraction": cmd_evaluate_extraction,
    "score": cmd_score,
    "classify": cmd_classify,
}
