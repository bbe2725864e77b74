"""Offline re-implementation of the checks hassfest and the HACS action run.

hassfest and the HACS action only run on GitHub (see .github/workflows). These
tests repeat the checks that can run offline, so a broken manifest, translation
file, icon file, brand image or quality scale file fails `scripts/test` before it
is pushed.

Each check is a plain function that takes parsed data and returns a list of
problems (an empty list means "fine"). The first half of the tests runs the checks
on the real files; the second half feeds them broken copies, to prove that every
check really catches the mistake it is there for.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
import copy
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import string
from typing import Any, cast
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
import homeassistant.components
import homeassistant.const as ha_const
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util.yaml import load_yaml_dict
from PIL import Image, ImageDraw
import pytest
import voluptuous as vol

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
TRANSLATIONS = INTEGRATION / "translations"
BRAND = INTEGRATION / "brand"
HA_COMPONENTS = Path(homeassistant.components.__file__).parent

Problems = list[str]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace conftest's autouse fixture: these checks read files, not hass."""


# ---------------------------------------------------------------------------
# Loading files
# ---------------------------------------------------------------------------


def _rel(path: Path) -> str:
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
    assert path.is_file(), f"{_rel(path)} is missing"
    try:
        return json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_reject_duplicate_keys
        )
    except ValueError as err:
        pytest.fail(f"{_rel(path)} is not valid JSON: {err}")


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file with Home Assistant's loader, as hassfest does."""
    assert path.is_file(), f"{_rel(path)} is missing"
    try:
        return load_yaml_dict(path)
    except HomeAssistantError as err:
        pytest.fail(f"{_rel(path)} is not valid YAML: {err}")


def _get(data: Any, *path: str) -> Any:
    """Return data[path[0]][path[1]]..., or None when any step is missing."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def _integration_sources() -> dict[str, str]:
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(INTEGRATION.glob("*.py"))
    }


def _assert_no_problems(problems: Problems, what: str) -> None:
    assert not problems, f"{what}:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------
# manifest.json (hassfest's custom-integration schema, plus HACS's keys)
# ---------------------------------------------------------------------------

MANIFEST_KEYS = frozenset(
    {
        "domain",
        "name",
        "after_dependencies",
        "bluetooth",
        "codeowners",
        "config_flow",
        "dependencies",
        "dhcp",
        "disabled",
        "documentation",
        "homekit",
        "import_executor",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "mqtt",
        "quality_scale",
        "requirements",
        "single_config_entry",
        "ssdp",
        "usb",
        "version",
        "zeroconf",
    }
)
# hassfest requires the first five and version; HACS also requires issue_tracker.
REQUIRED_MANIFEST_KEYS = (
    "domain",
    "name",
    "codeowners",
    "documentation",
    "iot_class",
    "issue_tracker",
    "version",
)
IOT_CLASSES = frozenset(
    {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
)
INTEGRATION_TYPES = frozenset(
    {"device", "entity", "hardware", "helper", "hub", "service", "system"}
)
LIST_OF_STRINGS_KEYS = (
    "after_dependencies",
    "dependencies",
    "loggers",
    "mqtt",
    "requirements",
)


def manifest_key_order_problems(keys: list[str]) -> Problems:
    """Return hassfest's complaint when keys are not domain, name, then sorted."""
    first = {"domain": ".domain", "name": ".name"}
    expected = sorted(keys, key=lambda key: first.get(key, key))
    if keys == expected:
        return []
    return [
        (
            "manifest keys are not sorted correctly (domain, name, then alphabetical):"
            f" got {keys}, expected {expected}"
        )
    ]


def _https_url_problem(value: Any, key: str) -> str | None:
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme != "https" or not parsed.netloc:
        return f"{key} must be an https URL, got {value!r}"
    return None


def _manifest_url_problems(manifest: Mapping[str, Any]) -> Problems:
    problems = [
        problem
        for key in ("documentation", "issue_tracker")
        if key in manifest and (problem := _https_url_problem(manifest[key], key))
    ]
    docs_host = urlparse(str(manifest.get("documentation", ""))).netloc
    if docs_host.endswith("home-assistant.io"):
        problems.append("documentation must not point at home-assistant.io")
    return problems


def _manifest_type_problems(manifest: Mapping[str, Any]) -> Problems:
    problems = [
        f"{key} must be a list of strings, got {manifest[key]!r}"
        for key in LIST_OF_STRINGS_KEYS
        if key in manifest
        and not (
            isinstance(manifest[key], list)
            and all(isinstance(item, str) for item in manifest[key])
        )
    ]
    problems += [
        f"{key} must be true or false, got {manifest[key]!r}"
        for key in ("config_flow", "single_config_entry", "import_executor")
        if key in manifest and not isinstance(manifest[key], bool)
    ]
    codeowners = manifest.get("codeowners")
    if (
        not isinstance(codeowners, list)
        or not codeowners
        or not all(isinstance(o, str) and o.startswith("@") for o in codeowners)
    ):
        problems.append(f"codeowners must be a list of @handles, got {codeowners!r}")
    return problems


