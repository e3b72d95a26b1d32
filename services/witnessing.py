"""Getting the ledger's checkpoints cosigned by its witnesses, and recording the cosignatures.

After an append has committed (never inside its transaction), the latest checkpoint goes to
each configured witness as a C2SP tlog-witness ``add-checkpoint`` request, with a consistency
proof from the size that witness last cosigned for us (0 if none, from ledger_cosignatures).
A 409 answer names the witness's size (``text/x.tlog.size``): we retry once with a proof from
it. A cosignature is stored only once it verifies under that witness's configured key.

A witness that is down, slow or refusing changes nothing in the log: the entry is already
committed, and ``sync`` (``rledger witness sync``) sends the latest checkpoint again later.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledger.errors import LedgerError
from ledger.tlog.witnessed import cosigners, split_note
from services.log import TransparencyLog
from services.ports import AppendResult, LogStore, StoredCosignature, WitnessTransport
from services.witness_config import WitnessConfig, WitnessSite

SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class WitnessReport:
    """Where the latest checkpoint stands with the configured witnesses."""

    size: int
    quorum: int
    wait_for_quorum: bool
    witnesses: tuple[str, ...]  # configured names, in file order
    cosigned_by: tuple[str, ...]
    problems: dict[str, str] = field(default_factory=dict)  # name -> what went wrong this time

    @property
    def reached(self) -> bool:
        return len(self.cosigned_by) >= self.quorum

    @property
    def summary(self) -> str:
        """One plain line: witnessed (k of n, quorum K) or NOT yet witnessed."""
        counts = f"{len(self.cosigned_by)} of {len(self.witnesses)} (quorum {self.quorum})"
        if self.reached:
            return f"checkpoint of size {self.size}: witnessed by {counts}"
        return f"checkpoint of size {self.size}: NOT yet witnessed: cosigned by {counts}"

    def details(self) -> list[str]:
        return [f"witness {name}: {problem}" for name, problem in self.problems.items()]


class Witnessing:
    """One job: send the latest checkpoint to the witnesses and record their cosignatures."""

    def __init__(
        self,
        store: LogStore,
        config: WitnessConfig | None,
        transport: WitnessTransport | None,
        now: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.config = config
        self.transport = transport
        self.now = now
        self.last: WitnessReport | None = None  # the report of the latest submission

    @property
    def enabled(self) -> bool:
        return self.config is not None and self.transport is not None

    def after_append(self, result: AppendResult) -> None:
        """The append hook: submit, and keep the report. Never raises: the entry is committed,
        and whatever went wrong with the witnesses is only reported."""
        try:
            self.last = self.submit()
        except LedgerError as exc:
            assert self.config is not None
            names = tuple(w.name for w in self.config.witnesses)
            problems = {name: f"not sent: {exc}" for name in names}
            config = self.config
            size = result.checkpoint.size
            self.last = WitnessReport(size, config.quorum, config.wait_for_quorum, names, (), problems)

    def status(self) -> WitnessReport | None:
        """The latest checkpoint's standing from stored cosignatures alone (no network)."""
        if self.config is None:
            return None
        latest = self.store.latest_checkpoint()
        if latest is None:
            return None
        size, note = latest
        return self._report(size, note, {})

    def submit(self) -> WitnessReport | None:
        """Send the latest checkpoint to every witness that has not cosigned it yet (at once),
        store what comes back, and report. None when no witnesses are configured."""
        if self.config is None or self.transport is None:
            return None
        latest = self.store.latest_checkpoint()
        if latest is None:
            return None
        size, note = latest
        done = self._cosigned_at(size, note)
        todo = [w for w in self.config.witnesses if w.name not in done]
        problems: dict[str, str] = {}
        if todo:
            with ThreadPoolExecutor(max_workers=len(todo)) as pool:
                outcomes = list(pool.map(lambda site: self._submit_one(site, size, note), todo))
            problems = {site.name: problem for site, problem in zip(todo, outcomes, strict=True) if problem}
        report = self._report(size, note, problems)
        self.last = report
        return report

    sync = submit

    def _report(self, size: int, note: str, problems: dict[str, str]) -> WitnessReport:
        assert self.config is not None
        done = self._cosigned_at(size, note)
        return WitnessReport(
            size,
            self.config.quorum,
            self.config.wait_for_quorum,
            tuple(w.name for w in self.config.witnesses),
            tuple(w.name for w in self.config.witnesses if w.name in done),
            problems,
        )

    def _cosigned_at(self, size: int, note: str) -> set[str]:
        """Names of configured witnesses whose stored cosignature of ``size`` verifies."""
        assert self.config is not None
        body, _ = split_note(note)
        lines = [row.line for row in self.store.cosignatures(size)]
        found = cosigners(body, lines, self.config.verifiers)
        names = {w.verifier.name: w.name for w in self.config.witnesses}
        return {names[n] for n in found.verified}

    def _submit_one(self, site: WitnessSite, size: int, note: str) -> str | None:
        """One witness, retrying from the size a 409 names (other writers move the witness on
        between our requests); the problem, or None on success."""
        try:
            old = self.store.cosigned_sizes().get(site.key_label, 0)
            for _ in range(3):
                if old > size:
                    return self._ahead(old)
                status, content_type, text = self._post(site, old, size, note)
                if status == 200:
                    return self._record(site, size, note, text)
                if status != 409 or not content_type.startswith(SIZE_CONTENT_TYPE):
                    return _refusal(status, text)
                recorded = _size_answer(text)
                if recorded is None:
                    return f"answered 409 with {text.strip()[:40]!r}"
                if recorded == old:  # it holds exactly what we claimed, yet refuses: another root
                    return _refusal(status, text)
                old = recorded
        except LedgerError as exc:
            return f"not witnessed: {exc}"
        return "kept moving on while we sent (other writers); `rledger witness sync` catches it up"

    def _ahead(self, recorded: int) -> str:
        """The witness holds a larger size than the checkpoint we sent: a newer append by
        another process got there first, or entries the witness saw are gone from the log."""
        latest = self.store.latest_checkpoint()
        if latest is not None and latest[0] >= recorded:
            return f"has already cosigned a newer checkpoint (size {recorded})"
        return (
            f"has cosigned size {recorded}, more than this ledger's latest checkpoint: "
            "entries it saw are gone from this ledger (truncated or restored from a backup)"
        )

    def _post(self, site: WitnessSite, old: int, size: int, note: str) -> tuple[int, str, str]:
        assert self.transport is not None
        hashes: list[str] = []
        if 0 < old < size:
            hashes = TransparencyLog(self.store).consistency_proof(old, size)["hashes"]
        lines = "".join(h + "\n" for h in hashes)
        body = f"old {old}\n{lines}\n{note}".encode()
        return self.transport.post(f"{site.url}/add-checkpoint", body)

    def _record(self, site: WitnessSite, size: int, note: str, text: str) -> str | None:
        body, _ = split_note(note)
        for line in text.splitlines():
            try:
                if site.verifier.matches(line):
                    site.verifier.verify(line, body)
                else:
                    continue
            except LedgerError as exc:
                return f"answered with a cosignature that does not verify: {exc}"
            received = self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.store.add_cosignature(StoredCosignature(size, site.key_label, line, received))
            return None
        return "answered 200 without a cosignature by its configured key"


def _size_answer(text: str) -> int | None:
    value = text.strip()
    return int(value) if value.isdigit() and len(value) <= 20 else None


def _refusal(status: int, text: str) -> str:
    reason = text.strip().splitlines()[0][:200] if text.strip() else ""
    if status == 0:
        return f"unreachable: {reason}"
    meaning = {
        403: "does not accept our log key",
        404: "is not configured for this log",
        409: "has a checkpoint of the same size with another root (a fork)",
        422: "refused the consistency proof: this history does not extend the one it cosigned",
    }.get(status, "refused the checkpoint")
    return f"HTTP {status}, {meaning}" + (f": {reason}" if reason else "")
