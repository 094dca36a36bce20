"""``python -m jepa_model``: train the JEPA layout model.

    python -m jepa_model train --config jepa_model/configs/tiny.yaml [--out DIR] [--resume DIR]
                               [--data PACK] [--time-budget SECONDS]
    python -m jepa_model finetune --out DIR [--checkpoint DIR] [--objective jepa|supervised]
                                  [--steps N | --time-budget SECONDS]
    python -m jepa_model pack --config jepa_model/configs/base.yaml --out PACK
    python -m jepa_model probe --checkpoint DIR
    python -m jepa_model export --checkpoint DIR --out DIR
    python -m jepa_model bench [--checkpoint DIR] [--tasks N]

Bad input is one ``error: …`` line on stderr and exit status 2, as in every
jepa-manim command line (``benchmark.cliargs``).  Torch is imported only by the
command that runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmark.cliargs import CliError, command_parser, run_main
from benchmark.core.submission import SubmissionError
from jepa_model.config import Config, ConfigError, load_config
from jepa_model.submission import DEFAULT_CHECKPOINT


def _parser() -> argparse.ArgumentParser:
    p, sub = command_parser(prog="python -m jepa_model",
                            description="The JEPA layout model of jepa-manim.")
    t = sub.add_parser(
        "train", help="train a model from a YAML config",
        description="Train the JEPA layout model on the synthetic train split (and the 3b1b "
                    "dev split when prepared and enabled), never on a test split. Writes "
                    "model.safetensors, config.yaml (resolved), state.json, optim.pt and "
                    "metrics.csv to --out at every evaluation.")
    t.add_argument("--config", type=Path, required=True, help="YAML config (see jepa_model/"
                   "configs/tiny.yaml and base.yaml)")
    t.add_argument("--out", type=Path, default=None,
                   help="checkpoint folder (default: run.out_dir of the config)")
    t.add_argument("--resume", type=Path, default=None, metavar="DIR",
                   help="continue the checkpoint in DIR (same config)")
    t.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="stop after N optimiser steps (for a quick check)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--data", type=Path, default=None, metavar="PACK",
                   help="train from a training pack made by `pack` (no text encoder or "
                        "featurising needed here) instead of the config's data section")
    t.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="fit the schedule to this many seconds of training: after a few "
                        "timed steps the number of steps is fixed (and recorded for --resume)")
    t.set_defaults(_run=_train)
    _finetune_parser(sub)
    k = sub.add_parser(
        "pack", help="featurise a config's training and validation scenes into a folder",
        description="Featurise the config's training scenes (and the synthetic val scenes "
                    "used for validation) into a self-contained folder — float16 "
                    "embeddings, compressed, with the held-out guard hashes — that "
                    "`train --data` reads on a machine without the text encoder.")
    k.add_argument("--config", type=Path, required=True, help="YAML config (its data section)")
    k.add_argument("--out", type=Path, required=True, metavar="DIR", help="the pack folder")
    k.add_argument("--val-scenes", type=int, default=200, metavar="N")
    k.set_defaults(_run=_pack)
    b = sub.add_parser(
        "bench", help="time the jepa submission per scene (layout + code), uncached and cached",
        description="Time the jepa submission one scene at a time on the CPU: the layout "
                    "(featurise + forward pass) and the composed code, first with an empty "
                    "text-embedding cache (uncached), then the same tasks again (cached). "
                    "Prints medians and 90th percentiles in milliseconds.")
    b.add_argument("--checkpoint", type=Path, default=None, metavar="DIR",
                   help="default: the shipped default checkpoint")
    b.add_argument("--tasks", type=int, default=100, metavar="N")
    b.add_argument("--threads", type=int, default=1, metavar="T", help="torch threads")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.set_defaults(_run=_bench)
    e = sub.add_parser(
        "export", help="write a checkpoint's inference export (no target encoder)",
        description="Write the checkpoint in --checkpoint to --out without the EMA target "
                    "encoder and the optimiser state, which only training reads: the same "
                    "predictions at about half the size. Such an export cannot be resumed.")
    e.add_argument("--checkpoint", type=Path, required=True, metavar="DIR")
    e.add_argument("--out", type=Path, required=True, metavar="DIR")
    e.set_defaults(_run=_export)
    pr = sub.add_parser(
        "probe", help="linear probe: is object position linearly present in the latents?",
        description="Encode synthetic scenes with every free object masked, fit a ridge "
                    "probe from each masked object's context-encoder latent to its true box "
                    "on train scenes, and score it on val (R², centre error, mean IoU) next "
                    "to the layout head's own numbers.")
    pr.add_argument("--checkpoint", type=Path, required=True, metavar="DIR")
    pr.add_argument("--train-scenes", type=int, default=2000, metavar="N")
    pr.add_argument("--val-scenes", type=int, default=200, metavar="N")
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    pr.set_defaults(_run=_probe)
    return p


def _finetune_parser(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser(
        "finetune", help="fine-tune a checkpoint on the 3b1b dev split prepared here",
        description="Fine-tune a checkpoint (default: the shipped tiny one) on the real "
                    "3Blue1Brown layouts of the 3b1b dev split prepared on this machine — "
                    "each keyframe as its context task and from scratch — plus replayed "
                    "synthetic train scenes, validating on the context tasks of a share of "
                    "the dev videos. Test videos never enter. Writes a checkpoint (and "
                    "finetune.json, the recipe and what it saw) to --out; use it with "
                    "`benchmark run --model jepa --model-arg checkpoint=OUT`.",
        epilog="example: python -m jepa_model finetune --out runs/jepa/tiny-3b1b "
               "--time-budget 1500  (the tiny model, 25 minutes on 2 CPU cores)")
    f.add_argument("--out", type=Path, required=True, metavar="DIR", help="the new checkpoint")
    f.add_argument("--checkpoint", type=Path, default=None, metavar="DIR",
                   help="the checkpoint to start from (default: jepa_model/checkpoints/tiny)")
    f.add_argument("--objective", choices=("jepa", "supervised"), default=None,
                   help="training objective (default: the checkpoint's): jepa, the "
                        "self-supervised latent prediction plus the layout head; supervised, "
                        "the layout head only")
    f.add_argument("--steps", type=int, default=None, metavar="N",
                   help="optimiser steps (default 1500; with --time-budget, as many as fit)")
    f.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="fit the schedule to this many seconds of training")
    f.add_argument("--lr", type=float, default=3e-4, help="peak learning rate (default 3e-4)")
    f.add_argument("--replay", type=int, default=2000, metavar="N",
                   help="synthetic train scenes mixed in (default 2000; 0 for none)")
    f.add_argument("--val-share", type=float, default=0.25, metavar="F",
                   help="share of the dev videos held out for validation (default 0.25)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.set_defaults(_run=_finetune)


# The commands import their jepa_model modules when they run: those import torch.


def _finetune(args: argparse.Namespace) -> int:
    from jepa_model.finetune import DEFAULT_BASE, FinetuneError, Recipe, finetune

    steps = args.steps or (1_000_000 if args.time_budget is not None else 1500)
    try:
        recipe = Recipe(objective=args.objective, steps=steps, time_budget=args.time_budget,
                        lr=args.lr, replay=args.replay, val_share=args.val_share,
                        seed=args.seed)
        result = finetune(args.out, recipe, args.checkpoint or DEFAULT_BASE,
                          progress=not args.no_progress,
                          log=lambda m: print(m, file=sys.stderr, flush=True))
    except (FinetuneError, SubmissionError, ValueError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    final = ", ".join(f"{k} {v:.4f}" for k, v in sorted(result.final.items()))
    print(f"fine-tuned {result.steps} steps in {result.seconds:.0f} s → {result.out}\n"
          f"  {final}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from jepa_model.checkpoint import MODEL_FILE, CheckpointError, export_checkpoint

    try:
        out = export_checkpoint(args.checkpoint, args.out)
    except CheckpointError as exc:
        raise CliError(str(exc)) from None
    before = (args.checkpoint / MODEL_FILE).stat().st_size / 1e6
    after = (out / MODEL_FILE).stat().st_size / 1e6
    print(f"exported {args.checkpoint} → {out} without the target encoder "
          f"({before:.1f} MB → {after:.1f} MB of weights)")
    return 0


def _config(args: argparse.Namespace) -> Config:
    try:
        return load_config(args.config)
    except (ConfigError, OSError) as exc:
        raise CliError(str(exc)) from None


def _pack(args: argparse.Namespace) -> int:
    from jepa_model.pack import write_pack

    cfg = _config(args)
    if args.val_scenes < 1:
        raise CliError("--val-scenes must be at least 1")
    m = write_pack(cfg, args.out, args.val_scenes,
                   log=lambda m: print(m, file=sys.stderr, flush=True))
    size = sum(f.stat().st_size for f in args.out.iterdir()) / 1e6
    print(f"pack {args.out}: {m['counts']['train']} training and {m['counts']['val']} "
          f"validation scenes, {size:.1f} MB")
    return 0


def _train(args: argparse.Namespace) -> int:
    from jepa_model.checkpoint import CheckpointError
    from jepa_model.pack import PackError
    from jepa_model.train import train

    cfg = _config(args)
    if args.max_steps is not None and args.max_steps < 1:
        raise CliError("--max-steps must be at least 1")
    if args.time_budget is not None and args.time_budget <= 0:
        raise CliError("--time-budget must be positive")
    out = args.out or args.resume or Path(cfg.run.out_dir)
    try:
        result = train(cfg, out, args.resume, progress=not args.no_progress,
                       max_steps=args.max_steps, pack=args.data,
                       time_budget=args.time_budget,
                       log=lambda m: print(m, file=sys.stderr, flush=True))
    except (CheckpointError, PackError, ValueError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    final = ", ".join(f"{k} {v:.4f}" for k, v in sorted(result.final.items()))
    print(f"trained {result.steps} steps in {result.seconds:.0f} s "
          f"({result.samples_per_s:.0f} scenes/s) → {result.out}\n  {final}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(_parser, argv)


def _bench(args: argparse.Namespace) -> int:
    from jepa_model.bench import bench

    if args.tasks < 1 or args.threads < 1:
        raise CliError("--tasks and --threads must be at least 1")
    checkpoint = args.checkpoint or DEFAULT_CHECKPOINT
    try:
        r = bench(checkpoint, args.tasks, args.threads)
    except (SubmissionError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(r.to_json()))
        return 0
    print(f"jepa {r.checkpoint}: {r.tasks} synthetic test scenes, batch of one, "
          f"{r.threads} thread(s); milliseconds per scene (median)")
    print(f"  {'':9s} {'layout':>8s} {'code':>8s} {'total':>8s} {'total p90':>10s}")
    for name, row in (("uncached", r.uncached), ("cached", r.cached)):
        print(f"  {name:9s} {row['layout_ms']:8.2f} {row['compose_ms']:8.2f} "
              f"{row['total_ms']:8.2f} {row['total_p90_ms']:10.2f}")
    return 0


def _probe(args: argparse.Namespace) -> int:
    from jepa_model.checkpoint import CheckpointError
    from jepa_model.probe import probe

    if args.train_scenes < 10 or args.val_scenes < 1:
        raise CliError("--train-scenes must be at least 10 and --val-scenes at least 1")
    try:
        r = probe(args.checkpoint, args.train_scenes, args.val_scenes)
    except (CheckpointError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(r.to_json()))
        return 0
    print(f"linear probe of {r.checkpoint} ({r.train_objects} train / {r.val_objects} val "
          f"objects, all free objects masked)\n"
          f"  probe: R² centre {r.probe_r2_center:.3f}, R² size {r.probe_r2_size:.3f}, "
          f"centre error {r.probe_center_error:.3f} units, mean IoU {r.probe_miou:.3f}\n"
          f"  head:  centre error {r.head_center_error:.3f} units, mean IoU {r.head_miou:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