def _manifest_choice_problems(manifest: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if "iot_class" in manifest and manifest["iot_class"] not in IOT_CLASSES:
        problems.append(
            f"iot_class {manifest['iot_class']!r} is not one of {sorted(IOT_CLASSES)}"
        )
    if manifest.get("integration_type", "hub") not in INTEGRATION_TYPES:
        problems.append(f"integration_type {manifest['integration_type']!r} is unknown")
    if "version" in manifest:
        try:
            AwesomeVersion(
                manifest["version"], ensure_strategy=AwesomeVersionStrategy.SEMVER
            )
        except AwesomeVersionException:
            problems.append(f"version {manifest['version']!r} is not valid SemVer")
    return problems


def manifest_problems(manifest: Mapping[str, Any], folder_name: str) -> Problems:
    """Check a manifest the way hassfest (custom schema) and HACS do."""
    problems: Problems = []
    if unknown := sorted(set(manifest) - MANIFEST_KEYS):
        problems.append(f"unknown manifest keys {unknown}")
    if missing := [key for key in REQUIRED_MANIFEST_KEYS if key not in manifest]:
        problems.append(f"required manifest keys missing: {missing}")
    if manifest.get("domain") != folder_name:
        problems.append(
            f"domain {manifest.get('domain')!r} does not match folder {folder_name!r}"
        )
    if not isinstance(manifest.get("name"), str) or not manifest.get("name"):
        problems.append("name must be a non-empty string")
    problems += _manifest_url_problems(manifest)
    problems += _manifest_type_problems(manifest)
    problems += _manifest_choice_problems(manifest)
    problems += manifest_key_order_problems(list(manifest))
    return problems


# ---------------------------------------------------------------------------
# hacs.json
# ---------------------------------------------------------------------------

HACS_KEYS = frozenset(
    {
        "name",
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "persistent_directory",
        "zip_release",
    }
)
# HA 2026.3 is the first release that serves brand images from the integration's
# own brand/ folder, and the first on CPython 3.14: nothing older can work.
HA_FLOOR = "2026.3.0"
_PIN_RE = re.compile(r"homeassistant==(\d+\.\d+\.\d+)")


def pinned_minimum_ha(requirements_text: str) -> str | None:
    """Return the HA version the minimum test leg documents (homeassistant==X)."""
    match = _PIN_RE.search(requirements_text)
    return match.group(1) if match else None


def hacs_problems(hacs: Mapping[str, Any], minimum_ha: str | None) -> Problems:
    """Check hacs.json against HACS's schema and the tested minimum HA."""
    problems: Problems = []
    if unknown := sorted(set(hacs) - HACS_KEYS):
        problems.append(f"unknown hacs.json keys {unknown}")
    if not isinstance(hacs.get("name"), str) or not hacs.get("name"):
        problems.append("hacs.json needs a non-empty name")
    for key in ("content_in_root", "hide_default_branch", "zip_release"):
        if key in hacs and not isinstance(hacs[key], bool):
            problems.append(f"{key} must be true or false")
    if hacs.get("content_in_root"):
        problems.append(
            "content_in_root must not be true: the code is in custom_components/"
        )
    if hacs.get("zip_release") and not hacs.get("filename"):
        problems.append("zip_release needs filename")
    return problems + _minimum_ha_problems(hacs.get("homeassistant"), minimum_ha)


def _minimum_ha_problems(declared: Any, minimum_ha: str | None) -> Problems:
    if not isinstance(declared, str) or not AwesomeVersion(declared).valid:
        return [f"homeassistant must be a version string, got {declared!r}"]
    problems: Problems = []
    if AwesomeVersion(declared) < AwesomeVersion(HA_FLOOR):
        problems.append(f"homeassistant {declared} is older than {HA_FLOOR}")
    if minimum_ha is None:
        problems.append("requirements/test-minimum.txt names no homeassistant==X pin")
    elif declared != minimum_ha:
        problems.append(
            f"hacs.json declares homeassistant {declared}, but the minimum test leg "
            f"runs {minimum_ha}"
        )
    return problems


# ---------------------------------------------------------------------------
# Repository layout (HACS) and stray manifests (hassfest)
# ---------------------------------------------------------------------------

# Folders a checkout on GitHub never contains: tool state and git-ignored local
# directories. hassfest validates every other manifest.json it finds.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "htmlcov"})
_SKIPPED_TOP_LEVEL = frozenset({"artifacts", "config"})


def repository_layout_problems(root: Path, domain: str) -> Problems:
    """Check HACS's repository rules and that the only manifest is the integration's."""
    problems: Problems = []
    custom = root / "custom_components"
    folders = (
        sorted(
            p.name
            for p in custom.iterdir()
            if p.is_dir() and not p.name.startswith((".", "__"))
        )
        if custom.is_dir()
        else []
    )
    if folders != [domain]:
        problems.append(
            f"custom_components/ must hold exactly one folder, {domain}/; "
            f"found {folders}"
        )
    problems += [
        f"{name} is missing at the repository root"
        for name in ("README.md", "LICENSE")
        if not (root / name).is_file()
    ]
    expected = custom / domain / "manifest.json"
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = [
            d
            for d in subdirs
            if not d.startswith(".")
            and d not in _SKIPPED_DIRS
            and not (here == root and d in _SKIPPED_TOP_LEVEL)
        ]
        if "manifest.json" in files and here / "manifest.json" != expected:
            problems.append(
                f"{(here / 'manifest.json').relative_to(root)}: hassfest would "
                "validate it as an integration; only the integration may have one"
            )
    return problems


# ---------------------------------------------------------------------------
# services.yaml and its translations
# ---------------------------------------------------------------------------

SERVICE_KEYS = frozenset({"name", "description", "target", "fields"})
FIELD_KEYS = frozenset(
    {"name", "description", "example", "default", "required", "advanced", "selector"}
)
SECTION_KEYS = frozenset({"name", "description", "collapsed", "fields"})


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


def _field_schema_problems(
    where: str, definition: Any, allowed: frozenset[str]
) -> Problems:
    if not isinstance(definition, Mapping):
        return [f"{where} must be a mapping"]
    problems: Problems = []
    if unknown := sorted(set(definition) - allowed):
        problems.append(f"{where} has unknown keys {unknown}")
    if "selector" in definition:
        try:
            selector.validate_selector(definition["selector"])
        except (vol.Invalid, KeyError, TypeError, ValueError) as err:
            problems.append(f"{where} has an invalid selector: {err}")
    return problems


def services_yaml_problems(services: Mapping[str, Any]) -> Problems:
    """Check services.yaml against hassfest's custom-integration schema."""
    problems: Problems = []
    for action, service in services.items():
        try:
            cv.slug(action)
        except vol.Invalid:
            problems.append(f"action name {action!r} is not a slug")
        if service is None:
            continue
        if not isinstance(service, Mapping):
            problems.append(f"{action} must be a mapping")
            continue
        if unknown := sorted(set(service) - SERVICE_KEYS):
            problems.append(f"{action} has unknown keys {unknown}")
        field_keys = FIELD_KEYS | ({"filter"} if "target" in service else set())
        seen: set[str] = set()
        for name, definition in (service.get("fields") or {}).items():
            if is_section(definition):
                problems += _field_schema_problems(
                    f"{action}.{name}", definition, SECTION_KEYS
                )
                children = list((definition["fields"] or {}).items())
            else:
                children = [(name, definition)]
            for child, child_definition in children:
                if child in seen:
                    problems.append(f"{action}: field {child} is defined twice")
                seen.add(child)
                problems += _field_schema_problems(
                    f"{action}.{child}", child_definition, field_keys
                )
    return problems


def _selector_translation_problems(
    where: str, definition: Any, strings: Mapping[str, Any]
) -> Problems:
    """Check that a field's translated selector options exist."""
    config = definition.get("selector") if isinstance(definition, Mapping) else None
    problems: Problems = []
    select = _get(config, "select")
    if isinstance(select, Mapping) and (key := select.get("translation_key")):
        for option in select.get("options") or []:
            value = option.get("value") if isinstance(option, Mapping) else option
            if not _get(strings, "selector", key, "options", str(value)):
                problems.append(
                    f"{where}: select option {value!r} needs "
                    f"selector.{key}.options.{value} in en.json"
                )
    obj = _get(config, "object")
    if isinstance(obj, Mapping) and (key := obj.get("translation_key")):
        problems += [
            f"{where}: object field {sub!r} needs selector.{key}.fields.{sub}"
            for sub in obj.get("fields") or {}
            if not _get(strings, "selector", key, "fields", sub)
        ]
    return problems


def service_translation_problems(
    services: Mapping[str, Any], strings: Mapping[str, Any]
) -> Problems:
    """Check that every action, field and section has its translated texts."""
    problems: Problems = []
    for action, service in services.items():
        base = ("services", action)
        problems += [
            f"services.{action}.{key} is missing from en.json"
            for key in ("name", "description")
            if not _get(strings, *base, key)
        ]
        for field, definition in iter_fields(service):
            problems += [
                f"services.{action}.fields.{field}.{key} is missing from en.json"
                for key in ("name", "description")
                if not _get(strings, *base, "fields", field, key)
            ]
            problems += _selector_translation_problems(
                f"{action}.{field}", definition, strings
            )
        problems += [
            f"services.{action}.sections.{section}.name is missing from en.json"
            for section, _ in iter_sections(service)
            if not _get(strings, *base, "sections", section, "name")
        ]
    return problems


def stale_service_translation_problems(
    services: Mapping[str, Any], strings: Mapping[str, Any]
) -> Problems:
    """Return translations of actions, fields or sections services.yaml lacks."""
    problems: Problems = []
    for action, texts in (_get(strings, "services") or {}).items():
        if action not in services:
            problems.append(
                f"services.{action} translates an action services.yaml lacks"
            )
            continue
        fields = {name for name, _ in iter_fields(services[action])}
        sections = {name for name, _ in iter_sections(services[action])}
        problems += [
            f"services.{action}.fields.{name}: services.yaml has no such field"
            for name in (_get(texts, "fields") or {})
            if name not in fields
        ]
        problems += [
            f"services.{action}.sections.{name}: services.yaml has no such section"
            for name in (_get(texts, "sections") or {})
            if name not in sections
        ]
    return problems


# ---------------------------------------------------------------------------
# Translation files
# ---------------------------------------------------------------------------

# hassfest's translation value rules (script/hassfest/translations.py).
_TRANSLATION_KEY_RE = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
_QUOTED_PLACEHOLDER_RE = re.compile(r"'{\w+}'")
_COMBINED_REFERENCE_RE = re.compile(r"(.+\[%)|(%\].+)")
_HTML_RE = re.compile(r"<[a-z].*?>", re.IGNORECASE)
_URL_RE = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


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


def translation_value_problems(where: str, value: Any) -> Problems:
    """Check one translated text against hassfest's rules."""
    if not isinstance(value, str) or not value.strip():
        return [f"{where} must be a non-empty string, got {value!r}"]
    problems: Problems = []
    try:
        names = placeholders_of(value)
    except ValueError as err:
        problems.append(f"{where} has unbalanced braces: {err}")
        names = set()
    if bad := sorted(name for name in names if not name.isidentifier()):
        problems.append(f"{where} has placeholders that are not identifiers: {bad}")
    checks = (
        (value != value.strip(), "has leading or trailing spaces"),
        (bool(_HTML_RE.search(value)), "contains HTML"),
        (bool(_QUOTED_PLACEHOLDER_RE.search(value)), "quotes a placeholder in '…'"),
        (
            "[%key:" in value,
            "uses a [%key:…%] reference, which only core integrations resolve",
        ),
        (bool(_COMBINED_REFERENCE_RE.search(value)), "combines a reference with text"),
        (bool(_URL_RE.search(value)), "contains a URL (use a placeholder instead)"),
    )
    problems += [f"{where} {message}" for failed, message in checks if failed]
    return problems


def translation_file_problems(strings: Mapping[str, Any], name: str) -> Problems:
    """Check every text of a translation file."""
    return [
        problem
        for path, value in leaves(strings).items()
        for problem in translation_value_problems(f"{name}: {path}", value)
    ]


def parity_problems(en: Mapping[str, Any], fr: Mapping[str, Any]) -> Problems:
    """Check fr.json has exactly en.json's keys, with the same placeholders."""
    en_paths, fr_paths = key_paths(en), key_paths(fr)
    problems = [
        f"fr.json lacks {'.'.join(path)}" for path in en_paths if path not in fr_paths
    ]
    problems += [
        f"fr.json has {'.'.join(path)}, which en.json lacks"
        for path in fr_paths
        if path not in en_paths
    ]
    for path, en_value in en_paths.items():
        fr_value = fr_paths.get(path)
        if isinstance(en_value, Mapping) != isinstance(fr_value, Mapping):
            problems.append(f"{'.'.join(path)} is a section in one file only")
        elif isinstance(en_value, str) and isinstance(fr_value, str):
            try:
                en_names, fr_names = (
                    placeholders_of(en_value),
                    placeholders_of(fr_value),
                )
            except ValueError:
                continue  # reported by translation_file_problems
            if en_names != fr_names:
                problems.append(
                    f"{'.'.join(path)}: en uses placeholders {sorted(en_names)}, "
                    f"fr uses {sorted(fr_names)}"
                )
    return problems


TOP_LEVEL_TRANSLATION_KEYS = frozenset(
    {
        "common",
        "config",
        "config_subentries",
        "device",
        "entity",
        "exceptions",
        "issues",
        "options",
        "selector",
        "services",
        "title",
    }
)
FLOW_KEYS = frozenset(
    {
        "abort",
        "create_entry",
        "error",
        "flow_title",
        "initiate_flow",
        "progress",
        "step",
    }
)
STEP_KEYS = frozenset(
    {
        "data",
        "data_description",
        "description",
        "menu_option_descriptions",
        "menu_options",
        "sections",
        "submit",
        "title",
    }
)


def _flow_structure_problems(flow: str, texts: Any) -> Problems:
    if not isinstance(texts, Mapping):
        return [f"{flow} must be a mapping"]
    problems: Problems = []
    if unknown := sorted(set(texts) - FLOW_KEYS):
        problems.append(f"{flow} has unknown keys {unknown}")
    if "step" not in texts:
        problems.append(f"{flow}.step is required")
    for step, info in (texts.get("step") or {}).items():
        if unknown := sorted(set(info) - STEP_KEYS):
            problems.append(f"{flow}.step.{step} has unknown keys {unknown}")
        problems += [
            f"{flow}.step.{step}.data_description.{key} describes no data.{key}"
            for key in info.get("data_description") or {}
            if key not in (info.get("data") or {})
        ]
    return problems


def _keyed_problems(where: str, keys: Any, pattern: re.Pattern[str]) -> Problems:
    return [
        f"{where}.{key}: key must be lower-case letters, digits, - and _"
        for key in keys or {}
        if not pattern.match(key)
    ]


def strings_structure_problems(strings: Mapping[str, Any]) -> Problems:
    """Check the structure hassfest's translations schema enforces on en.json."""
    problems: Problems = []
    if unknown := sorted(set(strings) - TOP_LEVEL_TRANSLATION_KEYS):
        problems.append(f"unknown top-level keys {unknown}")
    for flow in ("config", "options"):
        if flow in strings:
            problems += _flow_structure_problems(flow, strings[flow])
    for key, entry in (_get(strings, "exceptions") or {}).items():
        problems += _keyed_problems("exceptions", [key], _TRANSLATION_KEY_RE)
        if not isinstance(entry, Mapping) or set(entry) - {"message"}:
            problems.append(f"exceptions.{key} may only hold a message")
    for key, entry in (_get(strings, "selector") or {}).items():
        problems += _keyed_problems("selector", [key], _TRANSLATION_KEY_RE)
        problems += _keyed_problems(
            f"selector.{key}.options", _get(entry, "options"), _TRANSLATION_KEY_RE
        )
    for action, texts in (_get(strings, "services") or {}).items():
        problems += _keyed_problems("services", [action], _TRANSLATION_KEY_RE)
        if unknown := sorted(
            set(texts) - {"name", "description", "fields", "sections"}
        ):
            problems.append(f"services.{action} has unknown keys {unknown}")
        for kind, required in (
            ("fields", ("name", "description")),
            ("sections", ("name",)),
        ):
            problems += _keyed_problems(
                f"services.{action}.{kind}", texts.get(kind), _TRANSLATION_KEY_RE
            )
            problems += [
                f"services.{action}.{kind}.{name}.{key} is required"
                for name, entry in (texts.get(kind) or {}).items()
                for key in required
                if not _get(entry, key)
            ]
    return problems


def data_description_problems(strings: Mapping[str, Any]) -> Problems:
    """Return form fields without a data_description (quality rule config-flow)."""
    problems: Problems = []
    for flow in ("config", "options"):
        for step, info in (_get(strings, flow, "step") or {}).items():
            parts = [(f"{flow}.step.{step}", info)]
            parts += [
                (f"{flow}.step.{step}.sections.{name}", section)
                for name, section in (info.get("sections") or {}).items()
            ]
            problems += [
                f"{where}.data.{key} has no data_description"
                for where, part in parts
                for key in part.get("data") or {}
                if not _get(part, "data_description", key)
            ]
    return problems


def exception_message_problems(strings: Mapping[str, Any]) -> Problems:
    """Check every exceptions.<key> has a message."""
    return [
        f"exceptions.{key} has no message"
        for key, entry in (_get(strings, "exceptions") or {}).items()
        if not _get(entry, "message")
    ]


# ---------------------------------------------------------------------------
# Translation keys used by the Python code (best effort, with the ast module)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyUse:
    """A translation key the code passes to Home Assistant."""

    kind: str  # "exceptions", "selector" or "issues"
    key: str
    where: str
    placeholders: frozenset[str] | None = None  # None: cannot be read statically
    options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class KeyWrapper:
    """A function or exception class that forwards a parameter as translation_key."""

    key_param: str
    key_index: int | None  # position among the positional parameters
    params: frozenset[str]
    fixed: frozenset[str] | None  # placeholders always passed; None: unknown
    passes_kwargs: bool  # call-site keyword arguments become placeholders


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


def _callee(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}


def _placeholder_keys(node: ast.expr | None) -> frozenset[str] | None:
    """Return the keys of a translation_placeholders argument, None if unknown."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return frozenset()
    if isinstance(node, ast.Dict) and all(
        isinstance(key, ast.Constant) and isinstance(key.value, str)
        for key in node.keys
    ):
        return frozenset(key.value for key in node.keys)  # type: ignore[union-attr]
    return None


def _forwards_kwargs(node: ast.expr | None, kwarg: str | None) -> bool | None:
    """Return whether placeholders are exactly the **kwargs (None: can't tell)."""
    if node is None or kwarg is None:
        return None
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        node = node.values[0]  # placeholders or None
    if isinstance(node, ast.Name):
        return node.id == kwarg or None
    return None


def _wrapper_placeholders(
    node: ast.expr | None, kwarg: str | None
) -> tuple[frozenset[str] | None, bool]:
    if _forwards_kwargs(node, kwarg):
        return frozenset(), True
    if isinstance(node, ast.Dict):
        fixed: set[str] = set()
        passes_kwargs = False
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                fixed.add(key.value)
            elif key is None and isinstance(value, ast.Name) and value.id == kwarg:
                passes_kwargs = True
            else:
                return None, False
        return frozenset(fixed), passes_kwargs
    return _placeholder_keys(node), False


def _wrapper_of(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    constants: Mapping[str, Any],
    domain: str,
    *,
    is_method: bool,
) -> KeyWrapper | None:
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
        fixed, passes_kwargs = _wrapper_placeholders(
            kws.get("translation_placeholders"), kwarg
        )
        return KeyWrapper(
            key_param=key_node.id,
            key_index=(
                positional.index(key_node.id) if key_node.id in positional else None
            ),
            params=params,
            fixed=fixed,
            passes_kwargs=passes_kwargs,
        )
    return None


def find_key_wrappers(
    trees: Mapping[str, ast.Module], constants: Mapping[str, Any], domain: str
) -> dict[str, KeyWrapper]:
    """Find helpers like validation_error("key", ...) and error classes taking a key."""
    wrappers: dict[str, KeyWrapper] = {}
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
        placeholders = _placeholder_keys(kws.get("translation_placeholders"))
        return KeyUse("exceptions", key, where, placeholders=placeholders)
    return None


def _wrapped_use(
    call: ast.Call, where: str, constants: Mapping[str, Any], wrapper: KeyWrapper
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


def collect_key_uses(sources: Mapping[str, str], domain: str) -> list[KeyUse]:
    """Return the translation keys the given modules pass to Home Assistant."""
    trees = {name: ast.parse(source, name) for name, source in sources.items()}
    constants = module_constants(trees)
    wrappers = find_key_wrappers(trees, constants, domain)
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


def _exception_use_problems(use: KeyUse, strings: Mapping[str, Any]) -> Problems:
    message = _get(strings, "exceptions", use.key, "message")
    if not isinstance(message, str) or not message:
        return [f"{use.where}: exceptions.{use.key}.message is missing from en.json"]
    if use.placeholders is None:
        return []
    try:
        missing = placeholders_of(message) - use.placeholders
    except ValueError:
        return []  # reported by translation_file_problems
    if missing:
        return [
            (
                f"{use.where}: exceptions.{use.key}.message uses {sorted(missing)}, "
                f"but the code passes only {sorted(use.placeholders)}"
            )
        ]
    return []


def code_key_problems(uses: list[KeyUse], strings: Mapping[str, Any]) -> Problems:
    """Check that every key the code uses has its text in en.json."""
    problems: Problems = []
    for use in uses:
        if use.kind == "exceptions":
            problems += _exception_use_problems(use, strings)
        elif use.kind == "issues" and not _get(strings, "issues", use.key, "title"):
            problems.append(
                f"{use.where}: issues.{use.key}.title is missing from en.json"
            )
        elif use.kind == "selector":
            if not _get(strings, "selector", use.key):
                problems.append(
                    f"{use.where}: selector.{use.key} is missing from en.json"
                )
            problems += [
                f"{use.where}: selector.{use.key}.options.{option} is missing"
                for option in use.options or ()
                if _get(strings, "selector", use.key)
                and not _get(strings, "selector", use.key, "options", option)
            ]
    return problems


# ---------------------------------------------------------------------------
# Config and options flow error/abort keys (best effort, with the ast module)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowKeyUse:
    """An error or abort reason a flow shows."""

    flow: str | None  # "config", "options", or None outside any flow class
    kind: str  # "error" or "abort"
    key: str
    where: str


_ALREADY_CONFIGURED_CALLS = frozenset(
    {"_async_abort_entries_match", "_abort_if_unique_id_configured"}
)


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
    elif callee in _ALREADY_CONFIGURED_CALLS:
        reason = "already_configured"
    return [reason] if isinstance(reason, str) else []


def collect_flow_key_uses(
    source: str, name: str, constants: Mapping[str, Any]
) -> list[FlowKeyUse]:
    """Return the error and abort keys a config_flow.py module uses."""
    tree = ast.parse(source, name)
    scopes: list[tuple[str | None, ast.AST]] = []
    for statement in tree.body:
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
                where = f"{name}:{getattr(node, 'lineno', '?')}"
                uses += [
                    FlowKeyUse(flow, "error", key, where)
                    for key in _error_keys(node, constants)
                ]
                uses += [
                    FlowKeyUse(flow, "abort", key, where)
                    for key in _abort_keys(node, constants, function.name)
                ]
    return sorted(set(uses), key=lambda use: (use.where, use.kind, use.key))


def flow_key_problems(uses: list[FlowKeyUse], strings: Mapping[str, Any]) -> Problems:
    """Check each error/abort key has a text under <flow>.error / <flow>.abort.

    Keys used outside a flow class (shared helpers) may live in either flow.
    """
    problems: Problems = []
    for use in uses:
        flows = [use.flow] if use.flow else ["config", "options"]
        if not any(_get(strings, flow, use.kind, use.key) for flow in flows):
            wanted = " or ".join(f"{flow}.{use.kind}.{use.key}" for flow in flows)
            problems.append(f"{use.where}: {wanted} is missing from en.json")
    return problems


# ---------------------------------------------------------------------------
# icons.json
# ---------------------------------------------------------------------------

_MDI_RE = re.compile(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")


def _icon_problem(where: str, icon: Any) -> str | None:
    if isinstance(icon, str) and _MDI_RE.match(icon):
        return None
    return f"{where} must be an mdi:icon-name, got {icon!r}"


def icon_problems(icons: Mapping[str, Any], services: Mapping[str, Any]) -> Problems:
    """Check icons.json gives every action (and section) an mdi icon."""
    problems: Problems = []
    if unknown := sorted(set(icons) - {"services", "entity", "entity_component"}):
        problems.append(f"icons.json has unknown top-level keys {unknown}")
    service_icons = icons.get("services") or {}
    for action, service in services.items():
        entry = service_icons.get(action)
        if not isinstance(entry, Mapping):
            problems.append(f"services.{action}.service is missing from icons.json")
            continue
        if unknown := sorted(set(entry) - {"service", "sections"}):
            problems.append(f"services.{action} has unknown keys {unknown}")
        if problem := _icon_problem(f"services.{action}.service", entry.get("service")):
            problems.append(problem)
        sections = {name for name, _ in iter_sections(service)}
        for section, icon in (entry.get("sections") or {}).items():
            if section not in sections:
                problems.append(
                    f"services.{action}.sections.{section}: no such section"
                )
            elif problem := _icon_problem(
                f"services.{action}.sections.{section}", icon
            ):
                problems.append(problem)
    problems += [
        f"icons.json has an icon for unknown action {action}"
        for action in service_icons
        if action not in services
    ]
    return problems


# ---------------------------------------------------------------------------
# Brand images (served by HA >= 2026.3 from custom_components/<domain>/brand/)
# ---------------------------------------------------------------------------

BRAND_FILES = frozenset(
    f"{dark}{kind}{scale}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for scale in ("", "@2x")
)


def brand_folder_problems(names: list[str]) -> Problems:
    """Check the brand folder holds only allowed names and has an icon."""
    problems = [
        f"brand/{name} is not an allowed brand file ({sorted(BRAND_FILES)})"
        for name in sorted(names)
        if name not in BRAND_FILES
    ]
    if "icon.png" not in names:
        problems.append("brand/icon.png is missing")
    return problems


def _size_problem(name: str, size: tuple[int, int]) -> str | None:
    scale = 2 if "@2x" in name else 1
    if "icon" in name:
        wanted = (256 * scale, 256 * scale)
        if size != wanted:
            return f"{name} is {size[0]}x{size[1]}, must be {wanted[0]}x{wanted[1]}"
    elif not 128 * scale <= min(size) <= 256 * scale:
        return f"{name}: shortest side {min(size)} not in {128 * scale}..{256 * scale}"
    return None


def brand_image_problems(path: Path) -> Problems:
    """Check one brand image: size, RGBA PNG, transparency and trimming."""
    name = path.name
    with Image.open(path) as image:
        image.load()
        problems: Problems = []
        if image.format != "PNG":
            problems.append(f"{name} is {image.format}, not PNG")
        if problem := _size_problem(name, image.size):
            problems.append(problem)
        if image.mode != "RGBA":
            problems.append(f"{name} is {image.mode}, must be RGBA")
            return problems
        alpha = image.getchannel("A")
    lowest, highest = alpha.getextrema()
    if lowest != 0:
        problems.append(
            f"{name} has no transparent pixel (needs a transparent background)"
        )
    if highest == 0:
        problems.append(f"{name} is fully transparent")
        return problems
    left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
    width, height = alpha.size
    if not ((left, right) == (0, width) or (top, bottom) == (0, height)):
        problems.append(
            f"{name} is not trimmed: content spans {left},{top}-{right},{bottom} "
            f"of {width}x{height} and touches neither both sides nor top and bottom"
        )
    return problems


# ---------------------------------------------------------------------------
# quality_scale.yaml
# ---------------------------------------------------------------------------

# hassfest's rule list (script/hassfest/quality_scale.py), as every core
# integration's quality_scale.yaml of HA 2026.10 lists it.
QUALITY_SCALE_RULES: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_RULES = frozenset(rule for rules in QUALITY_SCALE_RULES.values() for rule in rules)


def _rule_status_problem(rule: str, value: Any) -> str | None:
    if value in ("done", "todo"):
        return None
    if not isinstance(value, Mapping):
        return f"{rule}: must be done, todo or a mapping with a status, got {value!r}"
    status, comment = value.get("status"), value.get("comment")
    problem = None
    if unknown := sorted(set(value) - {"status", "comment"}):
        problem = f"{rule}: unknown keys {unknown}"
    elif status == "exempt":
        if not isinstance(comment, str) or not comment.strip():
            problem = f"{rule}: exempt needs a non-empty comment saying why"
    elif status not in ("done", "todo"):
        problem = f"{rule}: status must be done, todo or exempt, got {status!r}"
    elif comment is not None and not isinstance(comment, str):
        problem = f"{rule}: comment must be text"
    return problem


def quality_scale_problems(data: Mapping[str, Any]) -> Problems:
    """Check quality_scale.yaml lists every rule with a valid status."""
    if unknown := sorted(set(data) - {"rules"}):
        return [f"quality_scale.yaml has unknown top-level keys {unknown}"]
    rules = data.get("rules")
    if not isinstance(rules, Mapping):
        return ["quality_scale.yaml needs a rules: mapping"]
    problems = [f"rule {rule} is missing" for rule in sorted(ALL_RULES - set(rules))]
    problems += [f"rule {rule} is unknown" for rule in sorted(set(rules) - ALL_RULES)]
    problems += [
        problem
        for rule, value in rules.items()
        if (problem := _rule_status_problem(rule, value))
    ]
    return problems


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _json_or_empty(path: Path) -> Any:
    try:
        return json.loads(_text(path) or "{}")
    except ValueError:
        return {}


# Evidence in the code for rules marked done, in the spirit of hassfest's rule
# validators (which run for core integrations only).
DONE_RULE_EVIDENCE: dict[str, tuple[str, Callable[[Path], bool]]] = {
    "action-setup": (
        "async_setup registers the action from services.py",
        lambda d: (
            "async_setup_services" in _text(d / "__init__.py")
            and (d / "services.py").is_file()
        ),
    ),
    "brands": ("brand/icon.png exists", lambda d: (d / "brand" / "icon.png").is_file()),
    "config-flow": (
        "config_flow.py exists",
        lambda d: (d / "config_flow.py").is_file(),
    ),
    "config-entry-unloading": (
        "__init__.py defines async_unload_entry",
        lambda d: "def async_unload_entry" in _text(d / "__init__.py"),
    ),
    "diagnostics": (
        "diagnostics.py defines async_get_config_entry_diagnostics",
        lambda d: "async_get_config_entry_diagnostics" in _text(d / "diagnostics.py"),
    ),
    "exception-translations": (
        "en.json has exceptions",
        lambda d: bool(
            _get(_json_or_empty(d / "translations" / "en.json"), "exceptions")
        ),
    ),
    "icon-translations": ("icons.json exists", lambda d: (d / "icons.json").is_file()),
    "inject-websession": (
        "the code uses HA's shared aiohttp session",
        lambda d: any("async_get_clientsession" in _text(p) for p in d.glob("*.py")),
    ),
    "reconfiguration-flow": (
        "config_flow.py has async_step_reconfigure",
        lambda d: "async_step_reconfigure" in _text(d / "config_flow.py"),
    ),
    "runtime-data": (
        "__init__.py stores entry.runtime_data",
        lambda d: "runtime_data" in _text(d / "__init__.py"),
    ),
    "test-before-setup": (
        "__init__.py raises ConfigEntryError/NotReady/AuthFailed",
        lambda d: (
            re.search(
                r"ConfigEntry(Error|NotReady|AuthFailed)", _text(d / "__init__.py")
            )
            is not None
        ),
    ),
    "unique-config-entry": (
        "the config flow aborts duplicates",
        lambda d: any(
            call in _text(d / "config_flow.py") for call in _ALREADY_CONFIGURED_CALLS
        ),
    ),
}


def done_rule_evidence_problems(
    rules: Mapping[str, Any], integration: Path
) -> Problems:
    """Return rules marked done whose evidence is missing from the code."""
    problems: Problems = []
    for rule, (evidence, present) in DONE_RULE_EVIDENCE.items():
        value = rules.get(rule)
        status = value.get("status") if isinstance(value, Mapping) else value
        if status == "done" and not present(integration):
            problems.append(f"{rule} is marked done, but not true: {evidence}")
    return problems


# ===========================================================================
# Tests on the real files
# ===========================================================================


def _manifest() -> dict[str, Any]:
    return cast("dict[str, Any]", load_json(INTEGRATION / "manifest.json"))


def _en() -> dict[str, Any]:
    return cast("dict[str, Any]", load_json(TRANSLATIONS / "en.json"))


def _fr() -> dict[str, Any]:
    return cast("dict[str, Any]", load_json(TRANSLATIONS / "fr.json"))


def _services() -> dict[str, Any]:
    return load_yaml(INTEGRATION / "services.yaml")


def _icons() -> dict[str, Any]:
    return cast("dict[str, Any]", load_json(INTEGRATION / "icons.json"))


def _quality_scale() -> dict[str, Any]:
    return load_yaml(INTEGRATION / "quality_scale.yaml")


def test_manifest() -> None:
    _assert_no_problems(
        manifest_problems(_manifest(), INTEGRATION.name), "manifest.json"
    )


def test_manifest_project_choices() -> None:
    """The choices this project made: a service with a config flow, no requirements."""
    manifest = _manifest()
    assert manifest.get("integration_type") == "service", (
        "integration_type must be service"
    )
    assert manifest.get("config_flow") is True, "config_flow must be true"
    assert manifest.get("requirements") == [], (
        "requirements must be [] (aiohttp ships with HA), "
        f"got {manifest.get('requirements')}"
    )
    assert (INTEGRATION / "config_flow.py").is_file(), (
        "config_flow: true needs config_flow.py"
    )


def test_domain_is_not_a_core_integration() -> None:
    """Hassfest warns when a custom domain collides with a built-in one."""
    assert not (HA_COMPONENTS / DOMAIN).exists(), (
        f"{DOMAIN} is a core integration's name"
    )


def test_hacs_json() -> None:
    pin = pinned_minimum_ha(_text(ROOT / "requirements" / "test-minimum.txt"))
    _assert_no_problems(hacs_problems(load_json(ROOT / "hacs.json"), pin), "hacs.json")


def test_installed_home_assistant_is_not_older_than_declared() -> None:
    declared = load_json(ROOT / "hacs.json").get("homeassistant", "0")
    assert AwesomeVersion(ha_const.__version__) >= AwesomeVersion(declared), (
        f"tests run on HA {ha_const.__version__}, "
        f"older than hacs.json's minimum {declared}"
    )


def test_repository_layout() -> None:
    _assert_no_problems(repository_layout_problems(ROOT, DOMAIN), "repository layout")


def test_services_yaml_schema() -> None:
    _assert_no_problems(services_yaml_problems(_services()), "services.yaml")


def test_services_yaml_describes_the_registered_action() -> None:
    assert SERVICE_SEND in _services(), (
        f"services.yaml does not describe {SERVICE_SEND}"
    )


def test_services_are_translated() -> None:
    _assert_no_problems(
        service_translation_problems(_services(), _en()), "services.yaml vs en.json"
    )


def test_no_stale_service_translations() -> None:
    _assert_no_problems(
        stale_service_translation_problems(_services(), _en()),
        "en.json vs services.yaml",
    )


def test_en_json_structure() -> None:
    _assert_no_problems(strings_structure_problems(_en()), "en.json structure")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translation_texts(language: str) -> None:
    strings = load_json(TRANSLATIONS / f"{language}.json")
    _assert_no_problems(
        translation_file_problems(strings, f"{language}.json"), f"{language}.json texts"
    )


def test_fr_json_matches_en_json() -> None:
    _assert_no_problems(parity_problems(_en(), _fr()), "fr.json vs en.json")


def test_exceptions_have_messages() -> None:
    _assert_no_problems(exception_message_problems(_en()), "en.json exceptions")


def test_code_translation_keys_exist() -> None:
    uses = collect_key_uses(_integration_sources(), DOMAIN)
    assert any(use.kind == "exceptions" for use in uses), "found no translated errors"
    _assert_no_problems(code_key_problems(uses, _en()), "translation keys in the code")


def test_config_flow_keys_exist() -> None:
    sources = _integration_sources()
    constants = module_constants(
        {name: ast.parse(source) for name, source in sources.items()}
    )
    uses = collect_flow_key_uses(sources["config_flow.py"], "config_flow.py", constants)
    _assert_no_problems(flow_key_problems(uses, _en()), "config flow keys")


def test_config_flow_fields_have_data_descriptions() -> None:
    _assert_no_problems(data_description_problems(_en()), "config/options forms")


def test_icons_json() -> None:
    _assert_no_problems(icon_problems(_icons(), _services()), "icons.json")


def test_brand_folder() -> None:
    assert BRAND.is_dir(), f"{_rel(BRAND)} is missing (run scripts/make_brand)"
    names = [path.name for path in BRAND.iterdir()]
    _assert_no_problems(brand_folder_problems(names), "brand folder")
    assert "icon@2x.png" in names, "brand/icon@2x.png is missing"


@pytest.mark.parametrize("name", ["icon.png", "icon@2x.png"])
def test_brand_image(name: str) -> None:
    assert (BRAND / name).is_file(), f"brand/{name} is missing (run scripts/make_brand)"
    _assert_no_problems(brand_image_problems(BRAND / name), f"brand/{name}")


def test_brand_names_match_home_assistant() -> None:
    """Our allowed names are the ones HA's brands integration serves."""
    brands_const = pytest.importorskip("homeassistant.components.brands.const")
    assert frozenset(brands_const.ALLOWED_IMAGES) == BRAND_FILES


def test_quality_scale() -> None:
    _assert_no_problems(quality_scale_problems(_quality_scale()), "quality_scale.yaml")


def test_quality_scale_done_rules_have_evidence() -> None:
    rules = _quality_scale().get("rules") or {}
    _assert_no_problems(
        done_rule_evidence_problems(rules, INTEGRATION), "quality_scale.yaml claims"
    )


def test_rule_list_covers_installed_home_assistant() -> None:
    """A rule added to HA must be added to QUALITY_SCALE_RULES (and our file)."""
    reference = HA_COMPONENTS / "duckdns" / "quality_scale.yaml"
    if not reference.is_file():
        pytest.skip("this HA build ships no core quality_scale.yaml to compare with")
    rules = set(load_yaml_dict(reference)["rules"])
    assert rules <= ALL_RULES, (
        f"rules unknown to this test: {sorted(rules - ALL_RULES)}"
    )


# ===========================================================================
# The checks reject broken input
# ===========================================================================


def _broken(data: Any, mutate: Callable[[Any], None]) -> Any:
    """Return a deep copy of data changed by mutate."""
    copied = copy.deepcopy(data)
    mutate(copied)
    return copied


def _assert_reports(problems: Problems, expected: str) -> None:
    assert problems, f"the check accepted broken input (expected {expected!r})"
    assert any(expected in problem for problem in problems), (
        f"expected a problem mentioning {expected!r}, got {problems}"
    )


GOOD_MANIFEST: dict[str, Any] = {
    "domain": "scene_http_request",
    "name": "Scene HTTP Request",
    "codeowners": ["@someone"],
    "config_flow": True,
    "documentation": "https://github.com/owner/repo",
    "integration_type": "service",
    "iot_class": "local_push",
    "issue_tracker": "https://github.com/owner/repo/issues",
    "requirements": [],
    "version": "1.2.3",
}


def test_manifest_check_accepts_a_good_manifest() -> None:
    assert manifest_problems(GOOD_MANIFEST, "scene_http_request") == []


def test_key_order_check_rejects_unsorted_manifest() -> None:
    keys = list(_manifest())
    keys[2], keys[3] = keys[3], keys[2]
    _assert_reports(manifest_key_order_problems(keys), "not sorted correctly")


def test_key_order_check_rejects_name_not_second() -> None:
    keys = ["domain", "codeowners", "name", "version"]
    _assert_reports(manifest_key_order_problems(keys), "expected ['domain', 'name'")


def _swap_first_keys(manifest: dict[str, Any]) -> None:
    items = list(manifest.items())
    items[0], items[1] = items[1], items[0]
    manifest.clear()
    manifest.update(items)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_swap_first_keys, "not sorted correctly"),
        (lambda m: m.update(homepage="https://x.org"), "unknown manifest keys"),
        (lambda m: m.pop("issue_tracker"), "['issue_tracker']"),
        (lambda m: m.pop("version"), "['version']"),
        (lambda m: m.update(version="one"), "not valid SemVer"),
        (lambda m: m.update(domain="other"), "does not match folder"),
        (lambda m: m.update(iot_class="polling"), "iot_class 'polling'"),
        (lambda m: m.update(integration_type="thing"), "integration_type"),
        (lambda m: m.update(codeowners=["someone"]), "codeowners"),
        (lambda m: m.update(documentation="http://x.org"), "https URL"),
        (
            lambda m: m.update(documentation="https://www.home-assistant.io/x"),
            "home-assistant.io",
        ),
        (lambda m: m.update(requirements="aiohttp"), "requirements"),
    ],
)
def test_manifest_check_rejects_broken_manifest(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    broken = _broken(_manifest(), mutate)
    _assert_reports(manifest_problems(broken, INTEGRATION.name), expected)


def test_pinned_minimum_ha_reads_the_requirements_comment() -> None:
    text = "# Minimum leg (phacc 0.13.317 pins homeassistant==2026.3.1).\nx==1\n"
    assert pinned_minimum_ha(text) == "2026.3.1"
    assert pinned_minimum_ha("pytest==8\n") is None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h: h.update(render_readme=True), "unknown hacs.json keys"),
        (lambda h: h.pop("name"), "non-empty name"),
        (lambda h: h.update(homeassistant="2026.2.0"), "older than 2026.3.0"),
        (lambda h: h.update(homeassistant="2026.10.0"), "minimum test leg runs"),
        (lambda h: h.update(homeassistant="soon"), "must be a version"),
        (lambda h: h.update(zip_release=True), "zip_release needs filename"),
        (lambda h: h.update(content_in_root=True), "content_in_root"),
    ],
)
def test_hacs_check_rejects_broken_hacs_json(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    good = {"name": "Scene HTTP Request", "homeassistant": "2026.3.1"}
    assert hacs_problems(good, "2026.3.1") == []
    _assert_reports(hacs_problems(_broken(good, mutate), "2026.3.1"), expected)


def test_hacs_check_needs_a_pin() -> None:
    good = {"name": "Scene HTTP Request", "homeassistant": "2026.3.1"}
    _assert_reports(hacs_problems(good, None), "no homeassistant==X pin")


def _fake_repository(root: Path, *folders: str) -> None:
    for folder in folders:
        (root / "custom_components" / folder).mkdir(parents=True)
        (root / "custom_components" / folder / "manifest.json").write_text("{}")
    (root / "README.md").write_text("# x\n")
    (root / "LICENSE").write_text("MIT\n")


def test_layout_check_accepts_a_good_repository(tmp_path: Path) -> None:
    _fake_repository(tmp_path, DOMAIN)
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "manifest.json").write_text("{}")
    assert repository_layout_problems(tmp_path, DOMAIN) == []


