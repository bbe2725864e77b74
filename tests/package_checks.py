"""Machinery for tests/test_package.py: loading, walking, reading code and images.

Nothing here is a rule about the integration; the rules and their tables are in
test_package.py. A check there returns a list of problems (empty means fine).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
import copy
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import string
from typing import Any
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util.yaml import load_yaml_dict, parse_yaml
from PIL import Image, ImageDraw
import pytest
import voluptuous as vol

ROOT = Path(__file__).resolve().parent.parent

type Problems = list[str]
type Predicate = Callable[[Any], bool]
type Mutation = Callable[[Any], None]
# (key, what its value must be, test of the value): a row of a value table.
type ValueRule = tuple[str, str, Predicate]


# ---------------------------------------------------------------------------
# Files and nested data
# ---------------------------------------------------------------------------


def rel(path: Path) -> str:
    """Return path relative to the repository, for messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if duplicates := sorted({key for key in keys if keys.count(key) > 1}):
        msg = f"duplicate keys {duplicates}"
        raise ValueError(msg)
    return dict(pairs)


def load_json(path: Path) -> Any:
    """Parse a JSON file; duplicate keys (silently dropped by json) are errors."""
    assert path.is_file(), f"{rel(path)} is missing"
    try:
        return json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_reject_duplicate_keys
        )
    except ValueError as err:
        pytest.fail(f"{rel(path)} is not valid JSON: {err}")


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file with Home Assistant's loader, as hassfest does."""
    assert path.is_file(), f"{rel(path)} is missing"
    try:
        return load_yaml_dict(path)
    except HomeAssistantError as err:
        pytest.fail(f"{rel(path)} is not valid YAML: {err}")


def data(yaml_text: str) -> dict[str, Any]:
    """Return the mapping an inline YAML text describes (for test data)."""
    parsed = parse_yaml(yaml_text)
    assert isinstance(parsed, dict), parsed
    return parsed


def read_text(path: Path) -> str:
    """Return a file's text, or "" when it does not exist."""
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def json_or_empty(path: Path) -> Any:
    """Return a JSON file's data, or {} when it is missing or not JSON."""
    try:
        return json.loads(read_text(path) or "{}")
    except ValueError:
        return {}


@dataclass(frozen=True)
class Evidence:
    """A fact about an integration folder, checked by holds(folder)."""

    description: str
    holds: Callable[[Path], bool]


def exists(name: str) -> Evidence:
    """Evidence: the file exists."""
    return Evidence(f"{name} exists", lambda folder: (folder / name).is_file())


def mentions(glob: str, pattern: str) -> Evidence:
    """Evidence: a file matching glob has text matching the regular expression."""
    return Evidence(
        f"{glob} mentions {pattern}",
        lambda folder: any(re.search(pattern, read_text(p)) for p in folder.glob(glob)),
    )


def json_has(name: str, key: str) -> Evidence:
    """Evidence: the JSON file has a non-empty top-level key."""
    return Evidence(
        f"{name} has {key}",
        lambda folder: bool(get(json_or_empty(folder / name), key)),
    )


def python_sources(folder: Path) -> dict[str, str]:
    """Return {file name: source} of the folder's Python modules."""
    return {path.name: read_text(path) for path in sorted(folder.glob("*.py"))}


def find_files(
    root: Path, name: str, skipped: Collection[str], skipped_top_level: Collection[str]
) -> list[Path]:
    """Return every file called name under root, skipping hidden and listed folders."""
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = [
            d
            for d in subdirs
            if not d.startswith(".")
            and d not in skipped
            and not (here == root and d in skipped_top_level)
        ]
        if name in files:
            found.append(here / name)
    return found


