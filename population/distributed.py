"""The distributed engine of `policy batch`: the same decisions on a Dask cluster.

    policy batch CASES --engine dask --out FOLDER [--scheduler ADDRESS] [--jobs N]

CASES is a JSON Lines or CSV file, a folder of them, or a glob; FOLDER gets
one part file per partition and a manifest. Without ``--scheduler`` a
``LocalCluster`` of ``--jobs`` worker processes runs on this machine (on
127.0.0.1); with it, the workers of that scheduler decide.

Three steps:

1. **Decide.** The client reads the case files in partitions of
   ``--chunk-size`` lines (default PARTITION_SIZE) — JSON Lines as the
   file's bytes, CSV as parsed rows, exactly the chunks of the local batch —
   and submits each to the cluster, a few per worker at a time. A worker
   decides a partition with the local batch's chunk function
   (``population.batch.decide_block`` / ``decide_rows``: the same code, not a
   second implementation) on a ``Worker`` it loads once per process and
   checks against the client's policy hash. The client writes each
   partition's decisions, rejects and real-name claims as it comes back
   (``part-00000.jsonl``, ``part-00000.rejects.jsonl``), then a record that it
   is done: an interrupted run goes on with the partitions not done
   (``--resume``).
2. **Flag.** The real-name claims of every partition and of ``--history``
   (the registry's 16-byte digests, with their places: file, line, order in
   the line) are shuffled by the person's digest across the cluster
   (``dask.bag`` groupby, task shuffle). In each group the claims of one
   digest are put in input order, and each beyond its check's ``max`` is
   flagged with the places before it — what ``realname.Registry`` finds
   streaming through the file, found here wherever the claims landed.
3. **Patch.** The flagged lines of each part file get their ``flags``, built
   by ``realname.flag`` as the local batch builds them.

The part files, read in order (``cat FOLDER/part-*.jsonl``), are the local
batch's output for the same cases, byte for byte.

Workers need ``policy`` installed and, for ``--policy DIR`` or
``--revision FILE``, the same files at the same paths (a shared folder); a
worker whose policy hash differs from the client's refuses to decide. The
case files are read by the client and sent to the workers, and the part
files written by the client: the workers need no shared storage for them.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from dsl.errors import CaseError, PolicyError, Position

PARTITION_SIZE = 10_000  # lines per partition (--chunk-size)
MANIFEST = "manifest.json"
FORMAT = 1
COMMAND = "policy batch --engine dask"
IN_FLIGHT_PER_WORKER = 3  # partitions queued per worker: bounds the client's memory
MAX_BUCKETS = 256  # buckets of persons the real-name shuffle moves
SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")


class DaskUnavailable(CaseError):
    """Dask is not installed, or the scheduler cannot be reached (exit 2)."""


class PolicyMismatch(PolicyError):
    """A worker loaded a policy whose hash is not the client's (exit 2)."""

    exit_code = 2


# -- the input: a file, a folder, a glob -----------------------------------------------


def case_files(pattern: str) -> list[str]:
    """The case files CASES names: the file itself, the JSON Lines and CSV files
    of a folder, or the files a glob matches; in order of name."""
    p = Path(pattern)
    if p.is_dir():
        files = sorted(
            str(p / f.name) for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES
        )
        if not files:
            raise CaseError(
                "the folder holds no case file (.jsonl, .ndjson, .json, .csv)",
                position=Position(pattern),
            )
        return files
    if p.exists() or not any(c in pattern for c in "*?["):
        return [pattern]
    files = sorted(f for f in glob.glob(pattern) if os.path.isfile(f))
    if not files:
        raise CaseError("no case file matches", position=Position(pattern))
    return files


# -- on the workers ------------------------------------------------------------------------

_POLICIES: dict = {}
_WORKERS: dict = {}
_LOCK = threading.Lock()


def _worker_for(spec):
    """This process's Worker for a spec: the policy loaded once per process
    (from the policy cache), shared by the specs of every case file."""
    from .batch import Worker, load_policy_with

    key = dataclasses.replace(spec, catalogs=None)  # the catalogue source compares by identity
    with _LOCK:
        worker = _WORKERS.get(key)
        if worker is None:
            pkey = (spec.policy_dir, spec.revisions)
            policy = _POLICIES.get(pkey)
            if policy is None:
                policy = _POLICIES[pkey] = load_policy_with(
                    spec.policy_dir, spec.revisions, spec.catalogs
                )
            worker = _WORKERS[key] = Worker(spec, policy)
    return worker