def test_layout_check_rejects_two_integrations(tmp_path: Path) -> None:
    _fake_repository(tmp_path, DOMAIN, "other")
    _assert_reports(repository_layout_problems(tmp_path, DOMAIN), "exactly one folder")


def test_layout_check_rejects_manifest_under_tests(tmp_path: Path) -> None:
    _fake_repository(tmp_path, DOMAIN)
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "manifest.json").write_text("{}")
    _assert_reports(
        repository_layout_problems(tmp_path, DOMAIN), "tests/fixtures/manifest.json"
    )


def test_layout_check_rejects_missing_license(tmp_path: Path) -> None:
    _fake_repository(tmp_path, DOMAIN)
    (tmp_path / "LICENSE").unlink()
    _assert_reports(repository_layout_problems(tmp_path, DOMAIN), "LICENSE is missing")


SAMPLE_SERVICES: dict[str, Any] = {
    "send": {
        "fields": {
            "url": {"required": True, "example": "/api", "selector": {"text": {}}},
            "body_type": {
                "selector": {
                    "select": {"options": ["json", "form"], "translation_key": "body"}
                }
            },
            "advanced": {
                "collapsed": True,
                "fields": {
                    "timeout": {"selector": {"number": {"min": 0.1, "max": 300}}},
                    "headers": {
                        "selector": {
                            "object": {
                                "fields": {
                                    "name": {"selector": {"text": {}}},
                                    "value": {"selector": {"text": {}}},
                                },
                                "multiple": True,
                                "translation_key": "header",
                            }
                        }
                    },
                },
            },
        }
    }
}


