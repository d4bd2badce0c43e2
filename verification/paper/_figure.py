"""The paper's figure and tables from a result of :func:`verification.paper.run`."""
from __future__ import annotations

import numpy as np

from verification._common import paired_bootstrap

from ._claims import NAMES, baseline_of, eval_rows, photo
from ._problems import METHODS, PANELS

LABELS = {"inpaint": ("observed pixels", "Inpainting"), "denoise": ("σ (on [0, 255])", "Denoising"),
          "superres": ("downscaling factor", "Super-resolution"), "circulant": ("m / n", "CS, partial circulant")}
STYLE = {"csgm": ("CSGM (MSE)", "s-"), "csgm_lpips": ("CSGM (MSE + LPIPS)", "^-"), "ilo": ("ILO", "o-"),
         "unconstrained": ("unconstrained", "x--")}


def curves(result: dict, panel: str, method: str, subset: str = "curve", photos: bool = True):
    """(levels, mean MSE) of ``method`` on one set's photos (or samples) of a Figure-2 panel."""
    rows = [r for r in result["figure2"] if r["panel"] == panel and r.get("set", "curve") == subset
            and photo(r) == photos and r.get(method)]
    levels = sorted({r["level"] for r in rows})
    return levels, [float(np.mean([r[method]["mse"] for r in rows if r["level"] == v])) for v in levels]


def _eval_means(result, panel, photos=True):
    """(levels, mean MSE of the baseline, of ILO) on the evaluation set."""
    levels = [v for p, v in result["config"]["claim_levels"] if p == panel]
    base, ilo = [], []
    for v in levels:
        rows = eval_rows(result, panel, v, photos)
        base.append(np.mean([r[baseline_of(r)]["mse"] for r in rows]))
        ilo.append(np.mean([r["ilo"]["mse"] for r in rows]))
    return levels, base, ilo


