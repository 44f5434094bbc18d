"""Training track (torch): LIF layers, gradient rewiring, LSQ, export. Install dualspike[train]."""