def _field_text(name: str) -> dict[str, str]:
    return {"name": name.title(), "description": f"The {name}."}


SAMPLE_STRINGS: dict[str, Any] = {
    "config": {
        "step": {
            "user": {
                "data": {"name": "Name", "base_url": "Base URL"},
                "data_description": {
                    "name": "Shown in the list.",
                    "base_url": "Relative URLs start here.",
                },
            }
        },
        "error": {"invalid_url": "Not a URL."},
        "abort": {"already_configured": "Already configured."},
    },
    "exceptions": {"timeout": {"message": "No answer from {host}."}},
    "selector": {
        "body": {"options": {"json": "JSON", "form": "Form"}},
        "header": {
            "fields": {"name": _field_text("name"), "value": _field_text("value")}
        },
    },
    "services": {
        "send": {
            "name": "Send",
            "description": "Sends an HTTP request.",
            "fields": {
                name: _field_text(name)
                for name in ("url", "body_type", "timeout", "headers")
            },
            "sections": {"advanced": {"name": "Advanced"}},
        }
    },
}


def test_service_checks_accept_the_samples() -> None:
    assert services_yaml_problems(SAMPLE_SERVICES) == []
    assert service_translation_problems(SAMPLE_SERVICES, SAMPLE_STRINGS) == []
    assert stale_service_translation_problems(SAMPLE_SERVICES, SAMPLE_STRINGS) == []
    assert strings_structure_problems(SAMPLE_STRINGS) == []
    assert translation_file_problems(SAMPLE_STRINGS, "en.json") == []
    assert data_description_problems(SAMPLE_STRINGS) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("services", "send", "name"), "services.send.name"),
        (("services", "send", "description"), "services.send.description"),
        (("services", "send", "fields", "url"), "services.send.fields.url.name"),
        (
            ("services", "send", "fields", "timeout", "description"),
            "services.send.fields.timeout.description",
        ),
        (("services", "send", "sections", "advanced"), "sections.advanced.name"),
        (("selector", "body", "options", "form"), "selector.body.options.form"),
        (("selector", "header", "fields", "value"), "selector.header.fields.value"),
    ],
)
def test_service_translation_check_rejects_missing_text(
    path: tuple[str, ...], expected: str
) -> None:
    def drop(strings: dict[str, Any]) -> None:
        del _get(strings, *path[:-1])[path[-1]]

    broken = _broken(SAMPLE_STRINGS, drop)
    _assert_reports(service_translation_problems(SAMPLE_SERVICES, broken), expected)


