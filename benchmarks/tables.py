"""Shared output of the benchmark scripts: a markdown table, printed and written to ``results/``."""
import os


def markdown_table(header, rows):
    """``header`` (column titles; a title ending in ``:`` is right-aligned) and ``rows`` -> lines."""
    cols = [h.rstrip(":") for h in header]
    align = ["---:" if h.endswith(":") else "---" for h in header]
    return ["| " + " | ".join(cols) + " |", "|" + "|".join(align) + "|"] + \
        ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def publish(lines, path):
    """Print the report ``lines`` and write them to ``path`` (folders created); returns the text."""
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return text
