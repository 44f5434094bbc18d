#!/usr/bin/env bash
# Everything dualspike needs on a fresh Debian/Ubuntu machine: Verilog tools, then Python packages.
# torch is pinned to the CPU build first so nothing can pull a CUDA build; pynq (off the board, for
# the rtl-sim backend) needs numpy<2 and pandas<3.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq iverilog verilator yosys >/dev/null
fi
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
python -m pip install -q "numpy<2" "pandas<3" "torch==2.13.0" "pynq==4.0.0"
python -m pip install -q -e ".[all]"
