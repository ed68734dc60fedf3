"""The report of one run: bench.json, bench.md and build-time.png in benchmarks/results."""

from __future__ import annotations

import json
from pathlib import Path

from common import RESULTS
from targets import TARGETS, verdict


def report(r: dict[str, object]) -> str:
    f = {k: v for k, v in r.items() if isinstance(v, (int, float))}
    pages = r["page_exec_s"]
    assert isinstance(pages, dict)
    trivial = float(f["trivial_notebook_s"])
    kernel_total = trivial * len(pages)
    exec_total = sum(pages.values())
    rows = [
        (
            "Clean CPU-lane build (as nox: two Sphinx processes per core)",
            f"{f['clean_build_s']:.1f} s",
            "",
            "",
        ),
        ("Floor: build with execution off", f"{f['floor_build_s']:.1f} s", "", ""),
        ("Floor: all code once, one process", f"{f['code_once_s']:.1f} s", "", ""),
        ("Clean build / floor", f"{f['clean_over_floor']:.2f}x", "<= 1.5x", "clean_over_floor"),
        (
            "Clean build with cold kernels (`firsttorch_warm_kernels=0`)",
            f"{f['clean_cold_build_s']:.1f} s ({f['clean_cold_build_s'] / f['clean_build_s']:.2f}x the warm one)",
            "",
            "",
        ),
        (
            "No-op rebuild",
            f"{f['noop_rebuild_s']:.1f} s ({r['noop_ran']} re-ran)",
            "<= 3 s",
            "noop_rebuild_s",
        ),
        (
            "No-op rebuild / importing the extension stack",
            f"{f['noop_over_import']:.1f}x ({f['extension_import_s']:.2f} s to import)",
            "<= 5x",
            "noop_over_import",
        ),
        (
            "No-op rebuild of the same site with only its third-party extensions (execution off)",
            f"{f['noop_third_party_s']:.1f} s ({f['noop_third_party_over_import']:.1f}x the import)",
            "",
            "",
        ),
        (
            "Rebuild, one page edited (the warm process kept from the build before, as `nox -s serve`)",
            f"{f['page_edit_s']:.1f} s ({r['page_edit_ran']} re-ran)",
            "<= 6 s",
            "page_edit_s",
        ),
        (
            "One page edited / no-op rebuild",
            f"{f['page_edit_over_noop']:.2f}x",
            "<= 2x",
            "page_edit_over_noop",
        ),
        (
            "Rebuild, one script edited",
            f"{f['script_edit_s']:.1f} s ({r['script_edit_ran']} re-ran)",
            "<= 6 s",
            "script_edit_s",
        ),
        ("Kernel start + `import torch` per page", f"{trivial:.2f} s", "", ""),
        (
            "`broadcast_shape` / `torch.broadcast_shapes`",
            (
                f"{f['broadcast_shape_ratio']:.2f}x ({f['broadcast_shape_us']:.1f} vs "
                f"{f['torch_broadcast_shapes_us']:.1f} µs)"
            ),
            "<= 2x",
            "broadcast_shape_ratio",
        ),
        (
            "MLP step, `strict_broadcasting` off",
            f"{f['strict_off_ratio']:.3f}x",
            "<= 1.02x",
            "strict_off_ratio",
        ),
        (
            "MLP step, `strict_broadcasting` on (one block around the loop)",
            f"{f['strict_on_ratio']:.2f}x",
            "<= 1.3x",
            "strict_on_ratio",
        ),
        (
            "MLP step, a `strict_broadcasting` block opened for each step",
            (
                f"{f['strict_per_step_ratio']:.2f}x (opening and closing the outermost block: "
                f"{f['strict_enter_exit_us']:.0f} µs)"
            ),
            "",
            "",
        ),
        (
            (
                "MLP step in a bare `TorchFunctionMode` (forwards only; strict mode used one "
                "before, the explainer still does)"
            ),
            f"{f['bare_mode_ratio']:.2f}x",
            "",
            "",
        ),
        (
            "MLP step, `explain_autograd_errors()`, nothing fails",
            f"{f['explain_autograd_ratio']:.2f}x",
            "",
            "",
        ),
        (
            "MLP step, `explain_autograd_errors(track_ops=False)`, nothing fails",
            f"{f['explain_untracked_ratio']:.2f}x",
            "",
            "",
        ),
        ("`pick_device()` per call", f"{f['pick_device_us']:.1f} µs", "", ""),
        (
            "`import firsttorch` over `import torch`",
            (
                f"{f['import_overhead_ms']:.1f} ms inside one interpreter (whole process: "
                f"{f['import_firsttorch_ms']:.0f} vs {f['import_torch_ms']:.0f} ms, "
                "a difference within process-start noise)"
            ),
            "<= 30 ms",
            "import_overhead_ms",
        ),
    ]
    lines = [
        (
            f"Measured {r['date']} on {r['machine']} ({r['cpus']} CPUs), torch {r['torch']}, "
            f"Python {r['python']}; all in one run of `nox -s bench`. The MLP step is "
            f"{f['train_step_us']:.0f} µs (64x64 batch, 64-128-10). Load average (1 min): "
            f"{r.get('load_before', '?')} before, {r.get('load_after', '?')} after; on a busy "
            "machine every wall time here grows."
        ),
        "",
        "| Measure | Value | Target | Verdict |",
        "| --- | --- | --- | --- |",
    ]
    for name, value, target, key in rows:
        lines.append(f"| {name} | {value} | {target} | {verdict(key, f[key]) if key else ''} |")
    lines += [
        "",
        (
            f"Of the clean build, {exec_total:.1f} s is myst-nb executing {len(pages)} pages, one "
            "kernel each, forked warm from a process that has imported torch (a cold kernel "
            f"that only imports torch takes {trivial:.2f} s: {kernel_total:.1f} s for "
            f"{len(pages)} pages). All pages' and examples' code together runs in "
            f"{f['code_once_s']:.1f} s in one process."
        ),
        "",
        "| Page | Executed in (s) | Over a bare cold kernel (s) |",
        "| --- | --- | --- |",
    ]
    for page, secs in sorted(pages.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {page} | {secs:.2f} | {secs - trivial:+.2f} |")
    top = r.get("import_top") or []
    if top:
        lines += [
            "",
            "Slowest imports after torch (cumulative): "
            + ", ".join(
                f"`{name}` {us / 1000:.1f} ms"
                for us, name in top  # type: ignore[union-attr]
            )
            + ".",
        ]
    lines += ["", *why_missed(r)]
    return "\n".join(lines) + "\n"


def why_missed(r: dict[str, object]) -> list[str]:
    """One paragraph per missed target: by how much, and why, from this run's figures."""
    f: dict[str, float] = {k: v for k, v in r.items() if isinstance(v, int | float)}
    missed = {k for k, t in TARGETS.items() if k in f and f[k] > t}
    if not missed:
        return ["Every target is met."]
    out = ["Why targets are missed:", ""]
    if "clean_over_floor" in missed:
        out.append(
            f"- Clean build / floor: {f['clean_over_floor']:.2f}x. Kernels now start warm (cold "
            f"kernels: {f['clean_cold_build_s']:.1f} s for the same build), so what remains "
            "is one kernel process per page (forked, then IPython and ZeroMQ set up, and "
            "jupyter_client's fixed 0.2 s wait for its output channel), jupyter_client's "
            "round trips for every cell, and sphinx-gallery running the scripts one after "
            "another; the floor runs all code in one process with none of that."
        )
    if {"noop_rebuild_s", "page_edit_s", "noop_over_import", "page_edit_over_noop"} & missed:
        out.append(
            "- Rebuilds: a rebuild with nothing to run imports no torch, re-renders no "
            "unchanged module source page, and does no work of the verifier's beyond "
            "reading its fingerprint, so what remains is third-party start-up, where setting "
            "the extensions up costs more than importing them: sphinx-gallery imports "
            "matplotlib.pyplot at config-inited whatever the configuration (about 0.25 s), "
            "intersphinx re-reads local inventory files on every build, by design (about "
            "0.23 s), myst-nb's Sphinx module imports jupyter-cache and SQLAlchemy (about "
            "0.3 s), then Python and Sphinx themselves: "
            f"{f['noop_rebuild_s']:.1f} s against {f['extension_import_s']:.2f} s for "
            "importing the extension stack alone. The same site with only its third-party "
            f"extensions takes {f['noop_third_party_s']:.1f} s for a no-op "
            f"({f['noop_third_party_over_import']:.1f}x): the target is below that floor. An "
            "edited page adds its kernel and its run."
        )
    if "strict_on_ratio" in missed:
        out.append(
            f"- `strict_broadcasting` on: {f['strict_on_ratio']:.2f}x; only the element-wise "
            "ops and losses are wrapped, so the rest of the step runs untouched, and what "
            "remains is the checks themselves."
        )
    explained = {"clean_over_floor", "noop_rebuild_s", "page_edit_s", "noop_over_import"}
    for key in sorted(missed - explained - {"page_edit_over_noop"}):
        if key != "strict_on_ratio":
            out.append(f"- `{key}`: {f[key]:.3g} against {TARGETS[key]:.3g}; see the table.")
    return out


def plot(r: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [
        "clean build",
        "floor: sphinx,\nno execution",
        "floor: code\nonce",
        "no-op\nrebuild",
        "one page\nedited",
        "one script\nedited",
    ]
    keys = [
        "clean_build_s",
        "floor_build_s",
        "code_once_s",
        "noop_rebuild_s",
        "page_edit_s",
        "script_edit_s",
    ]
    values = [float(r[k]) for k in keys]  # type: ignore[arg-type]
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    bars = ax.bar(
        names, values, color=["#c0392b", "#7f8c8d", "#95a5a6", "#2980b9", "#2980b9", "#2980b9"]
    )
    ax.bar_label(bars, fmt="%.1f s")
    ax.set_ylabel("wall time (s)")
    ax.set_title(f"Where build time goes ({r['cpus']} CPUs, CPU lane)")
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write(r: dict[str, object]) -> None:
    """Write bench.json, bench.md and build-time.png into benchmarks/results."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(r, indent=2, sort_keys=True) + "\n")
    md = report(r)
    (RESULTS / "bench.md").write_text(md, encoding="utf-8")
    plot(r, RESULTS / "build-time.png")
    print(md)  # noqa: T201
