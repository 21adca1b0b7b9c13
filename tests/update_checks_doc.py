"""Regenerate docs/checks.md from the code registry and the err/ fixtures:
`python tests/update_checks_doc.py`. A test fails when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERR = ROOT / "tests" / "fixtures" / "err"
DOC = ROOT / "docs" / "checks.md"


def render() -> str:
    from kfyaml.compiler.diagnostics import CODES

    out = ["# Checks", "",
           "Every problem kfyaml reports has a code. Each section shows the check's input and its exact output,",
           "taken from the test fixtures (`tests/fixtures/err/`), so this page cannot drift from what the",
           "compiler says. Regenerate it with `python tests/update_checks_doc.py`.", "",
           "| code | name | severity |", "| --- | --- | --- |"]
    out += [f"| [{c.code}](#{c.code.lower()}-{c.title}) | {c.title} | {c.severity.value} |" for c in CODES.values()]
    for code in CODES.values():
        out += ["", f"## {code.code} {code.title}", "", code.description, ""]
        fixtures = sorted(ERR.glob(f"{code.code}_*.yaml"))
        if not fixtures:
            out += ["This check needs an input that cannot live in a fixture file (a generated 20 MB file, a "
                    "missing file, or a compiler bug); `tests/test_hostile_inputs.py` covers it."]
        for fixture in fixtures:
            raw = fixture.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1") + "\n# (saved as Latin-1, not UTF-8)"
            if len(text) > 1500:
                text = text[:1500] + "\n# ... (cut here)"
            out += [f"`{fixture.name}`:", "", "```yaml", text.rstrip("\n"), "```", "", "Output:", "", "```",
                    fixture.with_suffix(".out").read_text().rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    print(DOC.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
