"""Tests of docs/_ext/transcript.py: normalisation, tolerant comparison, file format."""

from __future__ import annotations

import pytest
import transcript
from transcript import Section


class TestNormalise:
    def test_device_suffix_is_removed(self) -> None:
        """A CUDA tensor's repr normalises to the CPU tensor's repr."""
        gpu = "tensor([1., 2.], device='cuda:0', grad_fn=<AddBackward0>)"
        cpu = "tensor([1., 2.], grad_fn=<AddBackward0>)"
        assert transcript.normalise(gpu) == transcript.normalise(cpu)

    def test_addresses_and_kernel_paths_are_masked(self) -> None:
        """Memory addresses and notebook cell file names are masked."""
        text = 'at 0x7f3a2b4c5d6e in "/tmp/ipykernel_123/456789.py", line 3'
        assert transcript.normalise(text) == 'at 0x<address> in "<cell>", line 3\n'

    def test_roots_and_timings_are_masked(self) -> None:
        """Absolute repository paths and short timings are masked."""
        text = "/home/me/repo/gallery/x.py took 12.5 ms"
        assert transcript.normalise(text, ("/home/me/repo",)) == "<root>/gallery/x.py took <time>\n"

    def test_plain_numbers_are_kept(self) -> None:
        """Values are never normalised away: only their comparison is tolerant."""
        assert transcript.normalise("tensor([4., 6.])") == "tensor([4., 6.])\n"


class TestOutputsMatch:
    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            ("tensor([0.1234, 0.5678])", "tensor([0.1235, 0.5678])"),
            ("loss = 1.000000", "loss = 1.000001"),
            ("x = 2.5e-08", "x = 2.6e-08"),
            ("y = 1000.0", "y = 1000.5"),
        ],
    )
    def test_float_noise_passes(self, expected: str, actual: str) -> None:
        """Differences at the level of CPU-versus-GPU float noise pass."""
        assert transcript.outputs_match(expected, actual)

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            ("tensor([0.1234, 0.5678])", "tensor([0.1334, 0.5678])"),
            ("torch.Size([2, 3])", "torch.Size([3, 2])"),
            ("tensor(78)", "tensor(79)"),
            ("x is unchanged", "x is changed"),
            ("tensor([1., 2.])", "tensor([1., 2., 3.])"),
            ("dtype=torch.float32", "dtype=torch.float64"),
        ],
    )
    def test_real_changes_fail(self, expected: str, actual: str) -> None:
        """Changed values, shapes, integers, words or lengths fail."""
        assert not transcript.outputs_match(expected, actual)

    def test_nan_matches_only_nan(self) -> None:
        """nan equals nan for our purposes, and nothing else."""
        assert transcript.numbers_close("nan", "nan")
        assert not transcript.numbers_close("nan", "1.0")


class TestFormat:
    def test_render_parse_round_trip(self) -> None:
        """A rendered transcript parses back into the same sections."""
        sections = [
            Section("[1] x = 1", "tensor([1])\n"),
            Section(
                "[2] print(device) (device-specific)", "device = cpu\n", pattern=r"device = \w+"
            ),
            Section("[3] pass", ""),
        ]
        back = transcript.parse(transcript.render(sections, "docs/p.md", "nox -s accept"))
        assert [(s.title, s.body.strip(), s.pattern) for s in back] == [
            ("[1] x = 1", "tensor([1])", None),
            ("[2] print(device) (device-specific)", r"~ device = \w+", r"device = \w+"),
            ("[3] pass", "", None),
        ]

    def test_compare_flags_changed_missing_and_extra_sections(self) -> None:
        """compare() reports the changed section and any length difference."""
        a = [Section("[1] a", "1\n"), Section("[2] b", "2\n")]
        b = [Section("[1] a", "1\n"), Section("[2] b", "3\n"), Section("[3] c", "")]
        assert transcript.compare(a, b) == [1, 2]
        assert transcript.compare(a, a) == []

    def test_pattern_must_match_the_output(self) -> None:
        """A device-specific section passes on a match and fails otherwise."""
        expected = Section("[1] d", "", pattern=r"device = (cpu|cuda:\d+)")
        assert transcript.section_matches(
            expected, Section("[1] d", "device = cuda:0\n", expected.pattern)
        )
        assert not transcript.section_matches(
            expected, Section("[1] d", "device = mps\n", expected.pattern)
        )

    def test_changed_pattern_fails(self) -> None:
        """Loosening a pattern in the source without accepting it fails."""
        expected = Section("[1] d", "", pattern=r"device = cpu")
        actual = Section("[1] d", "device = cpu\n", pattern=r".*")
        assert not transcript.section_matches(expected, actual)

    def test_diff_names_both_sides(self) -> None:
        """The diff shows the committed and the new text."""
        diff = transcript.unified_diff("a\nb\n", "a\nc\n", "docs/_expected/p.txt")
        assert "(expected, committed)" in diff
        assert "-b" in diff
        assert "+c" in diff
