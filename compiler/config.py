"""Project configuration: which warnings to ignore, and whether warnings fail `kfyaml lint`.

Read from the nearest `.kfyaml.yaml`, or `pyproject.toml` with a
`[tool.kfyaml]` table, in the pipeline file's folder or a folder above it,
stopping at the repository root (a folder with `.git`). The first found wins,
as with ruff and yamllint. A problem in the configuration itself is a
diagnostic in that file, never a traceback:

    # .kfyaml.yaml                       # pyproject.toml
    ignore: [KY405]                      [tool.kfyaml]
    fail_on_warnings: true               ignore = ["KY405"]
                                         fail_on_warnings = false
"""

from __future__ import annotations

import dataclasses
import functools
import os

from .codes import BAD_SUPPRESSION
from .diagnostics import Diagnostic, make

KEYS = ("ignore", "fail_on_warnings", "root")


@dataclasses.dataclass(frozen=True)
class Entry:
    """A code named in the configuration, and where."""

    code: str
    line: int
    col: int


@dataclasses.dataclass(frozen=True)
class Config:
    file: str | None = None                 # where it was read from; None: no configuration
    ignore: tuple[Entry, ...] = ()
    fail_on_warnings: bool | tuple[Entry, ...] = True  # a tuple: only these warnings fail lint
    problems: tuple[Diagnostic, ...] = ()   # in the configuration file itself
    root: str | None = None                 # the project root files may be read from (absolute); None: the pipeline's folder

    def warning_fails(self, code: str) -> bool:
        if isinstance(self.fail_on_warnings, bool):
            return self.fail_on_warnings
        return any(e.code == code for e in self.fail_on_warnings)


NONE = Config()


def for_file(path: str | None) -> Config:
    """The configuration that applies to the pipeline at `path` (none for text not from a file)."""
    if not path:
        return NONE
    return _for_folder(os.path.dirname(os.path.abspath(path)))


@functools.lru_cache(maxsize=64)
def _for_folder(folder: str) -> Config:
    while True:
        yaml_file = os.path.join(folder, ".kfyaml.yaml")
        if os.path.isfile(yaml_file):
            return _from_yaml(yaml_file)
        toml_file = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(toml_file):
            config = _from_pyproject(toml_file)
            if config is not None:
                return config
        parent = os.path.dirname(folder)
        if os.path.isdir(os.path.join(folder, ".git")) or parent == folder:
            return NONE
        folder = parent


def project_root(folder: str) -> str | None:
    """The project a folder belongs to: the nearest folder up from it with `.kfyaml.yaml`, a
    `pyproject.toml` with `[tool.kfyaml]`, or a git repository's root; None outside any."""
    folder = os.path.abspath(folder)
    while True:
        if os.path.isfile(os.path.join(folder, ".kfyaml.yaml")) or os.path.isdir(os.path.join(folder, ".git")):
            return folder
        toml_file = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(toml_file) and _from_pyproject(toml_file) is not None:
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def default_workdir(pipeline: str | None) -> str:
    """Where runs, logs and the cache live when `--workdir` is not given: `.kfyaml` at the project root of
    the pipeline (or of the current folder), so running from another folder reuses the same cache;
    beside the pipeline outside any project."""
    start = os.path.dirname(os.path.abspath(pipeline)) if pipeline and pipeline != "-" else os.getcwd()
    folder = os.path.join(project_root(start) or start, ".kfyaml")
    relative = os.path.relpath(folder)
    return folder if relative.startswith("..") else relative  # shown as the user would type it


def shown_beside(config: Config, pipeline_path: str, pipeline_shown: str) -> Config:
    """The configuration with its problems named the way the pipeline file is named (relative or not)."""
    if not config.problems:
        return config
    relative = os.path.relpath(config.file, os.path.dirname(os.path.abspath(pipeline_path)))
    shown = os.path.normpath(os.path.join(os.path.dirname(pipeline_shown), relative))
    return dataclasses.replace(config, problems=tuple(dataclasses.replace(d, file=shown) for d in config.problems))


def _from_yaml(path: str) -> Config:
    from .load import load_file

    shown = path
    loaded = load_file(path, shown)
    if loaded.document is None:
        return Config(shown, problems=tuple(loaded.diagnostics))
    data = loaded.document.data
    if data is None:
        return Config(shown)
    if not isinstance(data, dict):
        return Config(shown, problems=(make(shown, 1, 1, BAD_SUPPRESSION,
                                            "the configuration is a mapping: `ignore: [KY405]`"),))

    def where(*path_in_file, key=False) -> tuple[int, int]:
        return loaded.document.locate(path_in_file, key=key)

    return _build(shown, data, where)


def _from_pyproject(path: str) -> Config | None:
    import tomllib

    shown = path
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        if b"[tool.kfyaml]" not in raw:
            return None  # not ours to judge
        return Config(shown, problems=(make(shown, 1, 1, BAD_SUPPRESSION, f"pyproject.toml does not parse: {exc}"),))
    table = data.get("tool", {}).get("kfyaml")
    if table is None:
        return None
    lines = raw.decode("utf-8").splitlines()
    start = next((i for i, text in enumerate(lines) if text.strip() == "[tool.kfyaml]"), 0)

    def where(*path_in_file, key=False) -> tuple[int, int]:
        """The first line at or after the table that holds the entry's text (TOML keeps no positions)."""
        needle = str(path_in_file[-1]) if not isinstance(path_in_file[-1], int) else None
        if len(path_in_file) == 2 and isinstance(path_in_file[1], int):
            value = table.get(path_in_file[0], [None] * (path_in_file[1] + 1))[path_in_file[1]]
            needle = str(value)
        for i in range(start, len(lines)):
            col = lines[i].find(needle) if needle else -1
            if col >= 0:
                return i + 1, col + 1
        return start + 1, 1

    return _build(shown, table, where)


def _build(shown: str, data: dict, where) -> Config:
    from .codes import CODES, Severity

    problems: list[Diagnostic] = []

    def problem(position: tuple[int, int], message: str):
        problems.append(make(shown, position[0], position[1], BAD_SUPPRESSION, message))

    for key in data:
        if key not in KEYS:
            problem(where(key, key=True), f'unknown configuration key "{key}"; the keys are {", ".join(KEYS)}')

    def codes(key: str, warnings_only: bool) -> tuple[Entry, ...]:
        entries = []
        values = data.get(key)
        if not isinstance(values, list):
            problem(where(key), f"`{key}` is a list of codes, e.g. [KY405]")
            return ()
        for i, code in enumerate(values):
            line, col = where(key, i)
            known = CODES.get(str(code))
            if known is None:
                problem((line, col), f'"{code}" is not a kfyaml code; see docs/checks.md')
            elif warnings_only and known.severity is Severity.ERROR:
                problem((line, col), f"{code} is an error, and errors cannot be ignored: fix it instead")
            else:
                entries.append(Entry(str(code), line, col))
        return tuple(entries)

    ignore = codes("ignore", True) if "ignore" in data else ()
    fail: bool | tuple[Entry, ...] = True
    if "fail_on_warnings" in data:
        value = data["fail_on_warnings"]
        fail = value if isinstance(value, bool) else codes("fail_on_warnings", True)
    root = None
    if "root" in data:
        if isinstance(data["root"], str) and data["root"]:
            root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(shown)), data["root"]))
        else:
            problem(where("root"), "`root` is a folder, relative to this file: `root: .` for this folder")
    return Config(shown, ignore, fail, tuple(problems), root)