def decide_partition(spec, policy_hash: str, fn, *args) -> tuple:
    """One partition decided on a worker by the local batch's chunk function
    ``fn`` (decide_block or decide_rows), after checking that this worker's
    policy is the client's."""
    worker = _worker_for(spec)
    if worker.hash != policy_hash:
        import socket

        raise PolicyMismatch(
            f"the worker on {socket.gethostname()} loaded a policy whose hash is "
            f"{worker.hash}, not {policy_hash} as here",
            hint="the workers must have the same policy folder (and revision files) at the "
            "same path, and the same version of policy",
        )
    return fn(worker, *args)


# -- the global real-name step -------------------------------------------------------------


def by_bucket(buckets: int, records: list) -> list:
    """A partition's claims sorted into ``buckets`` by the person's digest:
    [(bucket, [claims])]. The shuffle moves these lists, not single claims,
    so that its cost per claim is small; a person's claims all land in one
    bucket."""
    out: dict = {}
    for r in records:
        out.setdefault(r[0] % buckets, []).append(r)
    return list(out.items())


def bucket_of(item: tuple) -> int:
    """What the shuffle groups by: the bucket of the person's digest."""
    return item[0]


def flag_bucket(maxes: tuple, group: tuple) -> list:
    """The claims of the persons of one bucket (a shuffle group), flagged as
    the registry flags them: per claim digest, in input order (file, line,
    order in the line), every claim with ``max`` or more before it. Each
    flagged claim: (partition, index in the part, order in the line,
    [(file, line) before])."""
    _bucket, lists = group
    by_claim: dict = {}
    for _b, records in lists:
        for r in records:
            by_claim.setdefault(r[1], []).append(r)
    out = []
    for claims in by_claim.values():
        if len(claims) <= maxes[claims[0][7]]:
            continue
        claims.sort(key=lambda r: (r[2], r[3], r[4]))
        for i, r in enumerate(claims):
            if r[5] >= 0 and i >= maxes[r[7]]:
                out.append((r[5], r[6], r[4], [(c[2], c[3]) for c in claims[:i]]))
    return out


def shuffle_record(
    claim, src: int, line: int, ordinal: int, part: int, index: int, check_index: dict
) -> tuple:
    """A claim as the shuffle carries it: (person digest, claim digest,
    file, line, order in the line, partition, index in the part, check)."""
    from .realname import claim_digest

    check_id, person = claim[0], claim[1]
    pkey = int.from_bytes(
        hashlib.blake2b(str(person).encode("utf-8"), digest_size=8).digest(), "little"
    )
    # the key exactly as the registry digests it (a claim read back from JSON
    # has lists where the registry has tuples)
    key = (check_id, person, tuple(claim[2]), claim[3])
    return (pkey, claim_digest(key), src, line, ordinal, part, index, check_index[check_id])


# -- the client ------------------------------------------------------------------------------


@dataclass
class Source:
    """A case file of the input."""

    path: str
    format: str
    spec: object = None