def get(data: Any, *path: str) -> Any:
    """Return data[path[0]][path[1]]..., or None when any step is missing."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def key_paths(data: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Return every key path of nested dicts (inner nodes and leaves) with its value."""
    paths: dict[tuple[str, ...], Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            paths[(*prefix, key)] = value
            paths.update(key_paths(value, (*prefix, key)))
    return paths


def leaves(data: Any) -> dict[str, Any]:
    """Return {"a.b.c": value} for every non-dict value."""
    return {
        ".".join(path): value
        for path, value in key_paths(data).items()
        if not isinstance(value, Mapping)
    }


def placeholders_of(text: str) -> set[str]:
    """Return the {placeholder} names of a message (ValueError on bad braces)."""
    return {
        field for _, field, _, _ in string.Formatter().parse(text) if field is not None
    }


def is_section(definition: Any) -> bool:
    """Return whether a services.yaml field entry is a section of fields."""
    return isinstance(definition, Mapping) and "fields" in definition


def iter_fields(service: Mapping[str, Any] | None) -> Iterator[tuple[str, Any]]:
    """Yield (name, definition) of every field, including fields inside sections."""
    for name, definition in ((service or {}).get("fields") or {}).items():
        if is_section(definition):
            yield from (definition["fields"] or {}).items()
        else:
            yield name, definition


def iter_sections(service: Mapping[str, Any] | None) -> Iterator[tuple[str, Any]]:
    """Yield (name, definition) of every section of an action."""
    for name, definition in ((service or {}).get("fields") or {}).items():
        if is_section(definition):
            yield name, definition


# ---------------------------------------------------------------------------
# Value predicates and schemas
# ---------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    """Return the whitespace-separated words of a table written as text."""
    return tuple(text.split())


def is_bool(value: Any) -> bool:
    """Return whether value is true or false."""
    return isinstance(value, bool)


def is_nonempty_str(value: Any) -> bool:
    """Return whether value is a string with something in it."""
    return isinstance(value, str) and bool(value.strip())


def is_str_list(value: Any) -> bool:
    """Return whether value is a list of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def one_of(choices: Collection[str]) -> Predicate:
    """Return a predicate accepting exactly the given strings."""
    return lambda value: isinstance(value, str) and value in choices


def url_host(value: Any) -> str:
    """Return the host of a URL ("" when there is none)."""
    return urlparse(value).netloc if isinstance(value, str) else ""


def is_https_url(value: Any) -> bool:
    """Return whether value is an https:// URL with a host."""
    return (
        isinstance(value, str)
        and urlparse(value).scheme == "https"
        and bool(url_host(value))
    )


def is_version(value: Any) -> bool:
    """Return whether value is a version string AwesomeVersion understands."""
    return isinstance(value, str) and AwesomeVersion(value).valid


def is_semver(value: Any) -> bool:
    """Return whether value is a SemVer version string."""
    try:
        AwesomeVersion(value, ensure_strategy=AwesomeVersionStrategy.SEMVER)
    except AwesomeVersionException:
        return False
    return isinstance(value, str)


def is_slug(value: Any) -> bool:
    """Return whether value is a Home Assistant slug."""
    try:
        cv.slug(value)
    except vol.Invalid:
        return False
    return True


def is_valid_selector(value: Any) -> bool:
    """Return whether Home Assistant accepts value as a selector."""
    try:
        selector.validate_selector(value)
    except vol.Invalid, KeyError, TypeError, ValueError:
        return False
    return True


@dataclass(frozen=True)
class Schema:
    """The keys a mapping may have and must have, and what each value must be."""

    allowed: Collection[str] | None = None  # None: any key
    required: Sequence[str] = ()  # present and not empty
    values: Sequence[ValueRule] = ()  # checked when the key is present

    def problems(self, what: str, data: Any) -> Problems:
        """Return what is wrong with data (what names it in messages)."""
        if not isinstance(data, Mapping):
            return [f"{what} must be a mapping, got {data!r}"]
        problems: Problems = []
        if self.allowed is not None and (
            unknown := sorted(set(data) - set(self.allowed))
        ):
            problems.append(f"{what} has unknown keys {unknown}")
        if missing := [k for k in self.required if data.get(k) in (None, "", [], {})]:
            problems.append(f"{what} lacks required keys {missing}")
        problems += [
            f"{what}: {key} must be {must}, got {data[key]!r}"
            for key, must, ok in self.values
            if key in data and not ok(data[key])
        ]
        return problems


# ---------------------------------------------------------------------------
# Assertions, and mutations that break a copy of good input
# ---------------------------------------------------------------------------


def assert_no_problems(problems: Problems, what: str) -> None:
    """Fail listing every problem found in what."""
    assert not problems, f"{what}:\n  " + "\n  ".join(problems)


def assert_reports(problems: Problems, expected: str) -> None:
    """Fail unless some problem mentions expected."""
    assert problems, f"the check accepted broken input (expected {expected!r})"
    assert any(expected in problem for problem in problems), (
        f"expected a problem mentioning {expected!r}, got {problems}"
    )


def broken(data: Any, mutate: Mutation) -> Any:
    """Return a deep copy of data changed by mutate."""
    copied = copy.deepcopy(data)
    mutate(copied)
    return copied


def _at(data: Any, dotted: str) -> Any:
    return get(data, *dotted.split(".")) if dotted else data


def drop(dotted: str) -> Mutation:
    """Mutation: delete the key at a dotted path ("services.send.name")."""
    parent, _, key = dotted.rpartition(".")
    return lambda data: _at(data, parent).pop(key)


def put(dotted: str = "", /, **values: Any) -> Mutation:
    """Mutation: update the mapping at a dotted path ("" for the top) with values."""
    return lambda data: _at(data, dotted).update(values)


def swap_keys(first: int, second: int) -> Mutation:
    """Mutation: swap the positions of two keys of a mapping."""

    def mutate(data: dict[str, Any]) -> None:
        items = list(data.items())
        items[first], items[second] = items[second], items[first]
        data.clear()
        data.update(items)

    return mutate


def drop_first_leaf(data: dict[str, Any]) -> None:
    """Mutation: delete the first text of a nested translation mapping."""
    paths = key_paths(data)
    leaf_paths = [p for p, value in paths.items() if not isinstance(value, Mapping)]
    *parents, key = (leaf_paths or list(paths))[0]
    get(data, *parents).pop(key)


# ---------------------------------------------------------------------------
# Translation keys the Python code uses (best effort, with the ast module)
# ---------------------------------------------------------------------------

# Config flow helpers that abort with "already_configured".
ALREADY_CONFIGURED_CALLS = frozenset(
    {"_async_abort_entries_match", "_abort_if_unique_id_configured"}
)


@dataclass(frozen=True)
class KeyUse:
    """A translation key the code passes to Home Assistant."""

    kind: str  # "exceptions", "selector" or "issues"
    key: str
    where: str
    placeholders: frozenset[str] | None = None  # None: cannot be read statically
    options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FlowKeyUse:
    """An error or abort reason a flow shows."""

    flow: str | None  # "config", "options", or None outside any flow class
    kind: str  # "error" or "abort"
    key: str
    where: str


@dataclass(frozen=True)
class _KeyWrapper:
    """A function or exception class that forwards a parameter as translation_key."""

    key_param: str
    key_index: int | None  # position among the positional parameters
    params: frozenset[str]
    fixed: frozenset[str] | None  # placeholders always passed; None: unknown
    passes_kwargs: bool  # call-site keyword arguments become placeholders


def _callee(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}


def _literal(node: ast.expr | None, constants: Mapping[str, Any]) -> Any:
    """Return a string or tuple of strings a node stands for, else None."""
    value: Any = None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = node.value
    elif isinstance(node, ast.Name):
        value = constants.get(node.id)
    elif isinstance(node, ast.Attribute):
        value = constants.get(node.attr)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [_literal(item, constants) for item in node.elts]
        if all(isinstance(item, str) for item in items):
            value = tuple(items)
    elif (
        isinstance(node, ast.Call)
        and _callee(node) in {"list", "tuple", "sorted"}
        and len(node.args) == 1
    ):
        inner = _literal(node.args[0], constants)
        value = inner if isinstance(inner, tuple) else None
    return value


def module_constants(trees: Mapping[str, ast.Module]) -> dict[str, Any]:
    """Resolve UPPER_CASE module constants holding strings or tuples of strings.

    A name given different values in two modules is left out (ambiguous).
    """
    assignments: list[tuple[str, ast.expr]] = []
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
                assignments.append((target.id, value))
    constants: dict[str, Any] = {}
    ambiguous: set[str] = set()
    for _ in assignments:  # enough passes for any chain of references
        for name, expression in assignments:
            value = _literal(expression, constants)
            if value is None or name in ambiguous:
                continue
            if name in constants and constants[name] != value:
                ambiguous.add(name)
                del constants[name]
            else:
                constants[name] = value
    return constants


def _placeholders(
    node: ast.expr | None, kwarg: str | None = None
) -> tuple[frozenset[str] | None, bool]:
    """Read a translation_placeholders argument.

    Return (the placeholder names it always passes, None if unknown; whether it
    also forwards the function's **kwarg, as in `placeholders or None`).
    """

    def is_kwarg(item: ast.expr | None) -> bool:
        return kwarg is not None and isinstance(item, ast.Name) and item.id == kwarg

    if is_kwarg(node) or (
        isinstance(node, ast.BoolOp)
        and isinstance(node.op, ast.Or)
        and is_kwarg(node.values[0])
    ):
        return frozenset(), True
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return frozenset(), False
    if not isinstance(node, ast.Dict):
        return None, False
    fixed: set[str] = set()
    forwards = False
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            fixed.add(key.value)
        elif key is None and is_kwarg(value):
            forwards = True
        else:
            return None, False
    return frozenset(fixed), forwards


def _wrapper_of(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    constants: Mapping[str, Any],
    domain: str,
    *,
    is_method: bool,
) -> _KeyWrapper | None:
    """Return how a function forwards one of its parameters as translation_key."""
    positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if is_method:
        positional = positional[1:]
    kwarg = function.args.kwarg.arg if function.args.kwarg else None
    params = frozenset(positional) | {a.arg for a in function.args.kwonlyargs}
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        kws = _keywords(node)
        key_node = kws.get("translation_key")
        if not isinstance(key_node, ast.Name) or key_node.id not in params:
            continue
        if _literal(kws.get("translation_domain"), constants) != domain:
            continue
        fixed, passes_kwargs = _placeholders(kws.get("translation_placeholders"), kwarg)
        return _KeyWrapper(
            key_param=key_node.id,
            key_index=(
                positional.index(key_node.id) if key_node.id in positional else None
            ),
            params=params,
            fixed=fixed,
            passes_kwargs=passes_kwargs,
        )
    return None


def _key_wrappers(
    trees: Mapping[str, ast.Module], constants: Mapping[str, Any], domain: str
) -> dict[str, _KeyWrapper]:
    """Find helpers like validation_error("key", ...) and error classes taking a key."""
    wrappers: dict[str, _KeyWrapper] = {}
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                wrapper = _wrapper_of(node, constants, domain, is_method=False)
                if wrapper:
                    wrappers[node.name] = wrapper
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        wrapper = _wrapper_of(item, constants, domain, is_method=True)
                        if wrapper:
                            wrappers[node.name] = wrapper
    return wrappers


def _direct_use(
    call: ast.Call, where: str, constants: Mapping[str, Any], domain: str
) -> KeyUse | None:
    kws = _keywords(call)
    key = _literal(kws.get("translation_key"), constants)
    if not isinstance(key, str):
        return None
    callee = _callee(call)
    if callee.endswith("SelectorConfig") or callee == "SelectSelector":
        options = _literal(kws.get("options"), constants)
        return KeyUse(
            "selector",
            key,
            where,
            options=options if isinstance(options, tuple) else None,
        )
    if callee in {"async_create_issue", "create_issue"}:
        return KeyUse("issues", key, where)
    if "translation_domain" in kws:
        if _literal(kws["translation_domain"], constants) != domain:
            return None  # another integration's text, or not readable
        placeholders, _ = _placeholders(kws.get("translation_placeholders"))
        return KeyUse("exceptions", key, where, placeholders=placeholders)
    return None


def _wrapped_use(
    call: ast.Call, where: str, constants: Mapping[str, Any], wrapper: _KeyWrapper
) -> KeyUse | None:
    kws = _keywords(call)
    if wrapper.key_index is not None and len(call.args) > wrapper.key_index:
        key_node: ast.expr | None = call.args[wrapper.key_index]
    else:
        key_node = kws.get(wrapper.key_param)
    key = _literal(key_node, constants)
    if not isinstance(key, str):
        return None
    placeholders: frozenset[str] | None = None
    has_double_star = any(kw.arg is None for kw in call.keywords)
    if wrapper.fixed is not None and not has_double_star:
        extra = set(kws) - wrapper.params if wrapper.passes_kwargs else set()
        placeholders = wrapper.fixed | extra
    return KeyUse("exceptions", key, where, placeholders=placeholders)


def _parse(sources: Mapping[str, str]) -> dict[str, ast.Module]:
    return {name: ast.parse(source, name) for name, source in sources.items()}


def collect_key_uses(sources: Mapping[str, str], domain: str) -> list[KeyUse]:
    """Return the translation keys the given modules pass to Home Assistant.

    Finds direct calls (translation_domain=DOMAIN, translation_key=...), calls of
    helpers and error classes that forward a key, selector configs and issues;
    keys and options may be literals or UPPER_CASE constants.
    """
    trees = _parse(sources)
    constants = module_constants(trees)
    wrappers = _key_wrappers(trees, constants, domain)
    uses: list[KeyUse] = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{name}:{node.lineno}"
            if (wrapper := wrappers.get(_callee(node))) is not None:
                use = _wrapped_use(node, where, constants, wrapper)
            else:
                use = _direct_use(node, where, constants, domain)
            if use is not None:
                uses.append(use)
    return uses


def _flow_of(class_node: ast.ClassDef) -> str | None:
    bases = {ast.unparse(base) for base in class_node.bases}
    if any("OptionsFlow" in base for base in bases):
        return "options"
    if any("ConfigFlow" in base for base in bases):
        return "config"
    return None


def _error_keys(node: ast.AST, constants: Mapping[str, Any]) -> list[str]:
    """Return keys put in an errors dict: errors[x] = "key" / errors = {x: "key"}."""
    values: list[ast.expr] = []
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            name = target.value if isinstance(target, ast.Subscript) else target
            if not (isinstance(name, ast.Name) and "error" in name.id.lower()):
                continue
            if isinstance(target, ast.Subscript):
                values.append(node.value)
            elif isinstance(node.value, ast.Dict):
                values.extend(node.value.values)
    keys = [_literal(value, constants) for value in values]
    return [key for key in keys if isinstance(key, str)]


def _abort_keys(
    node: ast.AST, constants: Mapping[str, Any], function_name: str
) -> list[str]:
    if not isinstance(node, ast.Call):
        return []
    callee, kws = _callee(node), _keywords(node)
    reason: Any = None
    if callee == "async_abort":
        reason = _literal(kws.get("reason"), constants)
    elif callee == "AbortFlow" and node.args:
        reason = _literal(node.args[0], constants)
    elif callee == "async_update_reload_and_abort":
        default = "reauth" if "reauth" in function_name else "reconfigure"
        reason = _literal(kws.get("reason"), constants) or f"{default}_successful"
    elif callee in ALREADY_CONFIGURED_CALLS:
        reason = "already_configured"
    return [reason] if isinstance(reason, str) else []


def collect_flow_key_uses(sources: Mapping[str, str], module: str) -> list[FlowKeyUse]:
    """Return the error and abort keys the flows of one module use.

    Constants may come from any of the sources; keys used in module-level
    functions (shared helpers) have flow None.
    """
    constants = module_constants(_parse(sources))
    scopes: list[tuple[str | None, ast.AST]] = []
    for statement in ast.parse(sources[module], module).body:
        if isinstance(statement, ast.ClassDef):
            scopes.append((_flow_of(statement), statement))
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            scopes.append((None, statement))
    uses: list[FlowKeyUse] = []
    for flow, scope in scopes:
        for function in ast.walk(scope):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                where = f"{module}:{getattr(node, 'lineno', '?')}"
                uses += [
                    FlowKeyUse(flow, "error", key, where)
                    for key in _error_keys(node, constants)
                ]
                uses += [
                    FlowKeyUse(flow, "abort", key, where)
                    for key in _abort_keys(node, constants, function.name)
                ]
    return sorted(set(uses), key=lambda use: (use.where, use.kind, use.key))


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFacts:
    """What the brand rules look at in an image file."""

    format: str | None
    size: tuple[int, int]
    mode: str
    alpha_range: tuple[int, int] | None  # (lowest, highest) alpha; None if not RGBA
    content_box: tuple[int, int, int, int] | None  # box of non-transparent pixels


def image_facts(path: Path) -> ImageFacts:
    """Read an image's format, size, mode and (for RGBA) its transparency."""
    with Image.open(path) as image:
        image.load()
        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        return ImageFacts(
            format=image.format,
            size=image.size,
            mode=image.mode,
            alpha_range=alpha.getextrema() if alpha else None,  # type: ignore[arg-type]
            content_box=alpha.getbbox() if alpha else None,
        )


def make_image(
    path: Path,
    size: int,
    mode: str = "RGBA",
    box: tuple[int, int, int, int] | None = None,
    image_format: str = "PNG",
) -> Path:
    """Write a square image, transparent but for an ellipse filling box (or all)."""
    image = Image.new(mode, (size, size), (0, 0, 0, 0) if mode == "RGBA" else 0)
    ImageDraw.Draw(image).ellipse(box or (0, 0, size - 1, size - 1), fill="blue")
    image.save(path, format=image_format)
    return path