def test_stale_translation_check_rejects_unknown_field() -> None:
    broken = _broken(
        SAMPLE_STRINGS,
        lambda s: s["services"]["send"]["fields"].update(gone=_field_text("gone")),
    )
    _assert_reports(
        stale_service_translation_problems(SAMPLE_SERVICES, broken), "fields.gone"
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: s["send"]["fields"]["url"].update(label="x"), "unknown keys"),
        (lambda s: s["send"].update(icon="mdi:web"), "unknown keys"),
        (
            lambda s: s["send"]["fields"]["url"].update(selector={"texty": {}}),
            "invalid selector",
        ),
        (
            lambda s: s["send"]["fields"]["advanced"]["fields"].update(
                url={"selector": {"text": {}}}
            ),
            "defined twice",
        ),
        (lambda s: s.update({"Send Now": None}), "not a slug"),
    ],
)
def test_services_yaml_check_rejects_broken_schema(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    _assert_reports(services_yaml_problems(_broken(SAMPLE_SERVICES, mutate)), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "non-empty string"),
        (" Padded", "leading or trailing spaces"),
        ("See <b>this</b>", "HTML"),
        ("Host '{host}' failed", "quotes a placeholder"),
        ("[%key:common::config_flow::error::invalid_host%]", "[%key:"),
        ("Read https://example.com/help", "contains a URL"),
        ("Bad {0} index", "not identifiers"),
        ("Unbalanced {host", "unbalanced braces"),
    ],
)
def test_translation_text_check_rejects_bad_text(text: str, expected: str) -> None:
    _assert_reports(translation_value_problems("x", text), expected)


