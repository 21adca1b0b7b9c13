"""Regenerate docs/checks.md from the code registry and the err/ fixtures:
`python tools/update_checks_doc.py`. A test fails when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERR = ROOT / "tests" / "fixtures" / "err"
DOC = ROOT / "docs" / "checks.md"


def render() -> str:
    from kfyaml.compiler.codes import CODES, PASSES

    def reported_by(code) -> str:
        return ", ".join(f"{p} (`{PASSES[p]}`)" for p in code.passes)

    out = ["# Checks", "",
           "Every problem kfyaml reports has a code. Each section shows the check's input and its exact output,",
           "taken from the test fixtures (`tests/fixtures/err/`), so this page cannot drift from what the",
           "compiler says. Regenerate it with `python tools/update_checks_doc.py`.", "",
           "A warning can be silenced where it is reported with a comment, `# kfyaml: ignore[KY404]`, on its",
           "line or the line above, or for a whole project in the configuration (see",
           "[language.md](language.md#silencing-warnings)). Errors cannot be silenced.", "",
           "| code | name | severity | reported by |", "| --- | --- | --- | --- |"]
    out += [f"| [{c.id}](#{c.id.lower()}-{c.title}) | {c.title} | {c.severity.value} | {', '.join(c.passes)} |"
            for c in CODES.values()]
    for code in CODES.values():
        out += ["", f"## {code.id} {code.title}", "", code.description, "", f"Reported by: {reported_by(code)}.", ""]
        fixtures = sorted(ERR.glob(f"{code.id}_*.yaml"))
        if not fixtures and "import" in code.passes:
            out += ["This check reads compiled KFP IR given to `kfyaml import`, not a pipeline file; "
                    "`tests/test_import.py` asserts its exact output for each case (not YAML, not IR, alias bombs, "
                    "nesting, tags; a kfp-kubernetes setting and a pipeline input kfyaml has no form for)."]
        elif not fixtures:
            out += ["This check needs an input that cannot live in a fixture file (a generated 20 MB file, a "
                    "missing file, a configuration file, or a compiler bug); its own test covers it."]
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
