#!/usr/bin/env python3
"""Writes a deterministic tree of about 9,000 files / 100 MB for the zip benchmark: source-like
text (compressible), JSON, and some incompressible binary, in nested folders."""
import os
import random
import sys

root = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
target = int(sys.argv[3]) if len(sys.argv) > 3 else 100 * 1024 * 1024
rng = random.Random(20261127)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 12)))) for _ in range(4000)]
average = target // files
written = 0
for index in range(files):
    folder = os.path.join(root, "pkg%02d" % (index % 40), "mod%03d" % (index % 300))
    os.makedirs(folder, exist_ok=True)
    size = max(64, int(rng.expovariate(1 / average)))
    kind = index % 10
    if kind == 0:  # binary: incompressible
        data = rng.randbytes(size)
        name = "blob%05d.bin" % index
    elif kind == 1:
        data = ("{" + ",".join('"%s": %d' % (rng.choice(words), rng.randint(0, 99999)) for _ in range(size // 14)) + "}").encode()
        name = "data%05d.json" % index
    else:
        lines = []
        total = 0
        while total < size:
            line = "    " * rng.randint(0, 3) + " ".join(rng.choice(words) for _ in range(rng.randint(3, 10))) + "\n"
            lines.append(line)
            total += len(line)
        data = "".join(lines).encode()
        name = "source%05d.py" % index
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)
    written += len(data)
print("%d files, %.1f MB" % (files, written / 1048576))
