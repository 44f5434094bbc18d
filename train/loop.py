"""The training loop: data, Grad-R + LSQ training, checkpoints with resume, export and report.

>>> # report = train(recipes.get("quick"), "runs/quick")      # see dualspike.train.cli
"""
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from dualspike import golden
from dualspike.channel_order import SAMPLES as ORDER_SAMPLES, order_for_scan
from dualspike.data import spread
from dualspike.errors import DualspikeError, InputError
from dualspike.golden.encode import check_input
from .averaging import ParameterEMA, prune_to
from .export import check_bit_exact, export, remove_silent, save
from .gradr import GradRewiring, TrainError
from .models import SpikingNet

CHECKPOINT_FORMAT = "dualspike-train-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(DualspikeError, ValueError):
    """A checkpoint file is unreadable, corrupt, or belongs to a different run."""


# ---- memory ------------------------------------------------------------------------------------
def keep_freed_memory():
    """On Linux with glibc, keep freed memory in the process heap (``mallopt``: no ``mmap`` for
    large blocks, no trimming). A training step frees and allocates the same large tensors every
    time; returned to the kernel, they cost page faults on every reuse, measured at about 20 % of
    a run's wall time on 2 cores (PyTorch's usual advice is jemalloc or tcmalloc). Numbers are not
    affected. The heap then stays at its peak size until the process exits. Returns whether it
    applied."""
    import ctypes
    import platform
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4              # <malloc.h>
    return all(libc.mallopt(k, v) == 1 for k, v in ((m_mmap_max, 0), (m_trim_threshold, 1 << 30),
                                                     (m_top_pad, 64 << 20)))


# ---- data ---------------------------------------------------------------------------------------
def load_data(spec, data="default"):
    """``((x_train, y_train), (x_test, y_test))`` for ``data``: ``"default"`` (the 4,000/1,000 real
    MNIST digits), a folder of MNIST IDX files, an ``.npz`` with ``x_train, y_train, x_test,
    y_test``, or such a tuple of arrays. Validated against ``spec``."""
    if isinstance(data, str):
        from dualspike import data as dsdata
        if data == "default":
            tr, te = dsdata.default_mnist("train"), dsdata.default_mnist("test")
        elif os.path.isdir(data):
            tr, te = dsdata.load_mnist_folder(data, "train"), dsdata.load_mnist_folder(data, "test")
        elif data.endswith(".npz") and os.path.exists(data):
            with np.load(data) as d:
                tr, te = (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
        else:
            raise TrainError(f"data = {data!r}: use 'default', a folder of MNIST IDX files or an "
                             ".npz with x_train, y_train, x_test, y_test")
    else:
        tr, te = data
    out = []
    for split, (x, y) in (("train", tr), ("test", te)):
        try:
            x = check_input(spec, np.asarray(x))
        except InputError as exc:
            raise InputError(f"{split} data: {exc}") from exc
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
            raise InputError(f"{split} labels must be ints [N] with N = {len(x)} images, got "
                             f"{y.dtype} {list(y.shape)}")
        if len(y) and (y.min() < 0 or y.max() >= spec.num_classes):
            raise InputError(f"{split} labels must lie in [0, {spec.num_classes}), found "
                             f"[{y.min()}, {y.max()}]")
        out.append((x, y.astype(np.int64)))
    return tuple(out)


def _subset(x, y, n, seed):
    if n is None or n >= len(y):
        return x, y
    idx = np.sort(np.random.default_rng(seed).permutation(len(y))[:n])
    return x[idx], y[idx]


def shift_batch(x, shift, gen):
    """Random integer shifts in ``[-shift, shift]`` px per image (zero fill), for ``[N, C, H, W]``
    or events ``[N, T, C, H, W]`` tensors."""
    if shift <= 0:
        return x
    n, (h, w) = x.shape[0], x.shape[-2:]
    pad = F.pad(x, (shift, shift, shift, shift))
    off = torch.randint(0, 2 * shift + 1, (n, 2), generator=gen)
    return torch.stack([pad[i, ..., a:a + h, b:b + w] for i, (a, b) in enumerate(off.tolist())])


# ---- schedules ----------------------------------------------------------------------------------
def sparsity_schedule(progress, recipe):
    """Cubic ramp (Zhu & Gupta) from 0 at ``prune_start`` to the target at ``prune_end``."""
    if not recipe.prune:
        return 0.0
    a, b = recipe.prune_start, recipe.prune_end
    if progress <= a:
        return 0.0
    r = 1.0 if progress >= b or b == a else (progress - a) / (b - a)
    return recipe.target_sparsity * (1 - (1 - r) ** 3)


def cosine_lr(progress, recipe):
    return recipe.min_lr + 0.5 * (recipe.lr - recipe.min_lr) * (1 + math.cos(math.pi * progress))


# ---- checkpoints ---------------------------------------------------------------------------------
def save_checkpoint(path, state):
    tmp = str(path) + ".tmp"
    torch.save(dict(state, format=CHECKPOINT_FORMAT, version=CHECKPOINT_VERSION), tmp)
    os.replace(tmp, path)


def _with_defaults(stored):
    """A checkpoint's recipe dict with the fields added since it was written at their defaults."""
    from .recipes import Recipe
    if not isinstance(stored, dict):
        return {}
    return {**Recipe().to_dict(), **stored}


def load_checkpoint(path, recipe=None):
    """Read a checkpoint written by :func:`train`; raises :class:`CheckpointError` if the file is
    corrupt or was written for another recipe."""
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist")
    except Exception as exc:  # torch raises several types for a damaged file
        raise CheckpointError(f"checkpoint {path} is corrupt or not a dualspike training "
                              f"checkpoint ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint {path} is not a dualspike training checkpoint")
    if ck.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"checkpoint {path} has version {ck.get('version')!r}; this "
                              f"dualspike reads version {CHECKPOINT_VERSION}")
    stored = _with_defaults(ck.get("recipe"))
    if recipe is not None and stored != recipe.to_dict():
        diff = sorted(k for k, v in recipe.to_dict().items() if stored.get(k) != v)
        raise CheckpointError(f"checkpoint {path} was written by a different recipe (differs in "
                              f"{', '.join(diff)}); use another output folder or the same options")
    return ck


