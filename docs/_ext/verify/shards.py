"""Execution apart from rendering: shards of the pages and scripts, their artifacts, the merge.

An *execute* build (``firsttorch_shard = "i/n"``) runs and verifies one shard of the
documents, balanced by the durations recorded in ``_expected/durations.json``, and leaves
an artifact folder: its records, the executed notebooks, the run states and the gallery's
generated files. A *render* build (``firsttorch_render = True``) merges the artifacts of
all n shards, refuses any that are missing, failed or stale, and builds the site from them
without running any code.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from verify.records import RunRecord

SHARD_FILE = "shard.json"
_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (from 1) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read ``"i/n"``; a clear ValueError for anything else."""
        match = _SPEC.fullmatch(text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            msg = (
                f"firsttorch_shard = {text!r} is not a shard: write 'i/n' with 1 <= i <= n, "
                "for example '1/2' and '2/2' for two shards."
            )
            raise ValueError(msg)
        return cls(int(match[1]), int(match[2]))

    @property
    def folder(self) -> str:
        """The artifact folder's name."""
        return f"shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def assign(units: Iterable[str], durations: Mapping[str, float], count: int) -> dict[str, int]:
    """Give each unit a shard (1..count), longest first to the least loaded shard.

    A unit without a recorded duration counts as the median of the known ones. The result
    depends only on the units, the durations and the count: every shard computes the same.
    """
    known = [d for d in durations.values() if d > 0]
    default = statistics.median(known) if known else 1.0
    weight = {u: durations.get(u, default) for u in units}
    loads = [0.0] * count
    shard_of: dict[str, int] = {}
    for unit in sorted(weight, key=lambda u: (-weight[u], u)):
        k = min(range(count), key=lambda i: (loads[i], i))
        shard_of[unit] = k + 1
        loads[k] += weight[unit]
    return shard_of


def read_durations(path: Path) -> dict[str, float]:
    """Recorded seconds per document (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data.items()}


def write_durations(path: Path, seconds: Mapping[str, float]) -> bool:
    """Write seconds per document, rounded to a tenth; whether the file changed."""
    text = json.dumps({k: round(v, 1) for k, v in sorted(seconds.items())}, indent=1) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def sha256(path: Path) -> str:
    """The file's SHA-256, to tell whether a source changed since its shard ran."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def example_files(auto_dir: Path, rel_script: Path) -> list[Path]:
    """Everything sphinx-gallery generated for one script, relative to *auto_dir*."""
    folder = auto_dir / rel_script.parent
    stem = rel_script.stem
    found = [
        *folder.glob(f"{stem}.*"),
        *folder.glob(f"images/sphx_glr_{stem}_[0-9][0-9][0-9].*"),
        *folder.glob(f"images/thumb/sphx_glr_{stem}_thumb.*"),
    ]
    return sorted(p.relative_to(auto_dir) for p in found if p.is_file())


@dataclass(frozen=True)
class Entry:
    """One document's record in an artifact, and the hash of the source it ran."""

    record: RunRecord
    source_sha256: str

    def to_json(self) -> dict[str, object]:
        """The entry as JSON data."""
        return {"record": asdict(self.record), "source_sha256": self.source_sha256}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Entry:
        """Read an entry written by :meth:`to_json`."""
        raw = data["record"]
        assert isinstance(raw, dict)
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        return cls(RunRecord(**fields), str(data["source_sha256"]))


@dataclass(frozen=True)
class Artifact:
    """What one execute build leaves: its shard, lane, fingerprint and entries."""

    shard: Shard
    lane: str
    fingerprint: str
    entries: dict[str, Entry]
    folder: Path
    distributions: tuple[str, ...] = ()  # installed when it ran, to say what differs

    def write(self, files: Mapping[str, Path]) -> None:
        """Write the artifact folder: ``shard.json`` and *files* (name in artifact: source)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        for name, src in sorted(files.items()):
            dest = self.folder / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        data = {
            "shard": str(self.shard),
            "lane": self.lane,
            "fingerprint": self.fingerprint,
            "distributions": list(self.distributions),
            "documents": {d: e.to_json() for d, e in sorted(self.entries.items())},
        }
        (self.folder / SHARD_FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Artifact:
        """Read the artifact in *folder*."""
        data = json.loads((folder / SHARD_FILE).read_text(encoding="utf-8"))
        entries = {d: Entry.from_json(e) for d, e in data["documents"].items()}
        shard = Shard.parse(data["shard"])
        dists = tuple(data.get("distributions", ()))
        return cls(shard, data["lane"], data["fingerprint"], entries, folder, dists)


class ArtifactError(Exception):
    """The artifacts cannot be rendered: missing, mixed, stale or failed."""


def merge(
    root: Path, lane: str, fingerprint: str, distributions: Iterable[str] = ()
) -> list[Artifact]:
    """The artifacts of every shard under *root*, checked to form one complete run.

    Refused: no artifacts; shards of different counts; a missing or repeated shard; another
    lane; a fingerprint (firsttorch, the verifier, the installed packages, Python) other
    than this build's; a document in two shards.
    """
    found = sorted(root.glob(f"*/{SHARD_FILE}")) + sorted(root.glob(SHARD_FILE))
    if not found:
        msg = (
            f"render: no shard artifacts in {root} (folders with a {SHARD_FILE}). Run every "
            "shard first: `nox -s execute -- 1/2` and `nox -s execute -- 2/2`, or copy "
            "their artifact folders there."
        )
        raise ArtifactError(msg)
    artifacts = [Artifact.read(p.parent) for p in found]
    counts = sorted({a.shard.count for a in artifacts})
    if len(counts) > 1:
        msg = f"render: {root} mixes shardings into {counts} shards; keep the folders of one run."
        raise ArtifactError(msg)
    seen = sorted(a.shard.index for a in artifacts)
    want = list(range(1, counts[0] + 1))
    if seen != want:
        missing = sorted(set(want) - set(seen))
        doubled = sorted({i for i in seen if seen.count(i) > 1})
        msg = (
            f"render: the artifacts in {root} are not shards 1..{counts[0]} once each "
            f"(missing {missing}, repeated {doubled}); every shard must run."
        )
        raise ArtifactError(msg)
    for a in artifacts:
        if a.lane != lane:
            msg = f"render: {a.folder.name} ran on the {a.lane} lane; this build renders the {lane} lane."
            raise ArtifactError(msg)
        if a.fingerprint != fingerprint:
            mine, theirs = set(distributions), set(a.distributions)
            differ = [f"{d} only here" for d in sorted(mine - theirs)]
            differ += [f"{d} only in the shard" for d in sorted(theirs - mine)]
            what = f" Packages: {'; '.join(differ[:6])}." if differ and theirs else ""
            msg = (
                f"render: {a.folder.name} was executed with other code or packages than this "
                "build has (firsttorch, the verifier, installed distributions or Python "
                f"differ); its outputs would be stale.{what} Re-run the shards with this "
                "checkout, in an environment like this one."
            )
            raise ArtifactError(msg)
    owner: dict[str, str] = {}
    for a in artifacts:
        for doc in a.entries:
            if doc in owner:
                msg = f"render: {doc} is in both {owner[doc]} and {a.folder.name}."
                raise ArtifactError(msg)
            owner[doc] = a.folder.name
    return artifacts