def _quiet_all_exit() -> None:
    """Stopped by Ctrl-C or SIGTERM while it gathers results, distributed's
    Client leaves an asyncio task whose AllExit nobody retrieves, and asyncio
    logs it as a traceback on stderr when the task is collected ("Task
    exception was never retrieved ... distributed.client.AllExit"), above the
    one line that reports the interruption. That record, and only it, is
    dropped."""
    import logging

    try:
        from distributed.client import AllExit
    except ImportError:  # pragma: no cover - a version without it logs nothing of it
        return

    class QuietAllExit(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            exc = record.exc_info[1] if record.exc_info else None
            return not isinstance(exc, AllExit)

    log = logging.getLogger("asyncio")
    if not any(type(f).__name__ == "QuietAllExit" for f in log.filters):
        log.addFilter(QuietAllExit())


def connect(scheduler: str | None, jobs: int):
    """A Dask client: to ``scheduler``, or to a LocalCluster of ``jobs`` worker
    processes, every socket on 127.0.0.1. Returns (client, cluster or None)."""
    import logging

    _quiet_all_exit()

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DaskUnavailable(
            "the Dask engine needs dask[distributed]", hint="pip install 'dask[distributed]'"
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailable(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                hint="start one with `dask scheduler`, and workers with `dask worker ADDRESS`",
            ) from None
    # Ctrl-C at a terminal goes to every process of the group: the worker
    # processes start with it ignored (a disposition they inherit), and this
    # process, which decides what is kept, closes them
    import signal

    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # everything on loopback: the scheduler, the workers and the HTTP
        # server the scheduler always runs (on a free port: a fixed one would
        # clash with another cluster and warn)
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            # the workers of our own cluster say nothing on the terminal: every
            # failure of theirs reaches this process as an exception (and is
            # reported in one line), while at Ctrl-C a worker whose scheduler has
            # just closed logged a heartbeat traceback at ERROR (seen under load)
            silence_logs=logging.CRITICAL,
        )
    finally:
        signal.signal(signal.SIGINT, old)
    return Client(cluster), cluster


class DaskBatch:
    """One batch on a Dask cluster into a folder (``run``)."""

    def __init__(
        self,
        folder,
        sources: list[Source],
        policy,
        *,
        chunk_size: int | None,
        history: str | None,
        identity: dict,
        on_reject=None,
        on_progress=None,
        other_policy: bool = False,
    ):
        from .batch import Summary
        from .realname import checks_of, history_claims

        self.folder = folder  # interpreter.outputs.PartialFolder
        self.sources = sources
        self.policy = policy
        self.checks = checks_of(policy)
        self.chunk_size = chunk_size or PARTITION_SIZE
        self.history = history
        # the history is read (and a record made under another policy refused,
        # exit 2, as the local engine does) before any case is decided
        self.history_claims = (
            list(history_claims(history, self.checks, policy, other_policy))
            if history is not None
            else []
        )
        self.identity = identity
        self.on_reject = on_reject
        self.on_progress = on_progress
        self.summary = Summary(
            policy_hash=policy.hash,
            policy_id=policy.document.id,
            program_order=tuple(policy.programs),
        )
        self.partitions: dict[int, dict] = {}

    # what a finished partition leaves
    @staticmethod
    def part(index: int, suffix: str) -> str:
        return f"part-{index:05d}{suffix}"

    def done_partitions(self) -> dict[int, dict]:
        """The partitions an earlier run finished (their records)."""
        out = {}
        for name in self.folder.names():
            if name.startswith("part-") and name.endswith(".done.json"):
                rec = json.loads(self.folder.read(name))
                out[rec["index"]] = rec
        return out

    def run(self, client) -> None:
        self.partitions = self.done_partitions()
        self.decide(client)
        flags = self.flag(client)
        self.patch(flags)
        self.finish()

    # -- 1. decide ---------------------------------------------------------------------
    def _tasks(self):
        from .batch import chunk_tasks, open_cases

        index = 0
        for src, source in enumerate(self.sources):
            with open_cases(source.path, source.format) as cases:
                start = cases.position()[1]
                for fn, args, (_offset, next_line) in chunk_tasks(cases, self.chunk_size):
                    yield index, src, start, next_line, fn, args
                    start = next_line
                    index += 1

    def decide(self, client) -> None:
        from distributed import as_completed

        nworkers = max(1, len(client.scheduler_info().get("workers", {})))
        window = nworkers * IN_FLIGHT_PER_WORKER
        tasks = self._tasks()
        meta: dict = {}
        ac = as_completed()
        total = [0]

        def submit_next() -> bool:
            for index, src, first, end, fn, args in tasks:
                total[0] = max(total[0], index + 1)
                if index in self.partitions:
                    continue
                spec = self.sources[src].spec
                fut = client.submit(decide_partition, spec, self.policy.hash, fn, *args, pure=False)
                meta[fut.key] = (index, src, first, end)
                ac.add(fut)
                return True
            return False

        for _ in range(window):
            if not submit_next():
                break
        for fut in ac:
            packed = fut.result()
            index, src, first, end = meta.pop(fut.key)
            fut.release()
            self._write_partition(index, src, first, end, packed)
            submit_next()
            if self.on_progress is not None:
                self.on_progress(len(self.partitions), None)

    def _write_partition(self, index, src, first, end, packed) -> None:
        from .batch import compact

        cases_n, ok, rejected, claims, tallies = packed
        self.folder.write(
            self.part(index, ".jsonl"), ("\n".join(ok) + "\n").encode("utf-8") if ok else b""
        )
        self.folder.write(
            self.part(index, ".rejects.jsonl"),
            "".join(text + "\n" for _l, text, _m in rejected).encode("utf-8"),
        )
        self.folder.write(
            self.part(index, ".claims.json"),
            compact([[i, line, [list(c) for c in found]] for i, line, found in claims]).encode(
                "utf-8"
            ),
        )
        rec = {
            "index": index,
            "source": src,
            "first_line": first,
            "end_line": end,
            "cases": cases_n,
            "decided": len(ok),
            "rejected": len(rejected),
            "tallies": [[p, r, c, str(a)] for (p, r), (c, a) in tallies.items()],
        }
        # written last: its presence is what says the partition is done
        self.folder.write(self.part(index, ".done.json"), compact(rec).encode("utf-8"))
        self.partitions[index] = rec
        self.folder.precious = True  # work worth resuming, whatever happens next
        if self.on_reject is not None:
            for _line, _text, message in rejected:
                self.on_reject(message)

    # -- 2. flag -----------------------------------------------------------------------
    def _history_records(self, check_index) -> list:
        out: list = []
        for line, claim in self.history_claims:
            out.append(shuffle_record(claim, 0, line, 0, -1, -1, check_index))
        return out

    def flag(self, client) -> list:
        import functools

        import dask.bag as db

        check_index = {c.id: i for i, c in enumerate(self.checks)}
        if not self.checks:
            return []
        offset = 1 if self.history is not None else 0
        futures = []
        history = self._history_records(check_index)
        if history:
            futures.append(client.scatter([history])[0])
        for index in sorted(self.partitions):
            src = self.partitions[index]["source"] + offset
            claims = json.loads(self.folder.read(self.part(index, ".claims.json")))
            records = [
                shuffle_record(c, src, line, o, index, i, check_index)
                for i, line, found in claims
                for o, c in enumerate(found)
            ]
            if records:
                futures.append(client.scatter([records])[0])
        if not futures:
            return []
        maxes = tuple(c.max for c in self.checks)
        buckets = max(1, min(len(futures), MAX_BUCKETS))
        bag = db.from_delayed(futures).map_partitions(functools.partial(by_bucket, buckets))
        flagged = (
            bag.groupby(bucket_of, shuffle="tasks")
            .map(functools.partial(flag_bucket, maxes))
            .flatten()
        )
        return flagged.compute()

    # -- 3. patch ----------------------------------------------------------------------
    def patch(self, flagged: list) -> None:
        from .batch import compact
        from .realname import flag

        names = ([str(self.history)] if self.history is not None else []) + [
            s.path for s in self.sources
        ]
        by_part: dict = {}
        for part, index, ordinal, earlier in flagged:
            by_part.setdefault(part, {}).setdefault(index, []).append((ordinal, earlier))
        checks = {c.id: c for c in self.checks}
        flagged_lines = 0
        for part in sorted(by_part):
            claims = {
                i: found
                for i, _line, found in json.loads(self.folder.read(self.part(part, ".claims.json")))
            }
            lines = self.folder.read(self.part(part, ".jsonl")).decode("utf-8").split("\n")
            for index, found_flags in sorted(by_part[part].items()):
                found = claims[index]
                flags = []
                for ordinal, earlier in sorted(found_flags, key=lambda x: x[0]):
                    claim = tuple(found[ordinal])
                    claim = (claim[0], claim[1], tuple(claim[2]), claim[3], claim[4])
                    flags.append(
                        flag(checks[claim[0]], claim, [f"{names[s]}:{line}" for s, line in earlier])
                    )
                data = json.loads(lines[index])
                data["flags"] = flags
                lines[index] = compact(data)
                flagged_lines += 1
            self.folder.write(self.part(part, ".jsonl"), "\n".join(lines).encode("utf-8"))
        self.summary.flagged = flagged_lines

    # -- the end -----------------------------------------------------------------------
    def finish(self) -> None:
        from decimal import Decimal

        for index in sorted(self.partitions):
            rec = self.partitions[index]
            self.summary.merge(
                rec["cases"],
                rec["decided"],
                {(p, r): [c, Decimal(a)] for p, r, c, a in rec["tallies"]},
            )
        manifest = {
            "format": FORMAT,
            "command": COMMAND,
            "identity": self.identity,
            "complete": True,
            "partitions": [
                {
                    k: self.partitions[i][k]
                    for k in (
                        "index",
                        "source",
                        "first_line",
                        "end_line",
                        "cases",
                        "decided",
                        "rejected",
                    )
                }
                | {"decisions": self.part(i, ".jsonl"), "rejects": self.part(i, ".rejects.jsonl")}
                for i in sorted(self.partitions)
            ],
            "summary": self.summary.to_json(),
        }
        self.folder.write(
            MANIFEST,
            (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode(
                "utf-8"
            ),
        )
        for index in self.partitions:
            self.folder.remove(self.part(index, ".claims.json"))
            self.folder.remove(self.part(index, ".done.json"))


# -- what the output depends on ----------------------------------------------------------


def identity_of(
    sources: list[Source], policy, history: str | None, as_of, explain: bool, chunk_size: int | None
) -> dict:
    """The manifest's ``identity``: every case file's name, format and
    SHA-256, the policy hash, the history's SHA-256, the options that shape
    the output, the partition size (partitions are resumed by number)."""
    from .resume import sha256_file

    return {
        "inputs": [
            {"path": s.path, "sha256": sha256_file(s.path), "format": s.format} for s in sources
        ],
        "policy": policy.hash,
        "history": (
            None if history is None else {"path": str(history), "sha256": sha256_file(history)}
        ),
        "as_of": as_of.isoformat() if as_of is not None else None,
        "explain": bool(explain),
        "partition": chunk_size or PARTITION_SIZE,
    }


def _difference(old: dict, new: dict) -> str | None:
    from .resume import _CHANGED

    a, b = old.get("inputs") or [], new["inputs"]
    if [x.get("path") for x in a] != [x["path"] for x in b]:
        return (
            f"the case files were {', '.join(x.get('path', '?') for x in a)} in the "
            f"interrupted run, now {', '.join(x['path'] for x in b)}"
        )
    for x, y in zip(a, b):
        if x != y:
            return f"the case file {y['path']} has changed since the interrupted run"
    for key in ("policy", "history", "as_of", "explain"):
        if old.get(key) != new.get(key):
            return _CHANGED[key] + (
                f": {old.get(key)}, now {new.get(key)}" if key == "policy" else ""
            )
    if old.get("partition") != new.get("partition"):
        return (
            f"--chunk-size differs from the interrupted run's ({old.get('partition')}): "
            "partitions are resumed by number"
        )
    return None


def resume_check(folder, ident: dict) -> None:
    """A partial folder left by an interrupted run goes on only when nothing
    its output depends on has changed (else exit 2, nothing touched); the
    manifest is (re)written with this run's identity."""
    from .resume import ResumeError

    try:
        old = json.loads(folder.read(MANIFEST))
    except FileNotFoundError:
        old = None
    except (OSError, ValueError) as exc:
        raise ResumeError(
            f"the manifest of the interrupted batch is unreadable: {exc}",
            position=Position(folder.partial),
            hint="start again with --force",
        ) from None
    if old is not None:
        if not (
            isinstance(old, dict) and old.get("command") == COMMAND and old.get("format") == FORMAT
        ):
            raise ResumeError(
                "this is not the manifest of a `policy batch --engine dask`",
                position=Position(folder.partial),
                hint="start again with --force",
            )
        why = _difference(old.get("identity", {}), ident)
        if why:
            raise ResumeError(
                f"cannot resume: {why}",
                position=Position(folder.partial),
                hint="run it again from the start with --force (the partial output is replaced)",
            )
    folder.write(
        MANIFEST,
        (
            json.dumps(
                {"format": FORMAT, "command": COMMAND, "identity": ident, "complete": False},
                ensure_ascii=False,
                indent=1,
                sort_keys=True,
            )
            + "\n"
        ).encode("utf-8"),
    )