# ---- evaluation ----------------------------------------------------------------------------------
@torch.no_grad()
def evaluate(net, x, y, mode, batch=64, device="cpu"):
    """``(accuracy, [spike density per LIF layer])`` of ``net`` in ``mode`` on numpy ``x, y``."""
    net.eval()
    correct, dens = 0, None
    for a in range(0, len(y), batch):
        xb = torch.from_numpy(np.ascontiguousarray(x[a:a + batch])).to(device)
        logits, d = net(xb, mode, record=True)
        correct += int((logits.argmax(1).cpu() == torch.from_numpy(y[a:a + batch])).sum())
        d = np.array([float(v) for v in d]) * len(xb)
        dens = d if dens is None else dens + d
    return correct / len(y), (dens / len(y)).tolist()


def weight_sparsity(net, quantised):
    """Per-layer and total fraction of zero weights (of the integer weights if ``quantised``)."""
    zs, ns = [], []
    for i, layer in enumerate(net.layers):
        w = net.integer_params()[i][0] if quantised else layer.weight.detach()
        zs.append(int((w == 0).sum()))
        ns.append(w.numel())
    return sum(zs) / sum(ns), [z / n for z, n in zip(zs, ns)]


# ---- the loop ------------------------------------------------------------------------------------
def train(recipe, out_dir, data="default", resume=False, progress=True, device=None, log=print):
    """Run ``recipe``; write ``checkpoint.pt``, ``report.json``, ``report.png`` and, for a
    quantised recipe, the integer model (``model.dsm``) into ``out_dir``. Returns the report dict.

    Deterministic for a given seed (CPU): the shuffle and the shifts of epoch ``e`` come from a
    generator seeded with ``(seed, e)``, so a resumed run continues exactly as an uninterrupted one.
    """
    recipe.validate()
    spec = recipe.spec()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        keep_freed_memory()
    (xtr, ytr), (xte, yte) = load_data(spec, data)
    xtr, ytr = _subset(xtr, ytr, recipe.train_subset, recipe.seed)
    xte, yte = _subset(xte, yte, recipe.test_subset, recipe.seed + 1)
    os.makedirs(out_dir, exist_ok=True)
    ck_path = os.path.join(out_dir, "checkpoint.pt")

    torch.manual_seed(recipe.seed)
    net = SpikingNet(spec, recipe.surrogate_alpha, recipe.init_gain).to(device)
    opt = GradRewiring([
        dict(params=net.rewired_parameters(), rewire=recipe.prune, prior=recipe.prior,
             weight_decay=recipe.weight_decay if recipe.prune else 0.0, name="weights"),
        dict(params=net.bias_parameters(), rewire=False, weight_decay=0.0, name="biases"),
        dict(params=net.scale_parameters(), rewire=False, lr=recipe.scale_lr, weight_decay=0.0,
             name="scales"),
    ], lr=recipe.lr)
    start, history, elapsed, prior = 0, [], 0.0, recipe.prior
    ema = ParameterEMA(recipe.ema_decay) if recipe.ema_decay else None
    if resume and os.path.exists(ck_path):
        ck = load_checkpoint(ck_path, recipe)
        net.load_state_dict(ck["net"])
        opt.load_state_dict(ck["opt"])
        start, history, elapsed, prior = ck["epoch"], ck["history"], ck["elapsed"], ck["prior"]
        if ema is not None and ck.get("ema"):
            ema.load_state_dict(ck["ema"])
        log(f"resumed from {ck_path} at epoch {start}")

    steps_per_epoch = math.ceil(len(ytr) / recipe.batch_size)
    total = recipe.epochs * steps_per_epoch
    for epoch in range(start, recipe.epochs):
        t0 = time.perf_counter()
        quant = recipe.quant and epoch >= recipe.fp_epochs
        if quant and recipe.quant and epoch == recipe.fp_epochs and not bool(net.layers[0].quant.initialised):
            net.init_quant()
        mode = "quant" if quant else "float"
        gen = torch.Generator().manual_seed(recipe.seed * 100003 + epoch)
        order = torch.randperm(len(ytr), generator=gen)
        net.train()
        loss_sum = correct = seen = 0
        bar = _bar(progress, steps_per_epoch, f"epoch {epoch + 1}/{recipe.epochs} {mode}")
        for k in range(steps_per_epoch):
            step = epoch * steps_per_epoch + k
            p = step / total
            target = sparsity_schedule(p, recipe)
            for g in opt.param_groups:
                g["lr"] = cosine_lr(p, recipe) * (recipe.scale_lr / recipe.lr if g["name"] == "scales"
                                                  else 1.0)
                if g["rewire"]:
                    g["sparsity"], g["prior"] = target, prior
            idx = order[k * recipe.batch_size:(k + 1) * recipe.batch_size].numpy()
            xb = shift_batch(torch.from_numpy(xtr[idx]), recipe.shift, gen).to(device)
            yb = torch.from_numpy(ytr[idx]).to(device)
            logits, dens = net(xb, mode, record=True)
            loss = F.cross_entropy(logits / spec.T, yb, label_smoothing=recipe.label_smoothing)
            if recipe.spike_penalty:   # fewer spikes: fewer matched pairs and window words to scan
                loss = loss + recipe.spike_penalty * torch.stack(dens).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if recipe.prune:   # follow the schedule: prune the weakest connections when behind
                opt.enforce(target, recipe.channel_cap)
            if ema is not None and p >= recipe.prune_end:
                ema.update(net)
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
            if bar is not None:
                z, n = opt.sparsity() if recipe.prune else (0, 1)
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}",
                                sparsity=f"{z / n:.3f}")
                bar.update()
        if bar is not None:
            bar.close()
        elapsed += time.perf_counter() - t0
        test_acc, dens = evaluate(net, xte, yte, mode, device=device)
        total_sp, per_layer = weight_sparsity(net, quant)
        z, n = opt.sparsity()
        history.append(dict(epoch=epoch + 1, mode=mode, train_loss=loss_sum / seen, train_acc=correct / seen,
                            test_acc=test_acc, weight_sparsity=total_sp, weight_sparsity_layers=per_layer,
                            gradr_sparsity=z / n if recipe.prune else 0.0, scheduled_sparsity=target,
                            prior=prior, spike_density=dens, time_s=elapsed))
        save_checkpoint(ck_path, dict(recipe=recipe.to_dict(), spec=spec.to_json(), epoch=epoch + 1,
                                      net=net.state_dict(), opt=opt.state_dict(), history=history,
                                      elapsed=elapsed, prior=prior,
                                      ema=ema.state_dict() if ema is not None else None))
        log(f"epoch {epoch + 1}: loss {loss_sum / seen:.4f} train {correct / seen:.4f} test {test_acc:.4f} "
            f"sparsity {total_sp:.4f} ({mode}, {elapsed:.0f} s)")
    use_average(net, recipe, ema, log)
    report = finish(net, recipe, spec, history, elapsed, xte, yte, out_dir, device, log)
    return report