def _first_leaf_path(data: Mapping[str, Any]) -> tuple[str, ...]:
    paths = list(key_paths(data))
    leaf_paths = [p for p in paths if not isinstance(key_paths(data)[p], Mapping)]
    return (leaf_paths or paths)[0]


def test_parity_check_rejects_missing_key_in_copy_of_fr_json() -> None:
    en, fr = _en(), _fr()
    path = _first_leaf_path(fr)

    def drop(strings: dict[str, Any]) -> None:
        parent = _get(strings, *path[:-1]) if len(path) > 1 else strings
        del parent[path[-1]]

    _assert_reports(parity_problems(en, _broken(fr, drop)), "fr.json lacks")


def test_parity_check_rejects_extra_key_in_fr_json() -> None:
    broken = _broken(_fr(), lambda s: s.update(extra={"x": "y"}))
    _assert_reports(parity_problems(_en(), broken), "which en.json lacks")


def test_parity_check_rejects_placeholder_mismatch() -> None:
    en = {"exceptions": {"timeout": {"message": "No answer from {host}."}}}
    fr = {"exceptions": {"timeout": {"message": "Pas de réponse de {hote}."}}}
    _assert_reports(parity_problems(en, fr), "en uses placeholders ['host']")
    assert parity_problems(en, copy.deepcopy(en)) == []


