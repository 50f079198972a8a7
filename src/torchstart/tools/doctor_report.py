"""What `torchstart doctor` reports: one `Check` per thing it tried, and the text the learner reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..i18n import N_, _, columns, pad

# The checks' names, marked for the catalog: the text report shows them in the learner's language.
CHECK_NAMES = (N_("versions"), N_("dataloader workers"), N_("opencv non-ASCII path"), N_("runs dir"),
               N_("embedded samples"), N_("ants/bees"), N_("pretrained weights"))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, one line
    fix: str = ""  # how to fix it, in the learner's language; empty when ok


@dataclass
class DoctorReport:
    checks: list[Check]

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"healthy": self.healthy, "problems": len(self.problems), "checks": [asdict(c) for c in self.checks]}


def problem(name: str, detail: str, fix: str) -> Check:
    return Check(name, False, detail, fix)


def format_report(report: DoctorReport) -> str:
    """The report as text: one line per check, each problem's fix under it, then the verdict."""
    ok, fail = _("ok"), _("FAIL")
    status, names = max(columns(ok), columns(fail)), max(columns(_(c.name)) for c in report.checks)
    lines = []
    for c in report.checks:
        lines.append(f"{pad(ok if c.ok else fail, status)}  {pad(_(c.name), names)}  {c.detail}")
        if not c.ok:
            lines.append(" " * (status + 2 + names + 2) + _("fix: {fix}").format(fix=c.fix))
    n = len(report.problems)
    lines.append(_("healthy: everything the course needs works here") if report.healthy else
                 _("1 problem found — see the fix above") if n == 1 else
                 _("{count} problems found — see the fixes above").format(count=n))
    return "\n".join(lines)