def use_average(net, recipe, ema, log=print):
    """Put the parameter average ``ema`` (if the recipe keeps one and it has started) into ``net``,
    pruned back to the recipe's sparsity: what a run exports."""
    if ema is not None and ema.avg:
        ema.copy_to(net)
        zeros = prune_to(net.rewired_parameters(), recipe.target_sparsity, recipe.channel_cap) if recipe.prune else 0.0
        log(f"exporting the parameter average (EMA, decay {recipe.ema_decay}): weight sparsity {zeros:.4f}")


def export_checkpoint(ck_path, out_dir, data="default", log=print):
    """Export, check and report the network of a checkpoint as :func:`train` exports it at the end
    (its parameter average, if the recipe keeps one), e.g. a run stopped early."""
    from .recipes import Recipe
    ck = load_checkpoint(ck_path)
    recipe = Recipe.from_dict(ck["recipe"])
    spec = recipe.spec()
    net = SpikingNet(spec, recipe.surrogate_alpha, recipe.init_gain)
    net.load_state_dict(ck["net"])
    ema = ParameterEMA(recipe.ema_decay) if recipe.ema_decay else None
    if ema is not None and ck.get("ema"):
        ema.load_state_dict(ck["ema"])
    use_average(net, recipe, ema, log)
    _, (xte, yte) = load_data(spec, data)
    xte, yte = _subset(xte, yte, recipe.test_subset, recipe.seed + 1)
    os.makedirs(out_dir, exist_ok=True)
    return finish(net, recipe, spec, ck["history"], ck["elapsed"], xte, yte, out_dir, log=log)