def test_text_check_rejects_empty_french_text() -> None:
    fr = {"exceptions": {"timeout": {"message": ""}}}
    _assert_reports(translation_file_problems(fr, "fr.json"), "non-empty string")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: s.update(unknown={}), "unknown top-level keys"),
        (lambda s: s["config"].pop("step"), "config.step is required"),
        (
            lambda s: s["config"]["step"]["user"]["data_description"].update(x="y"),
            "describes no data.x",
        ),
        (lambda s: s["exceptions"]["timeout"].update(title="t"), "only hold a message"),
        (
            lambda s: s["selector"]["body"]["options"].update(GET="GET"),
            "options.GET: key must be lower-case",
        ),
        (
            lambda s: s["services"]["send"]["sections"]["advanced"].pop("name"),
            "sections.advanced.name is required",
        ),
    ],
)
def test_structure_check_rejects_broken_en_json(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    broken = _broken(SAMPLE_STRINGS, mutate)
    _assert_reports(strings_structure_problems(broken), expected)


def test_data_description_check_rejects_undescribed_field() -> None:
    broken = _broken(
        SAMPLE_STRINGS,
        lambda s: s["config"]["step"]["user"]["data_description"].pop("base_url"),
    )
    _assert_reports(data_description_problems(broken), "data.base_url")


def test_exception_check_rejects_missing_message() -> None:
    strings: dict[str, Any] = {"exceptions": {"timeout": {}}}
    _assert_reports(exception_message_problems(strings), "exceptions.timeout")


SAMPLE_CODE = {
    "const.py": (
        'DOMAIN = "scene_http_request"\n'
        'KEY_TIMEOUT: Final = "timeout"\n'
        'MODE_A = "json"\n'
        'MODES = (MODE_A, "form")\n'
    ),
    "validation.py": (
        "def validation_error(key, **placeholders):\n"
        "    return ServiceValidationError(\n"
        "        translation_domain=DOMAIN,\n"
        "        translation_key=key,\n"
        "        translation_placeholders=placeholders or None,\n"
        "    )\n"
    ),
    "client.py": (
        "class HttpRequestError(HomeAssistantError):\n"
        "    def __init__(self, key, host, **placeholders):\n"
        "        super().__init__(\n"
        "            translation_domain=DOMAIN,\n"
        "            translation_key=key,\n"
        '            translation_placeholders={"host": host, **placeholders},\n'
        "        )\n"
    ),
    "services.py": (
        "def handler(computed):\n"
        '    raise validation_error("invalid_url")\n'
        '    raise validation_error("invalid_header_name", name="X")\n'
        '    raise HttpRequestError("response_too_large", "h", limit="1")\n'
        "    raise HomeAssistantError(\n"
        "        translation_domain=DOMAIN,\n"
        "        translation_key=KEY_TIMEOUT,\n"
        '        translation_placeholders={"host": "h"},\n'
        "    )\n"
        '    raise HomeAssistantError(translation_domain="hue", translation_key="x")\n'
        "    raise HomeAssistantError(\n"
        "        translation_domain=DOMAIN, translation_key=computed\n"
        "    )\n"
        '    SelectSelectorConfig(options=list(MODES), translation_key="mode")\n'
    ),
}

SAMPLE_CODE_STRINGS: dict[str, Any] = {
    "exceptions": {
        "invalid_url": {"message": "Not a URL."},
        "invalid_header_name": {"message": "Bad header {name}."},
        "response_too_large": {"message": "{host} sent more than {limit} bytes."},
        "timeout": {"message": "No answer from {host}."},
    },
    "selector": {"mode": {"options": {"json": "JSON", "form": "Form"}}},
}


def test_key_collector_reads_direct_calls_helpers_and_constants() -> None:
    uses = collect_key_uses(SAMPLE_CODE, DOMAIN)
    found = {(use.kind, use.key, use.placeholders, use.options) for use in uses}
    assert found == {
        ("exceptions", "invalid_url", frozenset(), None),
        ("exceptions", "invalid_header_name", frozenset({"name"}), None),
        ("exceptions", "response_too_large", frozenset({"host", "limit"}), None),
        ("exceptions", "timeout", frozenset({"host"}), None),
        ("selector", "mode", None, ("json", "form")),
    }
    assert code_key_problems(uses, SAMPLE_CODE_STRINGS) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda s: s["exceptions"].pop("invalid_url"),
            "exceptions.invalid_url.message",
        ),
        (lambda s: s["exceptions"].pop("timeout"), "exceptions.timeout.message"),
        (
            lambda s: s["exceptions"]["invalid_header_name"].update(
                message="Bad header {name} ({reason})."
            ),
            "uses ['reason']",
        ),
        (lambda s: s["selector"]["mode"]["options"].pop("form"), "options.form"),
        (lambda s: s.pop("selector"), "selector.mode is missing"),
    ],
)
def test_code_key_check_rejects_missing_text(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    uses = collect_key_uses(SAMPLE_CODE, DOMAIN)
    broken = _broken(SAMPLE_CODE_STRINGS, mutate)
    _assert_reports(code_key_problems(uses, broken), expected)


SAMPLE_FLOW = """
ERROR_BAD_URL = "invalid_url"


class Flow(ConfigFlow, domain=DOMAIN):
    async def async_step_user(self, user_input=None):
        errors = {}
        self._async_abort_entries_match({"name": "x"})
        errors["base"] = "cannot_connect"
        errors[CONF_BASE_URL] = ERROR_BAD_URL
        errors["other"] = str(err)
        return self.async_abort(reason="no_profiles")

    async def async_step_reconfigure(self, user_input=None):
        return self.async_update_reload_and_abort(entry, data_updates={})


class Options(OptionsFlowWithReload):
    async def async_step_init(self, user_input=None):
        errors: dict[str, str] = {"base": "token_required"}


def _shared_check(user_input):
    errors = {}
    errors["headers"] = "invalid_header_name"
    return errors
"""

SAMPLE_FLOW_STRINGS: dict[str, Any] = {
    "config": {
        "error": {"cannot_connect": "x", "invalid_url": "x"},
        "abort": {
            "already_configured": "x",
            "no_profiles": "x",
            "reconfigure_successful": "x",
        },
    },
    "options": {"error": {"token_required": "x", "invalid_header_name": "x"}},
}


def test_flow_collector_reads_errors_and_aborts() -> None:
    constants = module_constants({"f": ast.parse(SAMPLE_FLOW)})
    uses = collect_flow_key_uses(SAMPLE_FLOW, "config_flow.py", constants)
    assert {(use.flow, use.kind, use.key) for use in uses} == {
        ("config", "error", "cannot_connect"),
        ("config", "error", "invalid_url"),
        ("config", "abort", "already_configured"),
        ("config", "abort", "no_profiles"),
        ("config", "abort", "reconfigure_successful"),
        ("options", "error", "token_required"),
        (None, "error", "invalid_header_name"),
    }
    assert flow_key_problems(uses, SAMPLE_FLOW_STRINGS) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda s: s["config"]["error"].pop("cannot_connect"),
            "config.error.cannot_connect",
        ),
        (lambda s: s["config"]["error"].pop("invalid_url"), "config.error.invalid_url"),
        (lambda s: s["config"]["abort"].pop("no_profiles"), "config.abort.no_profiles"),
        (
            lambda s: s["config"]["abort"].pop("already_configured"),
            "config.abort.already_configured",
        ),
        (
            lambda s: s["config"]["abort"].pop("reconfigure_successful"),
            "config.abort.reconfigure_successful",
        ),
        (
            lambda s: s["options"]["error"].pop("token_required"),
            "options.error.token_required",
        ),
        (
            lambda s: s["options"]["error"].pop("invalid_header_name"),
            "config.error.invalid_header_name or options.error.invalid_header_name",
        ),
    ],
)
def test_flow_key_check_rejects_missing_text(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    constants = module_constants({"f": ast.parse(SAMPLE_FLOW)})
    uses = collect_flow_key_uses(SAMPLE_FLOW, "config_flow.py", constants)
    broken = _broken(SAMPLE_FLOW_STRINGS, mutate)
    _assert_reports(flow_key_problems(uses, broken), expected)


SAMPLE_ICONS: dict[str, Any] = {
    "services": {"send": {"service": "mdi:web", "sections": {"advanced": "mdi:cog"}}}
}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda i: i["services"].pop("send"), "services.send.service is missing"),
        (lambda i: i["services"]["send"].update(service="web"), "mdi:icon-name"),
        (lambda i: i["services"]["send"].pop("service"), "mdi:icon-name"),
        (lambda i: i["services"].update(gone={"service": "mdi:x"}), "unknown action"),
        (
            lambda i: i["services"]["send"]["sections"].update(nope="mdi:x"),
            "no such section",
        ),
    ],
)
def test_icon_check_rejects_broken_icons(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    assert icon_problems(SAMPLE_ICONS, SAMPLE_SERVICES) == []
    _assert_reports(
        icon_problems(_broken(SAMPLE_ICONS, mutate), SAMPLE_SERVICES), expected
    )


def _png(
    path: Path,
    size: int,
    mode: str = "RGBA",
    box: tuple[int, int, int, int] | None = None,
) -> Path:
    """Write an image: transparent, with an opaque ellipse filling box (or all)."""
    image = Image.new(mode, (size, size), (0, 0, 0, 0) if mode == "RGBA" else 0)
    ImageDraw.Draw(image).ellipse(box or (0, 0, size - 1, size - 1), fill="blue")
    image.save(path)
    return path


def test_brand_check_accepts_a_good_icon(tmp_path: Path) -> None:
    assert brand_image_problems(_png(tmp_path / "icon.png", 256)) == []
    assert brand_image_problems(_png(tmp_path / "icon@2x.png", 512)) == []


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (("icon.png", 200, "RGBA", None), "must be 256x256"),
        (("icon@2x.png", 256, "RGBA", None), "must be 512x512"),
        (("icon.png", 256, "RGB", None), "must be RGBA"),
        (("icon.png", 256, "RGBA", (-200, -200, 456, 456)), "no transparent pixel"),
        (("icon.png", 256, "RGBA", (64, 64, 192, 192)), "not trimmed"),
        (("icon.png", 256, "RGBA", (300, 300, 310, 310)), "fully transparent"),
        (("logo.png", 64, "RGBA", None), "shortest side 64"),
    ],
)
def test_brand_check_rejects_bad_images(
    tmp_path: Path,
    image: tuple[str, int, str, tuple[int, int, int, int] | None],
    expected: str,
) -> None:
    name, size, mode, box = image
    _assert_reports(
        brand_image_problems(_png(tmp_path / name, size, mode, box)), expected
    )


