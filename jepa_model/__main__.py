"""``python -m jepa_model``: train the JEPA layout model.

    python -m jepa_model train --config jepa_model/configs/tiny.yaml [--out DIR] [--resume DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jepa_model",
                                description="The JEPA layout model of jepa-manim.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from jepa_model.checkpoint import CheckpointError
    from jepa_model.config import ConfigError, load_config

    try:
        cfg = load_config(args.config)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "train":
        from jepa_model.train import train

        if args.max_steps is not None and args.max_steps < 1:
            print("error: --max-steps must be at least 1", file=sys.stderr)
            return 2
        out = args.out or args.resume or Path(cfg.run.out_dir)
        try:
            result = train(cfg, out, args.resume, progress=not args.no_progress,
                           max_steps=args.max_steps,
                           log=lambda m: print(m, file=sys.stderr, flush=True))
        except (CheckpointError, ValueError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        final = ", ".join(f"{k} {v:.4f}" for k, v in sorted(result.final.items()))
        print(f"trained {result.steps} steps in {result.seconds:.0f} s "
              f"({result.samples_per_s:.0f} scenes/s) → {result.out}\n  {final}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
