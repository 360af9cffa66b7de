#!/usr/bin/env python3
"""PyTorch peer of `backplane train` for the training benchmark.

Trains the same model as the article (Conv2D 32 3x3 ReLU -> MaxPool 2x2 ->
Flatten -> Dense 10, Adam lr 0.001 / eps 1e-7 like Keras, sparse categorical
cross-entropy, batch 32, last partial batch kept) on the same kind of
synthetic data (1000 uniform 28x28x3 images, random labels), channels-last,
and writes per-epoch times as JSON. Loss and accuracy are accumulated on the
device and read once per epoch, like backplane_nn does.

Usage: bench_train_torch.py [--threads T] [--epochs N] [--device cpu|cuda] [--json FILE]
"""
import argparse
import json
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (CPU)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", default="", help="write the result here (default: stdout)")
    args = parser.parse_args()

    try:
        import torch
        from torch import nn
    except ImportError as error:
        sys.exit(f"bench_train_torch.py: PyTorch is not importable ({error}); install python3-torch")
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench_train_torch.py: --device cuda but torch.cuda.is_available() is False")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    images = torch.rand(args.samples, 3, 28, 28).to(device).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (args.samples,)).to(device)

    model = nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 13 * 13, 10)
    ).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    epochs = []
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(args.samples, device=device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        steps = 0
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for first in range(0, args.samples, args.batch_size):
            index = order[first:first + args.batch_size]
            x, y = images[index], labels[index]
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * y.shape[0]
            correct += (logits.detach().argmax(1) == y).sum()
            steps += 1
        mean_loss = float(loss_sum) / args.samples  # reads the device: the epoch's one sync
        accuracy = float(correct) / args.samples
        seconds = time.perf_counter() - start
        epochs.append({"epoch": epoch, "steps": steps, "samples": args.samples, "seconds": seconds,
                       "loss": mean_loss, "accuracy": accuracy})
        print(f"pytorch epoch {epoch}/{args.epochs}: {seconds:.3f}s {seconds / steps * 1e3:.2f}ms/step "
              f"loss {mean_loss:.4f} accuracy {accuracy:.4f}", file=sys.stderr)

    timed = epochs[1:] if len(epochs) > 1 else epochs  # the first epoch is warm-up
    seconds = sum(e["seconds"] for e in timed)
    steps = sum(e["steps"] for e in timed)
    result = {
        "framework": "pytorch",
        "version": torch.__version__,
        "device": args.device,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "epochs": epochs,
        "time_per_epoch_s": seconds / len(timed),
        "time_per_step_s": seconds / steps,
    }
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as out:
            out.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