def test_brand_check_rejects_a_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "icon.png"
    Image.new("RGB", (256, 256), "blue").save(path, format="JPEG")
    _assert_reports(brand_image_problems(path), "not PNG")


def test_brand_folder_check_rejects_unknown_names() -> None:
    assert brand_folder_problems(["icon.png", "icon@2x.png", "dark_logo.png"]) == []
    _assert_reports(brand_folder_problems(["icon.png", "icon.svg"]), "brand/icon.svg")
    _assert_reports(brand_folder_problems(["logo.png"]), "brand/icon.png is missing")


def _all_rules_done() -> dict[str, Any]:
    return {"rules": dict.fromkeys(sorted(ALL_RULES), "done")}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda q: q["rules"].pop("brands"), "rule brands is missing"),
        (
            lambda q: q["rules"].update({"made-up-rule": "done"}),
            "made-up-rule is unknown",
        ),
        (
            lambda q: q["rules"].update(devices={"status": "exempt"}),
            "non-empty comment",
        ),
        (
            lambda q: q["rules"].update(devices={"status": "exempt", "comment": " "}),
            "non-empty comment",
        ),
        (lambda q: q["rules"].update(devices="skip"), "devices: must be done, todo"),
        (lambda q: q["rules"].update(devices={"status": "later"}), "status must be"),
        (lambda q: q.update(tier="gold"), "unknown top-level keys"),
    ],
)
def test_quality_scale_check_rejects_broken_file(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    good = _all_rules_done()
    good["rules"]["devices"] = {"status": "exempt", "comment": "no devices"}
    assert quality_scale_problems(good) == []
    _assert_reports(quality_scale_problems(_broken(good, mutate)), expected)


def test_quality_scale_evidence_check_rejects_unbacked_claim(tmp_path: Path) -> None:
    rules = {"diagnostics": "done", "reconfiguration-flow": "todo"}
    _assert_reports(
        done_rule_evidence_problems(rules, tmp_path), "diagnostics is marked"
    )
    (tmp_path / "diagnostics.py").write_text(
        "async def async_get_config_entry_diagnostics"
    )
    assert done_rule_evidence_problems(rules, tmp_path) == []