def plot(result: dict):
    """Top: Figure 2's four panels -- true MSE vs level on the held-out curve photos (lines), the evaluation
    photos' means at the claim levels (large markers: filled ILO, open the better CSGM), the generator samples
    (grey). Bottom: the ratio each row judges with its 95 % CI over photos; Figures 6-7; Table 1."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 4, figsize=(17, 8), layout="constrained")
    cfg = result["config"]
    for ax, panel in zip(axes[0], PANELS, strict=True):
        for m in METHODS:
            lv, mse = curves(result, panel, m)
            if lv:
                ax.plot(lv, mse, STYLE[m][1], label=f"{STYLE[m][0]}, curve photos", ms=4, alpha=0.7)
        lv, base, ilo = _eval_means(result, panel)
        if lv:
            ax.plot(lv, ilo, "o", ms=10, color="C2", label=f"ILO, {len(cfg['photos'])} photos")
            ax.plot(lv, base, "s", ms=10, mfc="none", color="C0", label=f"better CSGM, {len(cfg['photos'])} photos")
            _, sb, si = _eval_means(result, panel, photos=False)
            ax.plot(lv, si, "o:", color="grey", ms=4, label="ILO, samples")
            ax.plot(lv, sb, "s:", color="grey", ms=4, mfc="none", label="better CSGM, samples")
        ax.set_xscale("log")
        ax.set_yscale("log")
        levels = list(cfg[panel])
        ax.set_xticks(levels, [f"{v:g}" for v in levels], fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel(LABELS[panel][0])
        ax.set_title(LABELS[panel][1], fontsize=11)
    axes[0, 0].set_ylabel("true MSE (on [-1, 1])")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    ax = axes[1, 0]
    names, est, err = [], [], []
    for p, v in cfg["claim_levels"]:
        rows = eval_rows(result, p, v)
        e, lo, hi = paired_bootstrap([r[baseline_of(r)]["mse"] for r in rows], [r["ilo"]["mse"] for r in rows])
        names.append(f"{p} {v:g}")
        est.append(e)
        err.append((e - lo, hi - e))
    ax.errorbar(range(len(est)), est, yerr=np.array(err).T, fmt="o", capsize=3)
    ax.axhline(1, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("MSE(better CSGM) / MSE(ILO)")
    ax.set_title(f"The judged ratios (95% CI over {len(cfg['photos'])} photos)", fontsize=11)
    for ax, key in ((axes[1, 1], "mse"), (axes[1, 2], "lpips")):
        for L in cfg["layers"]:
            vals = [np.mean([next(r[key] for r in j["runs"] if r["T"] == T and r["L"] == L) for j in result["runtime"]])
                    for T in cfg["budgets"]]
            ax.plot(cfg["budgets"], vals, "o-", label="CSGM (L = 1)" if L == 1 else f"ILO, L = {L}")
        ax.set_xscale("log")
        ax.set_xticks(cfg["budgets"], [str(T) for T in cfg["budgets"]])
        ax.minorticks_off()
        ax.set_xlabel("total steps T (T / L in each layer)")
        ax.set_ylabel(key.upper())
        ax.set_title(f"Figures 6-7: inpainting 20%, {key.upper()}", fontsize=11)
        ax.legend(fontsize=7)
    ax = axes[1, 3]
    keys = ("csgm_lpips_plain", "csgm_lpips_sna", "ilo_plain", "ilo_sna")
    vals = [np.mean([r[k]["psnr"] for r in result["table1"]]) for k in keys]
    bars = ax.bar(range(4), vals, color=["C1", "C1", "C0", "C0"], alpha=0.8)
    ax.bar_label(bars, [f"{v:.2f}" for v in vals], fontsize=8)
    ax.set_ylim(min(vals) - 3, max(vals) + 1.5)
    ax.set_xticks(range(4), ["CSGM", "CSGM + SNA", "ILO", "ILO + SNA"], fontsize=8)
    ax.set_ylabel("PSNR [dB]")
    ax.set_title(f"Table 1: denoising σ = {cfg['sna_sigma']:g}", fontsize=11)
    return fig


def _cell(have) -> str:
    return f"{np.mean([h['mse'] for h in have]):.4f} ({np.mean([h['psnr'] for h in have]):.1f} dB)" if have else "n/a"


def tables(result: dict) -> str:
    """Markdown: the evaluation set per claim level (per photo and pooled), the curve photos per level, Table 1,
    Figures 6-7."""
    out = ["\n### Evaluation set, per claim level (MSE, PSNR; baseline = the better CSGM on the curve photos)\n",
           "| image | level | baseline | better CSGM | ILO | CSGM / ILO |", "|---|---|---|---|---|---|"]
    for p, v in result["config"]["claim_levels"]:
        rows = eval_rows(result, p, v) + eval_rows(result, p, v, photos=False)
        for r in rows:
            b = baseline_of(r)
            out.append(f"| {r['image']} | {p} {v:g} | {NAMES[b]} | {_cell([r[b]])} | {_cell([r['ilo']])} | "
                       f"{r[b]['mse'] / r['ilo']['mse']:.2f} |")
        ph = eval_rows(result, p, v)
        a, c = [r[baseline_of(r)]["mse"] for r in ph], [r["ilo"]["mse"] for r in ph]
        ratio = f"{np.mean(a) / np.mean(c):.2f}"
        if len(ph) >= 2:
            _, lo, hi = paired_bootstrap(a, c)
            ratio += f" [{lo:.2f}, {hi:.2f}]"
        out.append(f"| **{len(ph)} photos, pooled** | {p} {v:g} | | {_cell([r[baseline_of(r)] for r in ph])} | "
                   f"{_cell([r['ilo'] for r in ph])} | {ratio} |")
    for panel in PANELS:
        out += [f"\n### Curve photos: {LABELS[panel][1]}\n", "| image | " + LABELS[panel][0] + " | "
                + " | ".join(STYLE[m][0] for m in METHODS) + " |", "|---|---|" + "---|" * len(METHODS)]
        for r in [r for r in result["figure2"] if r["panel"] == panel and r.get("set") == "curve"]:
            out.append(f"| {r['image']} | {r['level']:g} | " + " | ".join(_cell([r[m]] if r.get(m) else [])
                                                                         for m in METHODS) + " |")
    out += [f"\n### Table 1 (PSNR [dB], σ = {result['config']['sna_sigma']:g})\n",
            "| image | CSGM | CSGM + SNA | ILO | ILO + SNA |", "|---|---|---|---|---|"]
    for r in result["table1"]:
        keys = ("csgm_lpips_plain", "csgm_lpips_sna", "ilo_plain", "ilo_sna")
        out.append(f"| {r['image']} | " + " | ".join(f"{r[k]['psnr']:.2f}" for k in keys) + " |")
    cfg = result["config"]
    out += ["\n### Figures 6-7 (inpainting 20%: MSE / LPIPS, mean over photos)\n",
            "| T | " + " | ".join("CSGM" if L == 1 else f"ILO L = {L}" for L in cfg["layers"]) + " |",
            "|---|" + "---|" * len(cfg["layers"])]
    for T in cfg["budgets"]:
        cells = []
        for L in cfg["layers"]:
            rs = [next(r for r in j["runs"] if r["T"] == T and r["L"] == L) for j in result["runtime"]]
            cells.append(f"{np.mean([r['mse'] for r in rs]):.4f} / {np.mean([r['lpips'] for r in rs]):.3f}")
        out.append(f"| {T} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
