"""The verifier's parts on their own: comparison, lanes and patterns, transcripts, probes."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib
import nbformat
import pytest
from verify import compare, lanes, pages, probe, transcript

matplotlib.use("Agg")


# -- comparison: exact about meaning, blind to layout --------------------------------------
@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        # NumPy re-pads its columns when a last bit changes (the AVX2 vs AVX-512 report).
        (
            "y_numpy = [-5.58223    -5.7964     -0.07837319]",
            "y_numpy = [-5.58223    -5.7963996  -0.07837325]",
        ),
        ("tensor([0.1235, 2.0000])", "tensor([0.1234, 2.0000])"),  # a rounding flip
        ("tensor([[ 1.5000, -2.0000]])", "tensor([[1.5000, -2.0000]])"),
        ("a = [1.  2.  3.]\nb", "a = [1. 2. 3.]\nb"),
        ("x = 0.", "x = -0."),
        ("[1.0, 2.0,\n 3.0]", "[1.0, 2.0, 3.0]"),
    ],
)
def test_same_meaning_passes(expected: str, actual: str) -> None:
    assert compare.outputs_match(expected, actual)


@pytest.mark.parametrize(
    ("expected", "actual", "why"),
    [
        ("tensor([4., 6.])", "tensor([5., 7.])", "5. is not 4."),  # a wrong gradient
        ("tensor([4.1234, 6.0000])", "tensor([4., 6.])", "4. is not 4.1234"),  # precision=0
        ("0.1234", "0.2", "0.2 is not 0.1234"),
        ("shape (3, 4)", "shape (3, 5)", "5 is not 4 (integers must be equal)"),
        ("count 4", "count 4.0", "a float where the reviewed output has an integer"),
        ("count 4.0", "count 4", "an integer where the reviewed output has a float"),
        ("True", "False", "text differs"),
        ("is not a leaf", "isnot a leaf", "text differs"),
        ("tensor([1., 2.])", "tensor([1., 2., 3.])", "text differs"),
        ("1000.0", "1001.5", "1001.5 is not 1000.0"),  # never looser than 0.1 %
    ],
)
def test_different_meaning_fails(expected: str, actual: str, why: str) -> None:
    assert not compare.outputs_match(expected, actual)
    assert why in compare.first_difference(expected, actual)


def test_tolerance_follows_the_expected_side() -> None:
    four = compare.Number.parse("4.")
    assert compare.tolerance(four) == pytest.approx(4e-3)  # capped by the relative bound
    fine = compare.Number.parse("-0.07837319")
    assert compare.tolerance(fine) == pytest.approx(7.837319e-7)  # float32 noise floor
    assert compare.Number.parse("1.5e-3").unit() == pytest.approx(1e-4)
    assert compare.NUMBER.findall("torch 2.13.0, x1 = 3, -2.5e-3") == ["3", "-2.5e-3"]


# -- lanes and patterns ---------------------------------------------------------------------
def test_placeholders_expand_per_lane() -> None:
    assert lanes.pattern_matches(lanes.CPU, "device = {device}", "device = cpu\n")
    assert not lanes.pattern_matches(lanes.CPU, "device = {device}", "device = cuda:0")
    assert lanes.pattern_matches(lanes.GPU, "device = {device}", "device = cuda:0")
    assert not lanes.pattern_matches(lanes.GPU, "device = {device}", "device = cpu")
    assert lanes.pattern_matches(lanes.CPU, "took {time}", "took 1.25 ms")
    assert lanes.pattern_matches(lanes.GPU, "Timed on: {devices}", "Timed on: cpu and cuda")


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        (r"(device = cpu)?", "must not accept empty"),
        (r".*", "must not accept empty"),
        (r"[\s\S]+", "must not accept empty or arbitrary"),
        (r"device = (cpu|cuda)", "spells out accelerator names"),
        (r"cpu and {gpu}", "unknown placeholder"),
        (r"device = (cpu", "not a regular expression"),
    ],
)
def test_pattern_lint_rejects_patterns_that_accept_anything(pattern: str, problem: str) -> None:
    assert any(problem in p for p in lanes.pattern_problems(pattern))


def test_pattern_lint_accepts_honest_patterns() -> None:
    assert lanes.pattern_problems(r"((cpu|{device_type}) +n = +\d+: +{time}(\n|$))+") == []


@pytest.mark.parametrize(
    "output",
    [
        "device = cuda:0",
        "Timed on: cpu and cuda",
        "tensor([1.], device='cuda:0')",
        "device(type='mps', index=0)",
    ],
)
def test_cpu_lane_output_may_not_name_an_accelerator(output: str) -> None:
    assert lanes.accelerator_named(lanes.CPU, output)
    assert lanes.accelerator_named(lanes.GPU, output) is None


@pytest.mark.parametrize(
    "output", ["cuda   not available (torch.version.cuda\n is None)", "pick_device('cuda') failed"]
)
def test_cpu_lane_may_talk_about_an_accelerator(output: str) -> None:
    assert lanes.accelerator_named(lanes.CPU, output) is None


def test_gpu_lane_drops_the_device_tensors_print() -> None:
    text = "tensor([1., 2.], device='cuda:0')\ntensor([3], device='cuda:0', dtype=torch.int32)"
    assert lanes.GPU.normalise(text) == "tensor([1., 2.])\ntensor([3], dtype=torch.int32)"
    assert lanes.CPU.normalise(text) == text


def test_unknown_lane_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="is not a lane; choose one of"):
        lanes.lane_named("tpu")


# -- transcripts ---------------------------------------------------------------------------
def test_transcript_round_trip_and_normalisation() -> None:
    sections = [
        transcript.Section("[1] x = 1", "x = 1\n"),
        transcript.Section("[2] print(device)", "", "device = {device}"),
        transcript.Section("[3] pass", ""),
    ]
    text = transcript.render(sections, "docs/page.md", "nox -s accept")
    assert transcript.parse(text) == sections
    raw = '\x1b[31mFile "/tmp/ipykernel_123/456.py", line 2\x1b[0m at 0x7f00deadbeef /repo/x  '
    assert transcript.normalise(raw, ("/repo",), "cell [3]") == (
        "cell [3], line 2 at 0x<address> <root>/x\n"
    )
    assert transcript.title_for(1, "# comment\n" + "y = " + "1" * 80).endswith("...")
    diff = transcript.unified_diff("a\n", "b\n", "t.txt")
    assert "-a" in diff
    assert "+b" in diff


# -- probes ---------------------------------------------------------------------------------
def test_random_watch_catches_unseeded_draws_however_spelled() -> None:
    import numpy as np
    import torch
    from torch import rand  # the spelling a textual lint missed

    watch = probe.RandomWatch()
    watch.start()
    rand(2)
    watch.check("cell [1]")
    assert watch.found == ["cell [1] draws from the unseeded torch generator"]
    torch.manual_seed(0)
    torch.nn.Linear(2, 2)
    watch.check("cell [2]")
    np.random.rand(2)
    watch.check("cell [3]")
    np.random.seed(1)
    np.random.rand(2)
    watch.check("cell [4]")
    assert watch.found[1:] == ["cell [3] draws from the unseeded numpy generator"]


def test_figure_data_describes_what_is_drawn() -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [3.0, 4.0])
    ax.plot(range(30), [i * 0.5 for i in range(30)], label="half")
    ax.scatter([1, 2], [3, 4])
    ax.imshow([[0, 1], [2, 3]])
    ax.text(0, 0, "note")
    ax.legend()
    ax.set_title("bars")
    text = probe.figure_data(fig)
    plt.close(fig)
    assert "title 'bars'" in text
    assert "heights [3.0, 4.0]" in text
    assert "30 values, first 0.0, last 14.5" in text
    assert "PathCollection: 2 points" in text
    assert "image 2x2: [0.0, 1.0, 2.0, 3.0]" in text
    assert "texts: ['note']" in text
    assert "legend: ['half']" in text
    fig2, ax2 = plt.subplots()
    ax2.bar(["a", "b"], [3.0, 5.0])
    assert "heights [3.0, 5.0]" in probe.figure_data(fig2)  # a wrong bar is a different text
    plt.close(fig2)


def test_failing_assert_explains_its_values() -> None:
    code = "t = [1, 2]\nassert len(t) == 3\n"
    tree = probe.explain_asserts(ast.parse(code))
    with pytest.raises(AssertionError) as info:
        exec(compile(tree, "<cell>", "exec"), {})  # noqa: S102
    assert str(info.value) == "assert len(t) == 3\n  where len(t) = 2"
    code = "ok = lambda v: v > 1\nassert not ok(5)\nassert ok(y)\n"
    tree = probe.explain_asserts(ast.parse(code))
    with pytest.raises(AssertionError, match=r"where ok\(5\) = True"):
        exec(compile(tree, "<cell>", "exec"), {})  # noqa: S102

    def missing() -> object:
        msg = "name 'y' is not defined"
        raise NameError(msg)

    message = probe.assert_message("f(y)", (("y", missing), ("z", lambda: "x" * 999)))
    assert "<could not evaluate: NameError" in message
    assert message.endswith("...")
    kept = ast.parse("assert x, 'mine'\nassert True\nassert flag\n")
    assert ast.unparse(probe.explain_asserts(kept)).count("assert_message") == 2


def test_run_state_round_trip(tmp_path: Path) -> None:
    state = probe.RunState(devices=["cpu"], unseeded=["x"], figures={"3": ["f"]})
    state.write(tmp_path / "a" / "s.json")
    assert probe.RunState.read(tmp_path / "a" / "s.json") == state
    assert probe.RunState.read(tmp_path / "missing.json") is None


# -- pages ----------------------------------------------------------------------------------
def _notebook(*cells: tuple[str, dict[str, object], list[dict[str, object]], int | None]) -> object:
    nb = nbformat.v4.new_notebook()
    for source, meta, outputs, count in cells:
        cell = nbformat.v4.new_code_cell(source, metadata=meta)
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        cell.execution_count = count
        nb.cells.append(cell)
    nb.metadata["source_map"] = [10 * (i + 1) for i in range(len(cells))]
    return nb


def _error(ename: str, evalue: str) -> dict[str, object]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}


def test_page_failure_is_reported_once_with_the_cells_not_reached() -> None:
    nb = _notebook(
        (
            "assert x == 3",
            {"tags": ["remove-cell"]},
            [_error("AssertionError", "assert x == 3\n  where x = 2")],
            1,
        ),
        ("1 / 0", {"tags": ["raises-exception"], "raises": "ZeroDivisionError"}, [], None),
        ("print(2)", {}, [], None),
    )
    result = pages.page_result(nb, Path("page.md"), lanes.CPU, (), None)
    messages = [p.message for p in result.problems]
    assert messages == [
        "page.md:10 cell [1] a hidden check failed:\nAssertionError: assert x == 3\n  where x = 2",
        "page.md: cells [2] to [3] not reached, because cell [1] failed.",
    ]


def test_page_outputs_rich_figures_and_declared_errors() -> None:
    figure = {
        "output_type": "display_data",
        "data": {"image/png": "x"},
        "metadata": {probe.FIGURE_MIME: {"data": "figure: 1 axes\n"}},
    }
    html = {
        "output_type": "execute_result",
        "data": {"text/html": "<b>7</b>", "text/plain": "7"},
        "metadata": {},
        "execution_count": 2,
    }
    png = {"output_type": "display_data", "data": {"image/png": "x"}, "metadata": {}}
    nb = _notebook(
        ("plot()", {}, [figure], 1),
        ("show()", {}, [html], 2),
        ("img()", {}, [png], 3),
        (
            "bad()",
            {"tags": ["raises-exception"], "raises": "KeyError", "match": "zz"},
            [_error("KeyError", "'a'")],
            4,
        ),
        (
            "bad()",
            {"tags": ["raises-exception"], "raises": "KeyError"},
            [_error("ValueError", "v")],
            5,
        ),
        ("ok()", {"tags": ["raises-exception"]}, [], 6),
        ("ok()", {"raises": "KeyError"}, [], 7),
        ("ok()", {"tags": ["raises-exception"], "raises": "KeyError"}, [], 8),
    )
    state = probe.RunState(
        devices=["cpu"],
        unseeded=["cell [1] draws from the unseeded torch generator"],
    )
    result = pages.page_result(nb, Path("p.md"), lanes.CPU, (), state)
    assert result.sections[0].body == "[figure]\nfigure: 1 axes\n"
    assert result.sections[1].body == "[text/html]\n<b>7</b>\n"
    text = "\n".join(p.message for p in result.problems)
    assert "shows a image/png image that is not a matplotlib figure" in text
    assert "raised KeyError without 'zz' in its message" in text
    assert "should raise KeyError but raised ValueError: v" in text
    assert "does not declare what it raises" in text
    assert "declares raises: KeyError but is not tagged raises-exception" in text
    assert "should raise KeyError but raised nothing" in text
    assert "draws from the unseeded torch generator; seed it first" in text
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><title>g</title><desc>d</desc><rect/><text>x</text></svg>'
    shown, problem = pages.rich_text({"text/html": f"<div>{svg}</div>"}, {})
    assert problem is None
    assert (
        shown == "[text/html]\n<div>svg: 'g'\n  desc: 'd'\n  texts: ['x']\n  shapes: 1 rect</div>\n"
    )
    assert "does not parse" in pages.svg_summary("<svg><rect></svg>")
    assert pages.rich_text({}, {})[1] is not None
    assert pages.rich_text({"text/html": {"a": 1}}, {})[1] is not None
    assert pages.count_asserts("def (") == 0


# -- what re-runs, and the GPU lane's one-line refusal ------------------------------------
def test_fingerprint_covers_sources_lane_and_distributions(tmp_path: Path) -> None:
    from verify import extension

    (tmp_path / "mod.py").write_text("x = 1\n", encoding="utf-8")
    first = extension.fingerprint((tmp_path,), "cpu")
    assert extension.fingerprint((tmp_path,), "cpu") == first
    assert extension.fingerprint((tmp_path,), "gpu") != first
    (tmp_path / "mod.py").write_text("x = 2\n", encoding="utf-8")
    assert extension.fingerprint((tmp_path,), "cpu") != first
    # The verifier watches itself: a change to docs/_ext/verify re-runs every page.
    watched = extension.watched_dirs([str(tmp_path)])
    assert watched == (tmp_path.resolve(), Path(extension.__file__).resolve().parent)
    assert any(p.name == "compare.py" for p in watched[1].rglob("*.py"))


def test_gpu_lane_without_torch_says_what_it_needs_in_one_line() -> None:
    """docs_gpu's first step, run by a Python that cannot import torch (-S: no site-packages)."""
    import subprocess
    import sys

    tree = ast.parse((Path(__file__).parents[1] / "noxfile.py").read_text(encoding="utf-8"))
    code = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "GPU_NEEDS"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("GPU lane: needs a CUDA build of torch in the Python that runs nox")
