"""Lines per Python file and per package (a report, not a gate), in the style of tinygrad's sz.py."""
import os
import sys

ROOTS = ["dualspike", "train", "rtl", "driver", "benchmarks", "tools"]


def main():
    top = os.path.join(os.path.dirname(__file__), "..")
    rows = []
    for root in ROOTS:
        for base, _, files in os.walk(os.path.join(top, root)):
            for f in files:
                if f.endswith(".py"):
                    path = os.path.join(base, f)
                    with open(path) as fh:
                        lines = [l for l in fh if l.strip() and not l.strip().startswith("#")]
                    rows.append((os.path.relpath(path, top), len(lines)))
    rows.sort(key=lambda r: -r[1])
    width = max(len(r[0]) for r in rows)
    for name, n in rows:
        print(f"{name:<{width}} {n:>6}")
    per_pkg = {}
    for name, n in rows:
        per_pkg[name.split(os.sep)[0]] = per_pkg.get(name.split(os.sep)[0], 0) + n
    print("-" * (width + 7))
    for pkg, n in sorted(per_pkg.items(), key=lambda kv: -kv[1]):
        print(f"{pkg:<{width}} {n:>6}")
    print(f"{'total':<{width}} {sum(per_pkg.values()):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
