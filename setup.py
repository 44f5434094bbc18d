"""One distribution, ``dualspike``: the numpy core plus three tracks mapped into its namespace."""
from setuptools import setup

EXTRAS = {
    "train": ["torch==2.13.0", "tqdm", "matplotlib"],
    "rtl": ["myhdl>=0.11"],
    # The board image ships pynq (and numpy 1.x); installing it here would fight the image's copy.
    # Off the board, `pip install pynq==4.0.0 "numpy<2" "pandas<3"` runs the rtl-sim backend.
    "board": [],
    "dev": ["pytest>=7", "hypothesis>=6", "vermin>=1.6", "nbmake>=1.5", "nbformat", "nbclient", "ipykernel",
            "tqdm", "matplotlib"],
}
EXTRAS["all"] = sorted({r for reqs in EXTRAS.values() for r in reqs})

setup(
    name="dualspike",
    version="0.1.0",
    description="Pruned 4-bit spiking conv nets from PyTorch to a dual-side-sparse Zynq accelerator",
    python_requires=">=3.10",
    packages=["dualspike", "dualspike.golden", "dualspike.train", "dualspike.rtl",
              "dualspike.rtl.blocks", "dualspike.rtl.sim", "dualspike.driver", "dualspike.overlays",
              "dualspike.notebooks"],
    package_dir={"dualspike.train": "train", "dualspike.rtl": "rtl", "dualspike.driver": "driver",
                 "dualspike.overlays": "overlays", "dualspike.notebooks": "notebooks"},
    package_data={"dualspike": ["pretrained/*"], "dualspike.driver": ["*.json"], "dualspike.rtl.sim": ["*.cpp"],
                  "dualspike.overlays": ["*/dualspike.bit", "*/dualspike.hwh", "*/dualspike.json",
                                         "*/PROVENANCE.md", "make_tcl.py", "Makefile"],
                  "dualspike.notebooks": ["*.ipynb"]},
    install_requires=["numpy>=1.21"],
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["dualspike=dualspike.cli:main"],
                  "pynq.overlays": ["dualspike = dualspike.overlays"],
                  "pynq.notebooks": ["dualspike = dualspike.notebooks"]},
)
