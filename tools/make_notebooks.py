"""Write the notebooks in notebooks/ from the cell lists below (outputs stripped).

    python tools/make_notebooks.py        # tests/test_notebooks.py fails when the files are stale

Notebooks stay thin: one call per step, no classes, no long functions. Environment variables make
the headless test run small: DUALSPIKE_NB_QUICK=1 (quick recipe, few frames).
"""
import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SETUP = """import os
QUICK = os.environ.get("DUALSPIKE_NB_QUICK") == "1"      # headless test: small settings
ON_BOARD = os.path.exists("/home/xilinx")                 # a PYNQ board image"""

NOTEBOOKS = {
    "01_train_and_pack.ipynb": [
        "# 1 · Train and pack (host)\nTrain scnn5-mnist with gradient-rewiring pruning and 4-bit LSQ on the "
        "5,000 real MNIST digits, export it bit-exact and pack it into the bitmap file.",
        SETUP,
        "from dualspike import bitmap, golden\nfrom dualspike.data import default_mnist\n"
        "from dualspike.train import loop, recipes",
        "recipe = recipes.get(\"quick\" if QUICK else \"default\")\nrecipe",
        "report = loop.train(recipe, \"nb-out/train\", progress=not QUICK)",
        "model = bitmap.load(\"nb-out/train/model.dsm\")\nmodel",
        "bitmap.size_report(model)",
        "x, y = default_mnist(\"test\")\nresult = golden.run(model, x, stats=True)\n"
        "print(f\"int4 accuracy {(result.classes == y).mean():.2%}\")",
        "[round(l[\"spike_density\"] or 0, 3) for l in result.stats.summary()[\"layers\"]]",
        "from IPython.display import Image\nImage(\"nb-out/train/report.png\")",
    ],
    "02_deploy_and_measure.ipynb": [
        "# 2 · Deploy and measure\nOn a PYNQ board: load the overlay, load the weights, classify, measure "
        "FPS and FPS/W. Off a board the same cells run on `rtl-sim` (the generated Verilog in Verilator "
        "behind a simulated AXI DMA).",
        SETUP,
        "from dualspike import bitmap, driver\nfrom dualspike.cli import pretrained_path\n"
        "from dualspike.data import default_mnist",
        "model = bitmap.load(os.environ.get(\"DUALSPIKE_NB_MODEL\", pretrained_path()))\nmodel",
        "# off the board: generate a small-lane accelerator once (about a minute; the overlay has the board's)\n"
        "from dualspike.demo import sim_lanes\nfrom dualspike.rtl.generate import generate\n"
        "desc = None if ON_BOARD else generate(model.spec, \"nb-out/build\", lanes=sim_lanes(model.spec), model=model)",
        "acc = driver.load(\"pynq-z2\", backend=\"board\" if ON_BOARD else \"rtl-sim\", model=model,\n"
        "                  sim=None if ON_BOARD else \"nb-out/build\", batch_size=10 if QUICK else 50)",
        "x, y = default_mnist(\"test\")\nn = 10 if QUICK else (len(y) if ON_BOARD else 100)\nclasses = acc.classify(x[:n])\n"
        "print(f\"accuracy {(classes == y[:n]).mean():.2%} on {n} digits\")",
        "acc.throughput_test(batches=1)",
        "acc.layer_counters()",
    ],
    "03_dvs_events.ipynb": [
        "# 3 · DVS events\nMNIST digits become N-MNIST-like event streams (saccades, ON/OFF events where the "
        "log intensity changes), are binned into T slices and run through the driver's events path.",
        SETUP,
        "import numpy as np\nfrom dualspike import bitmap, driver, golden\nfrom dualspike.cli import pretrained_path\n"
        "from dualspike.data import default_mnist\nfrom dualspike.events import mnist_to_events, bin_events",
        "digits, labels = default_mnist(\"test\")\nstreams = mnist_to_events(digits[:20], sensor_size=(32, 32))\n"
        "streams[0][:5], len(streams[0])",
        "frames = bin_events(streams[0], T=4, sensor_size=(32, 32), duration=300_000, t_start=0)\nframes.shape, frames.mean()",
        "model = bitmap.load(pretrained_path(\"scnn7-dvs\"))\nmodel",
        "# off the board: generate its accelerator once (the quick headless run uses the golden backend)\n"
        "from dualspike.demo import sim_lanes\nfrom dualspike.rtl.generate import generate\n"
        "desc = None if (ON_BOARD or QUICK) else generate(model.spec, \"nb-out/build-dvs\", lanes=sim_lanes(model.spec), model=model)",
        "backend = \"board\" if ON_BOARD else (\"golden\" if QUICK else \"rtl-sim\")\n"
        "acc = driver.load(\"pynq-z2\", backend=backend, model=model, sim=None if backend != \"rtl-sim\" else \"nb-out/build-dvs\",\n"
        "                  batch_size=20)",
        "classes = acc.classify(streams, duration=300_000)\nprint(classes, labels[:20])",
        "np.array_equal(classes, golden.run(model, np.stack([bin_events(s, 4, (32, 32), duration=300_000) for s in streams])).classes)",
    ],
}


def build(name):
    cells = NOTEBOOKS[name]
    nb = new_notebook(cells=[new_markdown_cell(cells[0])] + [new_code_cell(c) for c in cells[1:]])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


def main(check=False):
    here = os.path.join(os.path.dirname(__file__), "..", "notebooks")
    stale = []
    for name in NOTEBOOKS:
        path = os.path.join(here, name)
        text = build(name)
        if check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    return stale


if __name__ == "__main__":
    sys.exit(1 if main(check="--check" in sys.argv) else 0)
