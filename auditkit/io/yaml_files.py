"""Reading config and policy files: safe YAML of bounded size, every problem one line.

``yaml.safe_load`` constructs no arbitrary objects, but it has three traps for a settings
file: aliases (``*name``) can make a few hundred bytes stand for billions of values (the
"billion laughs"), a repeated key silently keeps the last value, and a deeply nested
document overflows the parser's recursion. Here a file is read only when it is at most
:data:`MAX_FILE_BYTES`, its expanded size (nodes plus characters, counting every alias at
full size) is at most :data:`MAX_EXPANDED_SIZE`, every mapping has each key once, and it
is UTF-8 text, and nesting is at most :data:`MAX_DEPTH` levels deep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditkit.exceptions import InputError

MAX_FILE_BYTES = 1_000_000
# A file under MAX_FILE_BYTES without aliases stays below this (a node takes at least one byte).
MAX_EXPANDED_SIZE = 2 * MAX_FILE_BYTES
MAX_DEPTH = 64  # settings files nest a few levels; the composer recurses once per level
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlTooLargeError(yaml.YAMLError):
    """The document nests too deep, expands (through aliases) beyond its budget, or refers to itself.

    Examples
    --------
    >>> import yaml
    >>> levels = ["a: &a [" + ", ".join(["x"] * 10) + "]"]
    >>> levels += [f"{b}: &{b} [" + ", ".join([f"*{a}"] * 10) + "]" for a, b in zip("abcdefgh", "bcdefghi")]
    >>> yaml.load("\\n".join(levels), Loader=BoundedSafeLoader)  # 10**9 values once expanded
    Traceback (most recent call last):
    ...
    auditkit.io.yaml_files.YamlTooLargeError: its aliases (*name) expand it to more than 2,000,000 values and characters
    """


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice.

    Examples
    --------
    >>> import yaml
    >>> yaml.load("seed: 1\\nseed: 2", Loader=BoundedSafeLoader)
    Traceback (most recent call last):
    ...
    auditkit.io.yaml_files.DuplicateKeyError: key 'seed' appears twice (on lines 1 and 2); each key may appear once
    """


class BoundedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses repeated keys and documents that expand beyond a budget.

    Examples
    --------
    >>> import yaml
    >>> yaml.load("a: 1\\nb: [x, y]", Loader=BoundedSafeLoader)
    {'a': 1, 'b': ['x', 'y']}
    >>> yaml.load("a: 1\\na: 2", Loader=BoundedSafeLoader)
    Traceback (most recent call last):
    ...
    auditkit.io.yaml_files.DuplicateKeyError: key 'a' appears twice (on lines 1 and 2); each key may appear once
    """

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise YamlTooLargeError(f"it is nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            expanded_size(node, MAX_EXPANDED_SIZE)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:  # "<<: *defaults" may be overridden by the keys beside it
                continue
            key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
            try:
                earlier = first_line.get(key)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if earlier is not None:
                where = f"on line {line}" if earlier == line else f"on lines {earlier} and {line}"
                raise DuplicateKeyError(f"key {key!r} appears twice ({where}); each key may appear once")
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes plus scalar characters of ``root`` with every alias expanded; raise past ``limit``.

    Computed on the node graph (each distinct node once), so a billion laughs is measured
    without being built. A node that contains itself is refused.

    Examples
    --------
    >>> import yaml
    >>> expanded_size(yaml.compose("a: &x [1, 2]\\nb: *x"), 1000)
    15
    """
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in size:
            stack.pop()
            continue
        children = _children(node)
        if id(node) not in open_nodes:
            open_nodes.add(id(node))
            for child in children:
                if id(child) in open_nodes:
                    raise YamlTooLargeError("an alias refers to a node that contains it (a recursive structure)")
                if id(child) not in size:
                    stack.append(child)
            continue
        stack.pop()
        open_nodes.discard(id(node))
        total = 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
        total += sum(size[id(c)] for c in children)
        if total > limit:
            raise YamlTooLargeError(
                f"its aliases (*name) expand it to more than {limit:,} values and characters"
            )
        size[id(node)] = total
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def read_yaml_mapping(path: str | Path, role: str = "config", example: str = "data: adult") -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; every problem is one line naming the file's role.

    Raises
    ------
    InputError
        The file is missing, larger than :data:`MAX_FILE_BYTES`, not UTF-8, not valid YAML,
        repeats a key, expands beyond :data:`MAX_EXPANDED_SIZE`, is empty or not a mapping.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "audit.yaml"
    >>> _ = path.write_text("data: german\\nseed: 3\\n")
    >>> read_yaml_mapping(path)
    {'data': 'german', 'seed': 3}
    >>> _ = path.write_text("- german\\n")
    >>> read_yaml_mapping(path, role="config")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: config file .../audit.yaml must hold a mapping such as data: adult; got a list
    """
    text = _read_text(Path(path), role)
    try:
        loaded = yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except DuplicateKeyError as exc:
        raise InputError(f"{role} file {path}: {exc}") from None
    except YamlTooLargeError as exc:
        raise InputError(f"{role} file {path} is refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{role} file {path} is not valid YAML: {_yaml_problem(exc)}") from None
    if loaded is None:
        raise InputError(f"{role} file {path} is empty; expected a mapping such as {example}")
    if not isinstance(loaded, dict):
        raise InputError(f"{role} file {path} must hold a mapping such as {example}; got a {type(loaded).__name__}")
    return loaded


def _read_text(path: Path, role: str) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{role} file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{role} file {path} is a directory; expected a YAML file") from None
    except OSError as exc:
        raise InputError(f"{role} file {path} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{role} file {path} is larger than {MAX_FILE_BYTES:,} bytes; "
                         "expected a small settings file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{role} file {path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}); "
            "save it as UTF-8"
        ) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


PATH_SETTINGS = ("data", "model", "policy")


def resolve_relative_paths(mapping: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative file paths in a config file are relative to that file (when such a file exists).

    Examples
    --------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> _ = (base / "loans.csv").write_text("y,g")
    >>> resolve_relative_paths({"data": "loans.csv", "target": "y"}, base)["data"] == str(base / "loans.csv")
    True
    >>> resolve_relative_paths({"data": "german"}, base)["data"]  # a bundled name is left alone
    'german'
    """
    out = dict(mapping)
    for key in PATH_SETTINGS:
        value = out.get(key)
        if isinstance(value, str) and not Path(value).is_absolute() and (base / value).is_file():
            out[key] = str(base / value)
    return out
