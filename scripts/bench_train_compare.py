#!/usr/bin/env python3
"""Compares a `backplane train --json` result with a bench_train_torch.py result.

Usage: bench_train_compare.py LABEL BACKPLANE.json PYTORCH.json
Prints one block: epoch time, step time (first epoch excluded by both) and
the ratio PyTorch / Backplane (> 1: Backplane is faster).
"""
import json
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    label, ours_file, torch_file = sys.argv[1:]
    with open(ours_file) as f:
        ours = json.load(f)
    with open(torch_file) as f:
        peer = json.load(f)
    runs = [r for r in ours.get("runs", []) if r.get("status") == "completed"]
    if not runs:
        sys.exit(f"{ours_file}: no completed backplane run")
    run = runs[0]
    ours_epoch, ours_step = run["time_per_epoch_s"], run["time_per_step_s"]
    ours_name = f"backplane {run['backend']} ({run['device']})"
    peer_name = "pytorch" if "error" in peer else f"pytorch {peer['version']} {peer['device']}"
    w = max(len(ours_name), len(peer_name))
    print(f"{label}")
    print(f"  {'':<{w}} {'epoch':>10} {'step':>10} {'final loss':>11}")
    print(f"  {ours_name:<{w}} {ours_epoch * 1e3:>8.1f}ms {ours_step * 1e3:>8.3f}ms {run['final_loss']:>11.4f}")
    if "error" in peer:  # the peer could not run: our figures stand alone
        print(f"  {peer_name:<{w}} not run: {peer['error']}")
        return
    peer_epoch, peer_step = peer["time_per_epoch_s"], peer["time_per_step_s"]
    print(f"  {peer_name:<{w}} {peer_epoch * 1e3:>8.1f}ms "
          f"{peer_step * 1e3:>8.3f}ms {peer['epochs'][-1]['loss']:>11.4f}")
    print(f"  speedup (pytorch / backplane): {peer_epoch / ours_epoch:.2f}x per epoch, "
          f"{peer_step / ours_step:.2f}x per step")


if __name__ == "__main__":
    main()