def _bar(progress, total, desc):
    if not progress:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


def finish(net, recipe, spec, history, elapsed, xte, yte, out_dir, device="cpu", log=print):
    """Final evaluation, export (quantised recipes), bit-exact check, report JSON and plot."""
    net = net.to("cpu")
    report = dict(recipe=recipe.to_dict(), spec=json.loads(spec.to_json()), history=history,
                  train_time_s=elapsed, device=str(device), torch=torch.__version__)
    float_acc, float_dens = evaluate(net, xte, yte, "float")
    sp, sp_layers = weight_sparsity(net, False)
    report["float"] = dict(test_acc=float_acc, weight_sparsity=sp, weight_sparsity_layers=sp_layers,
                           spike_density=float_dens)
    if recipe.quant:
        model = export(net)
        before = check_bit_exact(model, xte)
        pruned, removed = remove_silent(model)
        pruned, order = order_for_scan(pruned, spread(xte, ORDER_SAMPLES))
        logits = check_bit_exact(pruned, xte, reference=before)
        stats = golden.run(pruned, xte, stats=True).stats.summary()
        acc = float((logits.argmax(1) == yte).mean())
        path = save(pruned, os.path.join(out_dir, "model.dsm"), meta=dict(
            trained_by="dualspike.train", test_acc=acc, test_samples=len(yte), recipe=recipe.to_dict()))
        report["int"] = dict(
            test_acc=acc, bit_exact=True, checked_samples=len(yte),
            weight_sparsity=pruned.sparsity(), weight_sparsity_layers=[pruned.sparsity(i) for i in
                                                                       range(len(pruned.layers))],
            weight_sparsity_before_removal=model.sparsity(), nonzeros=pruned.nonzeros(),
            removed_channels=removed, out_channels=[l.out_channels for l in pruned.spec.layers],
            spike_density=[l["spike_density"] for l in stats["layers"] if l["spike_density"] is not None],
            pairs_per_frame=[l["pairs"] for l in stats["layers"]], model_file=os.path.basename(path),
            channel_order=order,
            spec=json.loads(pruned.spec.to_json()))
        log(f"int4: test {report['int']['test_acc']:.4f} sparsity {pruned.sparsity():.4f} "
            f"bit-exact on {len(yte)} samples; removed {sum(map(len, removed))} silent channels; "
            f"channel order: window words {sum(o['words_before'] for o in order)} -> "
            f"{sum(o['words_after'] for o in order)} on {min(len(xte), ORDER_SAMPLES)} samples")
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    plot(history, os.path.join(out_dir, "report.png"))
    return report


def plot(history, path):
    """PNG of test accuracy and weight sparsity per epoch."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ep = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(ep, [100 * h["test_acc"] for h in history], "o-", label="test accuracy")
    ax.plot(ep, [100 * h["train_acc"] for h in history], ".--", label="train accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy [%]")
    ax2 = ax.twinx()
    ax2.plot(ep, [100 * h["weight_sparsity"] for h in history], "s-", color="tab:red", label="weight sparsity")
    ax2.set_ylabel("weight sparsity [%]")
    ax2.set_ylim(0, 100)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
