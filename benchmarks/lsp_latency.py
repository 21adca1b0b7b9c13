"""`kfyaml lsp` latency: open, change and completion on a 100-step and a 1000-step pipeline.

    python benchmarks/lsp_latency.py [--repeat 5]

Starts the server over stdio (as an editor does, with tests/support's LSP
client) and times, per size: open until the diagnostics arrive, a change
until the new diagnostics arrive (less the 150 ms debounce), and a
`steps.<id>.outputs.` completion's reply. Also the in-process full re-check
(the compiler's passes plus the index) that each change costs. Medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.lsp_client import LspClient  # noqa: E402


def pipeline(n: int) -> str:
    steps = ["  s0:\n    image: alpine\n    command: [sh, -c, 'echo 1 > \"$0\"', \"${{ outputs.o }}\"]\n    outputs: {o: string}\n"]
    for i in range(1, n):
        steps.append(f"  s{i}:\n    image: alpine\n    command: [sh, -c, 'echo \"$0\" > \"$1\"', \"${{{{ inputs.x }}}}\", "
                     f"\"${{{{ outputs.o }}}}\"]\n    inputs: {{x: string}}\n    outputs: {{o: string}}\n"
                     f"    with: {{x: \"${{{{ steps.s{i - 1}.outputs.o }}}}\"}}\n")
    return "name: bench\nsteps:\n" + "".join(steps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from kfyaml.compiler.lsp.analysis import analyse

    client = LspClient([sys.executable, "-m", "kfyaml.compiler.cli", "lsp"])
    started = time.perf_counter()
    client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    client.wait_for(lambda m: m.get("id") == 1)
    client.notify("initialized", {})
    print(f"server start and initialize: {1000 * (time.perf_counter() - started):.0f} ms")
    try:
        for n in (100, 1000):
            text = pipeline(n)
            recheck = statistics.median(_timed(lambda text=text: analyse("file:///b.yaml", "/tmp/b.yaml", text), args.repeat))
            opens, changes, completions = [], [], []
            for r in range(args.repeat):
                uri = f"file:///tmp/bench-{n}-{r}.yaml"
                t0 = time.perf_counter()
                client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                                        "text": text}})
                client.wait_for(lambda m, u=uri: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == u)
                opens.append(time.perf_counter() - t0)
                changed = text.replace("outputs.o }}\"}", "outputs.o  }}\"}", 1)
                t0 = time.perf_counter()
                client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                         "contentChanges": [{"text": changed}]})
                client.wait_for(lambda m, u=uri: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == u)
                changes.append(time.perf_counter() - t0 - 0.15)
                line = changed.split("\n").index(next(x for x in changed.split("\n") if "steps.s0.outputs.o" in x))
                col = changed.split("\n")[line].index("steps.s0.outputs.") + len("steps.s0.outputs.")
                t0 = time.perf_counter()
                rid = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                                 "position": {"line": line, "character": col}})
                reply = client.wait_for(lambda m, i=rid: m.get("id") == i)
                completions.append(time.perf_counter() - t0)
                assert [i["label"] for i in reply["result"]["items"]] == ["o"], reply
            print(f"{n:>5} steps: full re-check {1000 * recheck:6.1f} ms | open {1000 * statistics.median(opens):6.1f} ms"
                  f" | change {1000 * statistics.median(changes):6.1f} ms (after the debounce)"
                  f" | completion {1000 * statistics.median(completions):6.1f} ms")
    finally:
        client.close()
    return 0


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


if __name__ == "__main__":
    sys.exit(main())
