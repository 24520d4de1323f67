#!/usr/bin/python3
"""One recovery step as a user would write it in PyTorch (the reference bench_recovery --throughput
compares with): the teacher (MobileFaceNet rebuilt from fr_feature.onnx by taylor_reference.OnnxNet)
embeds the batch without gradients, the student (a copy in training mode) embeds it with them, and
the loss 1 - cos(student, teacher), plus --relation times the relational term (the batch's pairwise
cosine matrices, mean squared difference off the diagonal), is back-propagated; SGD with momentum and weight decay
steps after clipping the gradient norm to 5.

Prints one JSON document on stdout: images/second (median over --reps steps after --warmup) and the
process's peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taylor_reference import OnnxNet, time_steps  # noqa: E402


def relational(s, t):
    s = F.normalize(s, dim=1)
    t = F.normalize(t, dim=1)
    n = s.shape[0]
    off = 1.0 - torch.eye(n)
    return (((s @ s.T) - (t @ t.T)) * off).pow(2).sum() / (n * (n - 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--relation", type=float, default=0.0, help="weight of the relational term")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    teacher = OnnxNet(args.onnx).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = OnnxNet(args.onnx).train()
    opt = torch.optim.SGD(student.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(args.batch, 3, 112, 112)

    def step():
        with torch.no_grad():
            target = teacher(x)
        out = student(x)
        loss = (1 - F.cosine_similarity(out, target, dim=1)).mean()
        if args.relation > 0:
            loss = loss + args.relation * relational(out, target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 5.0)
        opt.step()

    seconds = time_steps(step, args.warmup, args.reps)
    median = statistics.median(seconds)
    json.dump({"torch": torch.__version__, "threads": args.threads, "batch": args.batch,
               "seconds_per_step": median, "images_per_second": args.batch / median, "all_seconds": seconds,
               "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
