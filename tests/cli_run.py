"""Running `sco-registry` in the test's own process (`main(argv)`), with its output
captured: the exit code, stdout, stderr, and the one error line a failure must print."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sco_registry.cli import main


def sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def error_line(self) -> str:
        """The one line on stderr, checked to be the only one and well formed."""
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: ["), self.err
        return lines[0]


def run(capfd: pytest.CaptureFixture[str], *argv: str) -> Run:
    capfd.readouterr()
    code = main(list(argv))
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    return Run(code, out, err)
