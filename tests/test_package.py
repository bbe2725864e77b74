"""Offline re-implementation of the checks hassfest and the HACS action run.

hassfest and the HACS action only run on GitHub (see .github/workflows). These
tests repeat the checks that can run offline, so a broken manifest, translation
file, icon file, brand image or quality scale file fails `scripts/test` before it
is pushed.

The first part states the rules: schemas (allowed keys, required keys, what each
value must be), other tables, and small check functions that return a list of
problems (empty means fine). Then the real files are checked. Last, tables of
broken inputs prove that every check catches the mistake it is there for.
Loading, AST walking and image reading live in package_checks.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
import homeassistant.components
from homeassistant.components.brands import const as brands_const
import homeassistant.const as ha_const
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .package_checks import (
    ALREADY_CONFIGURED_CALLS,
    ROOT,
    Evidence,
    FlowKeyUse,
    KeyUse,
    Mutation,
    Problems,
    Schema,
    assert_no_problems,
    assert_reports,
    broken,
    collect_flow_key_uses,
    collect_key_uses,
    data,
    drop,
    drop_first_leaf,
    exists,
    find_files,
    get,
    image_facts,
    is_bool,
    is_https_url,
    is_nonempty_str,
    is_semver,
    is_slug,
    is_str_list,
    is_valid_selector,
    is_version,
    iter_fields,
    iter_sections,
    json_has,
    key_paths,
    leaves,
    load_json,
    load_yaml,
    make_image,
    mentions,
    one_of,
    placeholders_of,
    put,
    python_sources,
    read_text,
    rel,
    swap_keys,
    url_host,
    words,
)

INTEGRATION = ROOT / "custom_components" / DOMAIN
TRANSLATIONS = INTEGRATION / "translations"
BRAND = INTEGRATION / "brand"
HA_COMPONENTS = Path(homeassistant.components.__file__).parent
MINIMUM_REQUIREMENTS = ROOT / "requirements" / "test-minimum.txt"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace conftest's autouse fixture: these checks read files, not hass."""


# ===========================================================================
# manifest.json (hassfest's custom-integration schema, plus HACS's keys)
# ===========================================================================

IOT_CLASSES = words(
    "assumed_state calculated cloud_polling cloud_push local_polling local_push"
)
INTEGRATION_TYPES = words("device entity hardware helper hub service system")
MANIFEST = Schema(
    allowed=words("""
        domain name after_dependencies bluetooth codeowners config_flow
        dependencies dhcp disabled documentation homekit import_executor
        integration_type iot_class issue_tracker loggers mqtt quality_scale
        requirements single_config_entry ssdp usb version zeroconf
    """),
    # hassfest requires the first five and version; HACS also issue_tracker.
    required=words(
        "domain name codeowners documentation iot_class issue_tracker version"
    ),
    values=[
        ("name", "a non-empty string", is_nonempty_str),
        (
            "codeowners",
            "a non-empty list of @handles",
            lambda v: is_str_list(v) and bool(v) and all(o[:1] == "@" for o in v),
        ),
        ("documentation", "an https URL", is_https_url),
        (
            "documentation",
            "a page outside home-assistant.io",
            lambda v: not url_host(v).endswith("home-assistant.io"),
        ),
        ("issue_tracker", "an https URL", is_https_url),
        ("iot_class", f"one of {IOT_CLASSES}", one_of(IOT_CLASSES)),
        ("integration_type", f"one of {INTEGRATION_TYPES}", one_of(INTEGRATION_TYPES)),
        ("version", "SemVer", is_semver),
        *[
            (key, "a list of strings", is_str_list)
            for key in words(
                "after_dependencies dependencies loggers mqtt requirements"
            )
        ],
        *[
            (key, "true or false", is_bool)
            for key in words("config_flow single_config_entry import_executor")
        ],
    ],
)
# The choices this project made: a service with a config flow, and no
# requirements (aiohttp ships with Home Assistant).
PROJECT_CHOICES = {
    "integration_type": "service",
    "config_flow": True,
    "requirements": [],
}


def manifest_key_order_problems(keys: list[str]) -> Problems:
    """Return hassfest's complaint when keys are not domain, name, then sorted."""
    first = {"domain": ".domain", "name": ".name"}
    expected = sorted(keys, key=lambda key: first.get(key, key))
    if keys == expected:
        return []
    message = "manifest keys are not sorted correctly (domain, name, then alphabetical)"
    return [f"{message}: got {keys}, expected {expected}"]


def manifest_problems(manifest: Mapping[str, Any], folder_name: str) -> Problems:
    """Check a manifest the way hassfest (custom schema) and HACS do."""
    problems = MANIFEST.problems("manifest.json", manifest)
    if manifest.get("domain") != folder_name:
        problems.append(
            f"domain {manifest.get('domain')!r} does not match folder {folder_name!r}"
        )
    return problems + manifest_key_order_problems(list(manifest))


# ===========================================================================
# hacs.json
# ===========================================================================

# HA 2026.3 is the first release that serves brand images from the integration's
# own brand/ folder, and the first on CPython 3.14: nothing older can work.
HA_FLOOR = "2026.3.0"
HACS = Schema(
    allowed=words("""
        name content_in_root country filename hacs hide_default_branch
        homeassistant persistent_directory zip_release
    """),
    required=("name", "homeassistant"),
    values=[
        ("name", "a non-empty string", is_nonempty_str),
        ("homeassistant", "a version string", is_version),
        (
            "homeassistant",
            f"{HA_FLOOR} or newer",
            lambda v: (
                not is_version(v) or AwesomeVersion(v) >= AwesomeVersion(HA_FLOOR)
            ),
        ),
        (
            "content_in_root",
            "false: the code is in custom_components/",
            lambda v: v is False,
        ),
        ("hide_default_branch", "true or false", is_bool),
        ("zip_release", "true or false", is_bool),
    ],
)
_PIN_RE = re.compile(r"homeassistant==(\d+\.\d+\.\d+)")


def pinned_minimum_ha(requirements_text: str) -> str | None:
    """Return the HA version the minimum test leg documents (homeassistant==X)."""
    match = _PIN_RE.search(requirements_text)
    return match.group(1) if match else None


def hacs_problems(hacs: Mapping[str, Any], minimum_ha: str | None) -> Problems:
    """Check hacs.json against HACS's schema and the tested minimum HA."""
    problems = HACS.problems("hacs.json", hacs)
    if hacs.get("zip_release") and not hacs.get("filename"):
        problems.append("hacs.json: zip_release needs filename")
    if minimum_ha is None:
        problems.append(f"{rel(MINIMUM_REQUIREMENTS)} names no homeassistant==X pin")
    elif hacs.get("homeassistant") != minimum_ha:
        problems.append(
            f"hacs.json declares homeassistant {hacs.get('homeassistant')}, "
            f"but the minimum test leg runs {minimum_ha}"
        )
    return problems


# ===========================================================================
# Repository layout (HACS) and stray manifests (hassfest)
# ===========================================================================

REQUIRED_ROOT_FILES = ("README.md", "LICENSE")
# Folders a checkout on GitHub never contains: tool state and git-ignored local
# directories (hidden folders are skipped too). hassfest validates every other
# manifest.json it finds as an integration.
NOT_ON_GITHUB = words("__pycache__ node_modules htmlcov")
NOT_ON_GITHUB_TOP_LEVEL = words("artifacts config")


def repository_layout_problems(root: Path, domain: str) -> Problems:
    """Check HACS's repository rules and that the only manifest is the integration's."""
    custom = root / "custom_components"
    folders = sorted(
        p.name
        for p in (custom.iterdir() if custom.is_dir() else [])
        if p.is_dir() and not p.name.startswith((".", "__"))
    )
    problems: Problems = []
    if folders != [domain]:
        problems.append(
            f"custom_components/ must hold exactly one folder, {domain}/; "
            f"found {folders}"
        )
    problems += [
        f"{name} is missing at the repository root"
        for name in REQUIRED_ROOT_FILES
        if not (root / name).is_file()
    ]
    manifests = find_files(
        root, "manifest.json", NOT_ON_GITHUB, NOT_ON_GITHUB_TOP_LEVEL
    )
    problems += [
        f"{path.relative_to(root)}: hassfest would validate it as an integration; "
        "only the integration may have one"
        for path in manifests
        if path != custom / domain / "manifest.json"
    ]
    return problems


# ===========================================================================
# services.yaml and its translations
# ===========================================================================

FIELD_KEYS = words("name description example default required advanced selector")
ACTION = Schema(allowed=words("name description target fields"))
SECTION = Schema(allowed=words("name description collapsed fields"))
FIELD = Schema(
    allowed=FIELD_KEYS,
    values=[("selector", "a valid selector", is_valid_selector)],
)
FIELD_OF_TARGETED_ACTION = Schema(allowed=(*FIELD_KEYS, "filter"), values=FIELD.values)
# The texts en.json must give every action, field and section of services.yaml.
ACTION_TEXTS = ("name", "description")
FIELD_TEXTS = ("name", "description")
SECTION_TEXTS = ("name",)


def services_yaml_problems(services: Mapping[str, Any]) -> Problems:
    """Check services.yaml against hassfest's custom-integration schema."""
    problems: Problems = []
    for action, service in services.items():
        if not is_slug(action):
            problems.append(f"action name {action!r} is not a slug")
        if service is None:
            continue
        problems += ACTION.problems(action, service)
        if not isinstance(service, Mapping):
            continue
        field = FIELD_OF_TARGETED_ACTION if "target" in service else FIELD
        for section, definition in iter_sections(service):
            problems += SECTION.problems(f"{action}.{section}", definition)
        seen: set[str] = set()
        for name, definition in iter_fields(service):
            if name in seen:
                problems.append(f"{action}: field {name} is defined twice")
            seen.add(name)
            problems += field.problems(f"{action}.{name}", definition)
    return problems


def _selector_texts(config: Any) -> list[tuple[str, ...]]:
    """Return the en.json paths a translated select or object selector needs."""
    paths: list[tuple[str, ...]] = []
    select, obj = get(config, "select"), get(config, "object")
    if isinstance(select, Mapping) and (key := select.get("translation_key")):
        for option in select.get("options") or []:
            value = option.get("value") if isinstance(option, Mapping) else option
            paths.append(("selector", key, "options", str(value)))
    if isinstance(obj, Mapping) and (key := obj.get("translation_key")):
        paths += [("selector", key, "fields", sub) for sub in obj.get("fields") or {}]
    return paths


def required_service_texts(services: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Return every en.json path services.yaml needs a text at."""
    paths: list[tuple[str, ...]] = []
    for action, service in services.items():
        base = ("services", action)
        paths += [(*base, key) for key in ACTION_TEXTS]
        for field, definition in iter_fields(service):
            paths += [(*base, "fields", field, key) for key in FIELD_TEXTS]
            paths += _selector_texts(get(definition, "selector"))
        for section, _ in iter_sections(service):
            paths += [(*base, "sections", section, key) for key in SECTION_TEXTS]
    return paths


def service_translation_problems(
    services: Mapping[str, Any], strings: Mapping[str, Any]
) -> Problems:
    """Check that every action, field, section and selector option has its text."""
    return [
        f"{'.'.join(path)} is missing from en.json"
        for path in required_service_texts(services)
        if not get(strings, *path)
    ]


def stale_service_translation_problems(
    services: Mapping[str, Any], strings: Mapping[str, Any]
) -> Problems:
    """Return translations of actions, fields or sections services.yaml lacks."""
    problems: Problems = []
    for action, texts in (get(strings, "services") or {}).items():
        if action not in services:
            problems.append(f"services.{action}: services.yaml has no such action")
            continue
        for kind, entries in (
            ("field", iter_fields(services[action])),
            ("section", iter_sections(services[action])),
        ):
            known = {name for name, _ in entries}
            problems += [
                f"services.{action}.{kind}s.{name}: services.yaml has no such {kind}"
                for name in get(texts, f"{kind}s") or {}
                if name not in known
            ]
    return problems


# ===========================================================================
# Translation files (hassfest's script/hassfest/translations.py)
# ===========================================================================

_TRANSLATION_KEY_RE = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
_URL_RE = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
# What a translated text must not have: (description, detector).
TEXT_MUST_NOT_HAVE: list[tuple[str, Callable[[str], object]]] = [
    ("leading or trailing spaces", lambda text: text != text.strip()),
    ("HTML", re.compile(r"<[a-z].*?>", re.IGNORECASE).search),
    ("a placeholder quoted in '…'", re.compile(r"'{\w+}'").search),
    (
        "a [%key:…%] reference, which only core integrations resolve",
        lambda text: "[%key:" in text,
    ),
    ("a reference combined with text", re.compile(r"(.+\[%)|(%\].+)").search),
    ("a URL (use a placeholder instead)", _URL_RE.search),
]
STRINGS = Schema(
    allowed=words("""
        common config config_subentries device entity exceptions issues options
        selector services title
    """)
)
FLOWS = ("config", "options")
FLOW = Schema(
    allowed=words("abort create_entry error flow_title initiate_flow progress step"),
    required=("step",),
)
STEP = Schema(
    allowed=words("""
        data data_description description menu_option_descriptions menu_options
        sections submit title
    """)
)
EXCEPTION = Schema(allowed=("message",))
SERVICE_TEXTS = {
    "": Schema(allowed=words("name description fields sections")),
    "fields": Schema(required=FIELD_TEXTS),
    "sections": Schema(required=SECTION_TEXTS),
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
    problems += [
        f"{where} has {description}: {value!r}"
        for description, found in TEXT_MUST_NOT_HAVE
        if found(value)
    ]
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
    problems = [f"fr.json lacks {'.'.join(p)}" for p in en_paths if p not in fr_paths]
    problems += [
        f"fr.json has {'.'.join(p)}, which en.json lacks"
        for p in fr_paths
        if p not in en_paths
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


def _key_format_problems(where: str, keys: Any) -> Problems:
    return [
        f"{where}.{key}: key must be lower-case letters, digits, - and _"
        for key in keys or {}
        if not _TRANSLATION_KEY_RE.match(key)
    ]


def strings_structure_problems(strings: Mapping[str, Any]) -> Problems:
    """Check the structure hassfest's translations schema enforces on en.json."""
    problems = STRINGS.problems("en.json", strings)
    for flow in (flow for flow in FLOWS if flow in strings):
        problems += FLOW.problems(flow, strings[flow])
        for step, info in (get(strings, flow, "step") or {}).items():
            problems += STEP.problems(f"{flow}.step.{step}", info)
            problems += [
                f"{flow}.step.{step}.data_description.{key} describes no data.{key}"
                for key in get(info, "data_description") or {}
                if key not in (get(info, "data") or {})
            ]
    exceptions = get(strings, "exceptions") or {}
    problems += _key_format_problems("exceptions", exceptions)
    for key, entry in exceptions.items():
        problems += EXCEPTION.problems(f"exceptions.{key}", entry)
    selectors = get(strings, "selector") or {}
    problems += _key_format_problems("selector", selectors)
    for key, entry in selectors.items():
        problems += _key_format_problems(
            f"selector.{key}.options", get(entry, "options")
        )
    services = get(strings, "services") or {}
    problems += _key_format_problems("services", services)
    for action, texts in services.items():
        problems += SERVICE_TEXTS[""].problems(f"services.{action}", texts)
        for kind in ("fields", "sections"):
            where = f"services.{action}.{kind}"
            problems += _key_format_problems(where, get(texts, kind))
            for name, entry in (get(texts, kind) or {}).items():
                problems += SERVICE_TEXTS[kind].problems(f"{where}.{name}", entry)
    return problems


def _form_steps(strings: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Yield (flow, step, texts) of the config, options and subentry flows."""
    for flow in FLOWS:
        for step, info in (get(strings, flow, "step") or {}).items():
            yield flow, step, info
    for kind, texts in (get(strings, "config_subentries") or {}).items():
        for step, info in (get(texts, "step") or {}).items():
            yield f"config_subentries.{kind}", step, info


def data_description_problems(strings: Mapping[str, Any]) -> Problems:
    """Return form fields without a data_description (quality rule config-flow)."""
    problems: Problems = []
    for flow, step, info in _form_steps(strings):
        parts = [(f"{flow}.step.{step}", info)]
        parts += [
            (f"{flow}.step.{step}.sections.{name}", section)
            for name, section in (info.get("sections") or {}).items()
        ]
        problems += [
            f"{where}.data.{key} has no data_description"
            for where, part in parts
            for key in part.get("data") or {}
            if not get(part, "data_description", key)
        ]
    return problems


def exception_message_problems(strings: Mapping[str, Any]) -> Problems:
    """Check every exceptions.<key> has a message."""
    return [
        f"exceptions.{key} has no message"
        for key, entry in (get(strings, "exceptions") or {}).items()
        if not get(entry, "message")
    ]


# ===========================================================================
# Translation keys used by the Python code and by the config/options flows
# ===========================================================================


def _exception_use_problems(use: KeyUse, strings: Mapping[str, Any]) -> Problems:
    message = get(strings, "exceptions", use.key, "message")
    if not isinstance(message, str) or not message:
        return [f"{use.where}: exceptions.{use.key}.message is missing from en.json"]
    if (passed := use.placeholders) is None:
        return []
    try:
        missing = placeholders_of(message) - passed
    except ValueError:
        return []  # reported by translation_file_problems
    if not missing:
        return []
    where = f"{use.where}: exceptions.{use.key}.message"
    return [f"{where} uses {sorted(missing)}, but the code passes {sorted(passed)}"]


def code_key_problems(uses: list[KeyUse], strings: Mapping[str, Any]) -> Problems:
    """Check every key the code uses has its text in en.json.

    An error needs exceptions.<key>.message using only the placeholders passed;
    an issue needs issues.<key>.title; a selector needs selector.<key> and a
    text for each of its options.
    """
    problems: Problems = []
    for use in uses:
        if use.kind == "exceptions":
            problems += _exception_use_problems(use, strings)
        elif use.kind == "issues" and not get(strings, "issues", use.key, "title"):
            problems.append(
                f"{use.where}: issues.{use.key}.title is missing from en.json"
            )
        elif use.kind == "selector" and not get(strings, "selector", use.key):
            problems.append(f"{use.where}: selector.{use.key} is missing from en.json")
        elif use.kind == "selector":
            problems += [
                f"{use.where}: selector.{use.key}.options.{option} is missing"
                for option in use.options or ()
                if not get(strings, "selector", use.key, "options", option)
            ]
    return problems


def subentry_flow_key_problems(
    uses: list[FlowKeyUse], strings: Mapping[str, Any], kind: str
) -> Problems:
    """Check each error/abort key of a subentry flow is under config_subentries."""
    return [
        f"{use.where}: config_subentries.{kind}.{use.kind}.{use.key} is missing"
        for use in uses
        if not get(strings, "config_subentries", kind, use.kind, use.key)
    ]


def flow_key_problems(uses: list[FlowKeyUse], strings: Mapping[str, Any]) -> Problems:
    """Check each error/abort key has a text under <flow>.error / <flow>.abort.

    Keys used outside a flow class (shared helpers) may live in either flow.
    """
    problems: Problems = []
    for use in uses:
        flows = [use.flow] if use.flow else list(FLOWS)
        if not any(get(strings, flow, use.kind, use.key) for flow in flows):
            wanted = " or ".join(f"{flow}.{use.kind}.{use.key}" for flow in flows)
            problems.append(f"{use.where}: {wanted} is missing from en.json")
    return problems


# ===========================================================================
# icons.json
# ===========================================================================

_MDI_RE = re.compile(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")
ICON = "an mdi:icon-name"


def is_mdi_icon(value: Any) -> bool:
    """Return whether value names a Material Design icon."""
    return isinstance(value, str) and bool(_MDI_RE.match(value))


ICONS = Schema(allowed=words("services entity entity_component"))
SERVICE_ICONS = Schema(
    allowed=("service", "sections"),
    required=("service",),
    values=[("service", ICON, is_mdi_icon)],
)


def icon_problems(icons: Mapping[str, Any], services: Mapping[str, Any]) -> Problems:
    """Check icons.json gives every action (and only its sections) an mdi icon."""
    problems = ICONS.problems("icons.json", icons)
    service_icons = icons.get("services") or {}
    for action, service in services.items():
        entry, where = service_icons.get(action), f"services.{action}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}.service is missing from icons.json")
            continue
        problems += SERVICE_ICONS.problems(where, entry)
        sections = {name for name, _ in iter_sections(service)}
        for section, icon in (entry.get("sections") or {}).items():
            if section not in sections:
                problems.append(f"{where}.sections.{section}: no such section")
            elif not is_mdi_icon(icon):
                problems.append(
                    f"{where}.sections.{section} must be {ICON}, got {icon!r}"
                )
    problems += [
        f"icons.json has an icon for unknown action {action}"
        for action in service_icons
        if action not in services
    ]
    return problems


# ===========================================================================
# Brand images (served by HA >= 2026.3 from custom_components/<domain>/brand/)
# ===========================================================================

BRAND_FILES = frozenset(
    f"{dark}{kind}{scale}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for scale in ("", "@2x")
)
# HA needs icon.png; this project also ships icon@2x.png for high-DPI screens.
REQUIRED_BRAND_FILES = ("icon.png", "icon@2x.png")
ICON_SIDE = 256  # icons are square: 256 px, 512 px @2x
LOGO_SHORT_SIDE = (128, 256)  # logos: shortest side in this range (x2 @2x)


def brand_folder_problems(names: list[str]) -> Problems:
    """Check the brand folder holds only allowed names, and the required ones."""
    problems = [
        f"brand/{name} is not an allowed brand file ({sorted(BRAND_FILES)})"
        for name in sorted(names)
        if name not in BRAND_FILES
    ]
    return problems + [
        f"brand/{name} is missing (run scripts/make_brand)"
        for name in REQUIRED_BRAND_FILES
        if name not in names
    ]


def _size_problem(name: str, size: tuple[int, int]) -> str | None:
    scale = 2 if "@2x" in name else 1
    if "icon" in name:
        side = ICON_SIDE * scale
        if size != (side, side):
            return f"{name} is {size[0]}x{size[1]}, must be {side}x{side}"
    else:
        low, high = (side * scale for side in LOGO_SHORT_SIDE)
        if not low <= min(size) <= high:
            return f"{name}: shortest side {min(size)} not in {low}..{high}"
    return None


def brand_image_problems(path: Path) -> Problems:
    """Check one brand image: size, RGBA PNG, transparent background, trimmed."""
    if not path.is_file():
        return [f"{rel(path)} is missing (run scripts/make_brand)"]
    name, facts = path.name, image_facts(path)
    problems = [f"{name} is {facts.format}, not PNG"] if facts.format != "PNG" else []
    if problem := _size_problem(name, facts.size):
        problems.append(problem)
    if facts.alpha_range is None:
        return [*problems, f"{name} is {facts.mode}, must be RGBA"]
    if facts.alpha_range[0] != 0:
        problems.append(
            f"{name} has no transparent pixel (needs a transparent background)"
        )
    if facts.content_box is None:
        return [*problems, f"{name} is fully transparent"]
    left, top, right, bottom = facts.content_box
    width, height = facts.size
    if (left, right) != (0, width) and (top, bottom) != (0, height):
        problems.append(
            f"{name} is not trimmed: content spans {left},{top}-{right},{bottom} "
            f"of {width}x{height} and touches neither both sides nor top and bottom"
        )
    return problems


# ===========================================================================
# quality_scale.yaml
# ===========================================================================

# hassfest's rule list (script/hassfest/quality_scale.py), as every core
# integration's quality_scale.yaml of HA 2026.10 lists it.
QUALITY_SCALE_RULES = {
    "bronze": words("""
        action-setup appropriate-polling brands common-modules config-flow
        config-flow-test-coverage dependency-transparency docs-actions
        docs-conditions docs-high-level-description docs-installation-instructions
        docs-removal-instructions docs-triggers entity-event-setup entity-unique-id
        has-entity-name runtime-data test-before-configure test-before-setup
        unique-config-entry
    """),
    "silver": words("""
        action-exceptions config-entry-unloading docs-configuration-parameters
        docs-installation-parameters entity-unavailable integration-owner
        log-when-unavailable parallel-updates reauthentication-flow test-coverage
    """),
    "gold": words("""
        devices diagnostics discovery discovery-update-info docs-data-update
        docs-examples docs-known-limitations docs-supported-devices
        docs-supported-functions docs-troubleshooting docs-use-cases dynamic-devices
        entity-category entity-device-class entity-disabled-by-default
        entity-translations exception-translations icon-translations
        reconfiguration-flow repair-issues stale-devices
    """),
    "platinum": words("async-dependency inject-websession strict-typing"),
}
ALL_RULES = frozenset(rule for rules in QUALITY_SCALE_RULES.values() for rule in rules)
QUALITY_SCALE = Schema(allowed=("rules",), required=("rules",))
# A rule is "done", "todo", or a mapping like this.
RULE_STATUS = Schema(
    allowed=("status", "comment"),
    required=("status",),
    values=[
        ("status", "done, todo or exempt", one_of(("done", "todo", "exempt"))),
        (
            "comment",
            "text",
            lambda comment: comment is None or isinstance(comment, str),
        ),
    ],
)
# Evidence in the code for rules marked done, in the spirit of hassfest's rule
# validators (which run for core integrations only). Every item must hold.
DONE_RULE_EVIDENCE: dict[str, list[Evidence]] = {
    "action-setup": [
        mentions("__init__.py", "async_setup_services"),
        exists("services.py"),
    ],
    "brands": [exists("brand/icon.png")],
    "config-flow": [exists("config_flow.py")],
    "config-entry-unloading": [mentions("__init__.py", "def async_unload_entry")],
    "devices": [mentions("entity.py", "DeviceInfo")],
    "diagnostics": [mentions("diagnostics.py", "async_get_config_entry_diagnostics")],
    "exception-translations": [json_has("translations/en.json", "exceptions")],
    "icon-translations": [exists("icons.json")],
    "inject-websession": [mentions("*.py", "async_get_clientsession")],
    "reauthentication-flow": [
        mentions("config_flow.py", "async_step_reauth"),
        mentions("*.py", "async_start_reauth"),
    ],
    "reconfiguration-flow": [mentions("config_flow.py", "async_step_reconfigure")],
    "repair-issues": [mentions("repairs.py", "async_create_issue")],
    "runtime-data": [mentions("__init__.py", "runtime_data")],
    "test-before-setup": [
        mentions("__init__.py", "ConfigEntry(Error|NotReady|AuthFailed)")
    ],
    "unique-config-entry": [
        mentions("config_flow.py", "|".join(sorted(ALREADY_CONFIGURED_CALLS)))
    ],
}


def _rule_status_problems(rule: str, value: Any) -> Problems:
    if value in ("done", "todo"):
        return []
    if not isinstance(value, Mapping):
        return [f"{rule}: must be done, todo or a mapping with a status, got {value!r}"]
    problems = RULE_STATUS.problems(rule, value)
    if value.get("status") == "exempt" and not is_nonempty_str(value.get("comment")):
        problems.append(f"{rule}: exempt needs a non-empty comment saying why")
    return problems


def quality_scale_problems(data: Mapping[str, Any]) -> Problems:
    """Check quality_scale.yaml lists every rule with a valid status."""
    problems = QUALITY_SCALE.problems("quality_scale.yaml", data)
    rules = get(data, "rules")
    if not isinstance(rules, Mapping):
        return [*problems, "quality_scale.yaml needs a rules: mapping"]
    problems += [f"rule {rule} is missing" for rule in sorted(ALL_RULES - set(rules))]
    problems += [f"rule {rule} is unknown" for rule in sorted(set(rules) - ALL_RULES)]
    for rule, value in rules.items():
        problems += _rule_status_problems(rule, value)
    return problems


def done_rule_evidence_problems(
    rules: Mapping[str, Any], integration: Path
) -> Problems:
    """Return rules marked done whose evidence is missing from the code."""
    problems: Problems = []
    for rule, evidence in DONE_RULE_EVIDENCE.items():
        value = rules.get(rule)
        status = value.get("status") if isinstance(value, Mapping) else value
        problems += [
            f"{rule} is marked done, but not true: {item.description}"
            for item in evidence
            if status == "done" and not item.holds(integration)
        ]
    return problems


# ===========================================================================
# Tests on the real files
# ===========================================================================

manifest = partial(load_json, INTEGRATION / "manifest.json")
en = partial(load_json, TRANSLATIONS / "en.json")
fr = partial(load_json, TRANSLATIONS / "fr.json")
services = partial(load_yaml, INTEGRATION / "services.yaml")
quality_scale = partial(load_yaml, INTEGRATION / "quality_scale.yaml")


def brand_names() -> list[str]:
    assert BRAND.is_dir(), f"{rel(BRAND)} is missing (run scripts/make_brand)"
    return [path.name for path in BRAND.iterdir()]


REAL_FILE_CHECKS: dict[str, Callable[[], Problems]] = {
    "manifest.json": lambda: manifest_problems(manifest(), INTEGRATION.name),
    "hacs.json": lambda: hacs_problems(
        load_json(ROOT / "hacs.json"),
        pinned_minimum_ha(read_text(MINIMUM_REQUIREMENTS)),
    ),
    "repository layout": lambda: repository_layout_problems(ROOT, DOMAIN),
    "services.yaml": lambda: services_yaml_problems(services()),
    "services.yaml vs en.json": lambda: service_translation_problems(services(), en()),
    "en.json vs services.yaml": lambda: stale_service_translation_problems(
        services(), en()
    ),
    "en.json structure": lambda: strings_structure_problems(en()),
    "en.json texts": lambda: translation_file_problems(en(), "en.json"),
    "fr.json texts": lambda: translation_file_problems(fr(), "fr.json"),
    "fr.json vs en.json": lambda: parity_problems(en(), fr()),
    "en.json exceptions": lambda: exception_message_problems(en()),
    "translation keys in the code": lambda: code_key_problems(
        collect_key_uses(python_sources(INTEGRATION), DOMAIN), en()
    ),
    "config flow keys": lambda: flow_key_problems(
        collect_flow_key_uses(python_sources(INTEGRATION), "config_flow.py"), en()
    ),
    "subentry flow keys": lambda: subentry_flow_key_problems(
        collect_flow_key_uses(python_sources(INTEGRATION), "subentry_flow.py"),
        en(),
        "request",
    ),
    "config/options/subentry forms": lambda: data_description_problems(en()),
    "icons.json": lambda: icon_problems(
        load_json(INTEGRATION / "icons.json"), services()
    ),
    "brand folder": lambda: brand_folder_problems(brand_names()),
    **{
        f"brand/{name}": partial(brand_image_problems, BRAND / name)
        for name in REQUIRED_BRAND_FILES
    },
    "quality_scale.yaml": lambda: quality_scale_problems(quality_scale()),
    "quality_scale.yaml claims": lambda: done_rule_evidence_problems(
        get(quality_scale(), "rules") or {}, INTEGRATION
    ),
}


@pytest.mark.parametrize("what", REAL_FILE_CHECKS)
def test_real_file(what: str) -> None:
    assert_no_problems(REAL_FILE_CHECKS[what](), what)


@pytest.mark.parametrize(("key", "value"), PROJECT_CHOICES.items())
def test_manifest_project_choice(key: str, value: Any) -> None:
    actual = manifest().get(key)
    assert (type(actual), actual) == (type(value), value), (
        f"manifest {key} must be {value!r}, got {actual!r}"
    )


def test_config_flow_true_needs_config_flow_py() -> None:
    assert (INTEGRATION / "config_flow.py").is_file(), "config_flow.py is missing"


def test_domain_is_not_a_core_integration() -> None:
    """Hassfest warns when a custom domain collides with a built-in one."""
    assert not (HA_COMPONENTS / DOMAIN).exists(), f"{DOMAIN} is a core integration"


def test_installed_home_assistant_is_not_older_than_declared() -> None:
    declared = load_json(ROOT / "hacs.json").get("homeassistant", "0")
    assert AwesomeVersion(ha_const.__version__) >= AwesomeVersion(declared), (
        f"tests run on HA {ha_const.__version__}, "
        f"older than hacs.json's minimum {declared}"
    )


def test_services_yaml_describes_the_registered_action() -> None:
    assert SERVICE_SEND in services(), f"services.yaml does not describe {SERVICE_SEND}"


def test_key_collector_finds_the_code_translated_errors() -> None:
    uses = collect_key_uses(python_sources(INTEGRATION), DOMAIN)
    assert any(use.kind == "exceptions" for use in uses), "found no translated errors"


def test_brand_names_match_home_assistant() -> None:
    """Our allowed names are the ones HA's brands integration serves."""
    assert frozenset(brands_const.ALLOWED_IMAGES) == BRAND_FILES


def test_rule_list_covers_installed_home_assistant() -> None:
    """A rule added to HA must be added to QUALITY_SCALE_RULES (and our file)."""
    reference = HA_COMPONENTS / "duckdns" / "quality_scale.yaml"
    assert reference.is_file(), f"pick another core quality_scale.yaml: {reference}"
    rules = set(load_yaml_dict(reference)["rules"])
    assert rules <= ALL_RULES, (
        f"rules unknown to this test: {sorted(rules - ALL_RULES)}"
    )


# ===========================================================================
# The checks reject broken input
# ===========================================================================

# Small inputs each check accepts; the tables below break copies of them.
# (Nested test data is written as YAML: the same dicts, with less punctuation.)
GOOD_MANIFEST = data("""
domain: scene_http_request
name: Scene HTTP Request
codeowners: ["@someone"]
config_flow: true
documentation: https://github.com/owner/repo
integration_type: service
iot_class: local_push
issue_tracker: https://github.com/owner/repo/issues
requirements: []
version: 1.2.3
""")
GOOD_HACS = {"name": "Scene HTTP Request", "homeassistant": "2026.3.1"}
SAMPLE_SERVICES = data("""
send:
  fields:
    url: {required: true, example: /api, selector: {text: {}}}
    body_type:
      selector: {select: {options: [json, form], translation_key: body}}
    advanced:
      collapsed: true
      fields:
        timeout: {selector: {number: {min: 0.1, max: 300}}}
        headers:
          selector:
            object:
              fields: {name: {selector: {text: {}}}, value: {selector: {text: {}}}}
              multiple: true
              translation_key: header
""")
SAMPLE_ICONS = data("""
services:
  send: {service: "mdi:web", sections: {advanced: "mdi:cog"}}
""")
SAMPLE_STRINGS = data("""
config:
  step:
    user:
      data: {name: Name, base_url: Base URL}
      data_description: {name: Shown in the list., base_url: Relative URLs start here.}
  error: {invalid_url: Not a URL.}
  abort: {already_configured: Already configured.}
exceptions:
  timeout: {message: "No answer from {host}."}
selector:
  body: {options: {json: JSON, form: Form}}
  header:
    fields:
      name: {name: Name, description: The header name.}
      value: {name: Value, description: The header value.}
services:
  send:
    name: Send
    description: Sends an HTTP request.
    fields:
      url: {name: URL, description: The URL.}
      body_type: {name: Body type, description: How the body is encoded.}
      timeout: {name: Timeout, description: Seconds to wait.}
      headers: {name: Headers, description: Extra headers.}
    sections:
      advanced: {name: Advanced}
""")

SAMPLE_CODE = {
    "const.py": """
DOMAIN = "scene_http_request"
KEY_TIMEOUT: Final = "timeout"
MODE_A = "json"
MODES = (MODE_A, "form")
""",
    "validation.py": """
def validation_error(key, **placeholders):
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
""",
    "client.py": """
class HttpRequestError(HomeAssistantError):
    def __init__(self, key, host, **placeholders):
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"host": host, **placeholders},
        )
""",
    "services.py": """
def handler(computed):
    raise validation_error("invalid_url")
    raise validation_error("invalid_header_name", name="X")
    raise HttpRequestError("response_too_large", "h", limit="1")
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=KEY_TIMEOUT,
        translation_placeholders={"host": "h"},
    )
    raise HomeAssistantError(translation_domain="hue", translation_key="x")
    raise HomeAssistantError(translation_domain=DOMAIN, translation_key=computed)
    SelectSelectorConfig(options=list(MODES), translation_key="mode")
""",
}
SAMPLE_CODE_STRINGS = data("""
exceptions:
  invalid_url: {message: Not a URL.}
  invalid_header_name: {message: "Bad header {name}."}
  response_too_large: {message: "{host} sent more than {limit} bytes."}
  timeout: {message: "No answer from {host}."}
selector:
  mode: {options: {json: JSON, form: Form}}
""")

SAMPLE_FLOW = {
    "config_flow.py": """
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
}
SAMPLE_FLOW_STRINGS = data("""
config:
  error: {cannot_connect: x, invalid_url: x}
  abort: {already_configured: x, no_profiles: x, reconfigure_successful: x}
options:
  error: {token_required: x, invalid_header_name: x}
""")


def _quality_scale_sample() -> dict[str, Any]:
    rules: dict[str, Any] = dict.fromkeys(sorted(ALL_RULES), "done")
    rules["devices"] = {"status": "exempt", "comment": "no devices"}
    return {"rules": rules}


# Each check, with an input it accepts: (good input, how to run the check).
CHECKS: dict[str, tuple[Callable[[], Any], Callable[[Any], Problems]]] = {
    "manifest.json": (manifest, lambda m: manifest_problems(m, INTEGRATION.name)),
    "manifest sample": (lambda: GOOD_MANIFEST, lambda m: manifest_problems(m, DOMAIN)),
    "hacs.json": (lambda: GOOD_HACS, lambda h: hacs_problems(h, "2026.3.1")),
    "services.yaml": (lambda: SAMPLE_SERVICES, services_yaml_problems),
    "service texts": (
        lambda: SAMPLE_STRINGS,
        partial(service_translation_problems, SAMPLE_SERVICES),
    ),
    "stale service texts": (
        lambda: SAMPLE_STRINGS,
        partial(stale_service_translation_problems, SAMPLE_SERVICES),
    ),
    "en.json structure": (lambda: SAMPLE_STRINGS, strings_structure_problems),
    "texts": (lambda: SAMPLE_STRINGS, partial(translation_file_problems, name="x")),
    "data descriptions": (lambda: SAMPLE_STRINGS, data_description_problems),
    "exception messages": (lambda: SAMPLE_STRINGS, exception_message_problems),
    "fr.json vs en.json": (fr, lambda f: parity_problems(en(), f)),
    "fr vs en sample": (
        lambda: SAMPLE_STRINGS,
        partial(parity_problems, SAMPLE_STRINGS),
    ),
    "code keys": (
        lambda: SAMPLE_CODE_STRINGS,
        partial(code_key_problems, collect_key_uses(SAMPLE_CODE, DOMAIN)),
    ),
    "flow keys": (
        lambda: SAMPLE_FLOW_STRINGS,
        partial(
            flow_key_problems, collect_flow_key_uses(SAMPLE_FLOW, "config_flow.py")
        ),
    ),
    "icons.json": (
        lambda: SAMPLE_ICONS,
        partial(icon_problems, services=SAMPLE_SERVICES),
    ),
    "quality_scale.yaml": (_quality_scale_sample, quality_scale_problems),
    "brand folder": (
        lambda: ["icon.png", "icon@2x.png", "dark_logo.png"],
        brand_folder_problems,
    ),
}


def _remove(item: str) -> Mutation:
    return lambda names: names.remove(item)


# For each check: (how its good input is broken, a problem it must then report).
BROKEN: dict[str, list[tuple[Mutation, str]]] = {
    "manifest.json": [
        (swap_keys(0, 1), "not sorted correctly"),
        (swap_keys(2, 3), "not sorted correctly"),
        (swap_keys(1, 2), "expected ['domain', 'name'"),
        (put(homepage="https://x.org"), "unknown keys ['homepage']"),
        (drop("issue_tracker"), "required keys ['issue_tracker']"),
        (drop("version"), "required keys ['version']"),
        (put(name=""), "name must be a non-empty string"),
        (put(version="one"), "version must be SemVer"),
        (put(domain="other"), "does not match folder"),
        (put(iot_class="polling"), "iot_class must be one of"),
        (put(integration_type="thing"), "integration_type must be one of"),
        (put(codeowners=["someone"]), "codeowners must be"),
        (put(documentation="http://x.org"), "documentation must be an https URL"),
        (put(documentation="https://home-assistant.io/x"), "outside home-assistant"),
        (put(requirements="aiohttp"), "requirements must be a list of strings"),
        (put(config_flow="yes"), "config_flow must be true or false"),
    ],
    "hacs.json": [
        (put(render_readme=True), "unknown keys ['render_readme']"),
        (drop("name"), "required keys ['name']"),
        (put(homeassistant="2026.2.0"), "must be 2026.3.0 or newer"),
        (put(homeassistant="2026.10.0"), "minimum test leg runs 2026.3.1"),
        (put(homeassistant="soon"), "homeassistant must be a version"),
        (put(zip_release=True), "zip_release needs filename"),
        (put(content_in_root=True), "content_in_root must be false"),
    ],
    "services.yaml": [
        (put("send.fields.url", label="x"), "send.url has unknown keys ['label']"),
        (put("send", icon="mdi:web"), "send has unknown keys ['icon']"),
        (put("send.fields.url", selector={"texty": {}}), "must be a valid selector"),
        (put("send.fields.advanced", open=True), "advanced has unknown keys ['open']"),
        (put("send.fields.advanced.fields", url={}), "field url is defined twice"),
        (put(**{"Send Now": None}), "'Send Now' is not a slug"),
    ],
    "service texts": [
        (drop("services.send.name"), "services.send.name"),
        (drop("services.send.description"), "services.send.description"),
        (drop("services.send.fields.url"), "services.send.fields.url.name"),
        (
            drop("services.send.fields.timeout.description"),
            "services.send.fields.timeout.description",
        ),
        (drop("services.send.sections.advanced"), "sections.advanced.name"),
        (drop("selector.body.options.form"), "selector.body.options.form"),
        (drop("selector.header.fields.value"), "selector.header.fields.value"),
    ],
    "stale service texts": [
        (put("services.send.fields", gone={}), "fields.gone: services.yaml has no"),
        (put("services.send.sections", gone={}), "sections.gone: services.yaml has no"),
        (put("services", gone={}), "services.gone: services.yaml has no such action"),
    ],
    "en.json structure": [
        (put(unknown={}), "en.json has unknown keys ['unknown']"),
        (drop("config.step"), "config lacks required keys ['step']"),
        (put("config.step.user.data_description", x="y"), "describes no data.x"),
        (put("config.step.user", info="i"), "user has unknown keys ['info']"),
        (put("config", errors={}), "config has unknown keys ['errors']"),
        (put("exceptions.timeout", title="t"), "timeout has unknown keys ['title']"),
        (put("exceptions", Timeout={"message": "m"}), "Timeout: key must be lower"),
        (put("selector.body.options", GET="GET"), "options.GET: key must be lower"),
        (put("services.send", icon="mdi:web"), "send has unknown keys ['icon']"),
        (drop("services.send.sections.advanced.name"), "lacks required keys ['name']"),
        (drop("services.send.fields.url.description"), "['description']"),
    ],
    "texts": [(put("exceptions.timeout", message=""), "non-empty string")],
    "data descriptions": [
        (
            drop("config.step.user.data_description.base_url"),
            "config.step.user.data.base_url has no data_description",
        )
    ],
    "exception messages": [
        (drop("exceptions.timeout.message"), "exceptions.timeout has no message")
    ],
    "fr.json vs en.json": [
        (drop_first_leaf, "fr.json lacks"),
        (put(extra={"x": "y"}), "fr.json has extra, which en.json lacks"),
    ],
    "fr vs en sample": [
        (
            put("exceptions.timeout", message="Pas de réponse de {hote}."),
            "en uses placeholders ['host'], fr uses ['hote']",
        ),
        (put("exceptions", timeout="Délai dépassé."), "section in one file only"),
    ],
    "code keys": [
        (drop("exceptions.invalid_url"), "exceptions.invalid_url.message"),
        (drop("exceptions.timeout"), "exceptions.timeout.message"),
        (
            put("exceptions.invalid_header_name", message="Bad {name} ({reason})."),
            "uses ['reason']",
        ),
        (drop("selector.mode.options.form"), "selector.mode.options.form"),
        (drop("selector"), "selector.mode is missing"),
    ],
    "flow keys": [
        (drop("config.error.cannot_connect"), "config.error.cannot_connect"),
        (drop("config.error.invalid_url"), "config.error.invalid_url"),
        (drop("config.abort.no_profiles"), "config.abort.no_profiles"),
        (drop("config.abort.already_configured"), "config.abort.already_configured"),
        (
            drop("config.abort.reconfigure_successful"),
            "config.abort.reconfigure_successful",
        ),
        (drop("options.error.token_required"), "options.error.token_required"),
        (
            drop("options.error.invalid_header_name"),
            "config.error.invalid_header_name or options.error.invalid_header_name",
        ),
    ],
    "icons.json": [
        (drop("services.send"), "services.send.service is missing"),
        (put("services.send", service="web"), "service must be an mdi:icon-name"),
        (drop("services.send.service"), "required keys ['service']"),
        (put("services.send", sevice="mdi:x"), "unknown keys ['sevice']"),
        (put("services", gone={"service": "mdi:x"}), "unknown action gone"),
        (put("services.send.sections", advanced="cog"), "advanced must be an mdi:"),
        (put("services.send.sections", nope="mdi:x"), "nope: no such section"),
        (put(servces={}), "icons.json has unknown keys ['servces']"),
    ],
    "quality_scale.yaml": [
        (drop("rules.brands"), "rule brands is missing"),
        (put("rules", **{"made-up-rule": "done"}), "rule made-up-rule is unknown"),
        (
            put("rules", devices={"status": "exempt"}),
            "exempt needs a non-empty comment",
        ),
        (
            put("rules", devices={"status": "exempt", "comment": " "}),
            "exempt needs a non-empty comment",
        ),
        (put("rules", devices="skip"), "devices: must be done, todo"),
        (put("rules", devices={"status": "later"}), "status must be done, todo or"),
        (put("rules", devices={"comment": "c"}), "required keys ['status']"),
        (put("rules", devices={"status": "done", "why": "x"}), "unknown keys ['why']"),
        (put(tier="gold"), "unknown keys ['tier']"),
    ],
    "brand folder": [
        (lambda names: names.append("icon.svg"), "brand/icon.svg is not an allowed"),
        (_remove("icon.png"), "brand/icon.png is missing"),
        (_remove("icon@2x.png"), "brand/icon@2x.png is missing"),
    ],
}


@pytest.mark.parametrize("check", CHECKS)
def test_check_accepts_its_good_input(check: str) -> None:
    good, run = CHECKS[check]
    assert_no_problems(run(good()), f"{check} (good input)")


@pytest.mark.parametrize(
    ("check", "mutate", "expected"),
    [
        pytest.param(check, mutate, expected, id=f"{check}: {expected}")
        for check, rows in BROKEN.items()
        for mutate, expected in rows
    ],
)
def test_check_rejects_broken_input(
    check: str, mutate: Mutation, expected: str
) -> None:
    good, run = CHECKS[check]
    data = good()
    assert not any(expected in problem for problem in run(data)), (
        f"{check} reports {expected!r} before its input is broken"
    )
    assert_reports(run(broken(data, mutate)), expected)


# (a translated text, a problem it must raise)
BAD_TEXTS = [
    ("", "non-empty string"),
    (" Padded", "leading or trailing spaces"),
    ("See <b>this</b>", "has HTML"),
    ("Host '{host}' failed", "placeholder quoted"),
    ("[%key:common::config_flow::error::invalid_host%]", "[%key:"),
    ("Open [%key:x%] now", "reference combined with text"),
    ("Read https://example.com/help", "has a URL"),
    ("Bad {0} index", "not identifiers"),
    ("Unbalanced {host", "unbalanced braces"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_TEXTS)
def test_translation_text_check_rejects_bad_text(text: str, expected: str) -> None:
    assert translation_value_problems("x", "A good {host} text.") == []
    assert_reports(translation_value_problems("x", text), expected)


# (loader, file name, its text or None for no file, the failure it must raise)
BAD_FILES = [
    (load_json, "en.json", '{"title": "A", "title": "B"}', "duplicate keys ['title']"),
    (load_json, "en.json", '{"title": }', "en.json is not valid JSON"),
    (load_json, "en.json", None, "en.json is missing"),
    (load_yaml, "services.yaml", "send: [", "services.yaml is not valid YAML"),
    (load_yaml, "services.yaml", None, "services.yaml is missing"),
]


@pytest.mark.parametrize(("load", "name", "text", "expected"), BAD_FILES)
def test_loader_rejects_a_bad_file(
    tmp_path: Path,
    load: Callable[[Path], Any],
    name: str,
    text: str | None,
    expected: str,
) -> None:
    if text is not None:
        (tmp_path / name).write_text(text)
    with pytest.raises(
        (AssertionError, pytest.fail.Exception), match=re.escape(expected)
    ):
        load(tmp_path / name)


def test_pinned_minimum_ha_reads_the_requirements_comment() -> None:
    text = "# Minimum leg (phacc 0.13.317 pins homeassistant==2026.3.1).\nx==1\n"
    assert pinned_minimum_ha(text) == "2026.3.1"
    assert pinned_minimum_ha("pytest==8\n") is None


def test_hacs_check_needs_a_pin() -> None:
    assert_reports(hacs_problems(GOOD_HACS, None), "no homeassistant==X pin")


def _write(path: Path, text: str = "{}") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _fake_repository(root: Path, *folders: str) -> Path:
    for name in (
        *(f"custom_components/{f}/manifest.json" for f in folders),
        "README.md",
        "LICENSE",
    ):
        _write(root / name)
    return root


# Stray manifest.json files hassfest never sees: these folders are not on GitHub.
IGNORED_MANIFESTS = [
    ".venv/lib/manifest.json",
    "node_modules/pkg/manifest.json",
    "htmlcov/manifest.json",
    "config/custom_components/other/manifest.json",
    f"custom_components/{DOMAIN}/__pycache__/manifest.json",
]
# (how a good repository is broken, a problem the layout check must report)
BAD_LAYOUTS: list[tuple[Callable[[Path], object], str]] = [
    (lambda root: _fake_repository(root, "other"), "exactly one folder"),
    (lambda root: _write(root / "tests/fixtures/manifest.json"), "tests/fixtures/"),
    (lambda root: _write(root / "tests/config/manifest.json"), "tests/config/"),
    (lambda root: (root / "LICENSE").unlink(), "LICENSE is missing"),
    (lambda root: (root / "README.md").unlink(), "README.md is missing"),
]


@pytest.mark.parametrize("stray", IGNORED_MANIFESTS)
def test_layout_check_accepts_a_good_repository(tmp_path: Path, stray: str) -> None:
    _write(_fake_repository(tmp_path, DOMAIN) / stray)
    assert repository_layout_problems(tmp_path, DOMAIN) == []


@pytest.mark.parametrize(("mutate", "expected"), BAD_LAYOUTS)
def test_layout_check_rejects_a_broken_repository(
    tmp_path: Path, mutate: Callable[[Path], object], expected: str
) -> None:
    mutate(_fake_repository(tmp_path, DOMAIN))
    assert_reports(repository_layout_problems(tmp_path, DOMAIN), expected)


# (file name, side, mode, box of the opaque ellipse or None for all, format)
type ImageSpec = tuple[str, int, str, tuple[int, int, int, int] | None, str]
GOOD_IMAGES: list[ImageSpec] = [
    ("icon.png", 256, "RGBA", None, "PNG"),
    ("icon@2x.png", 512, "RGBA", None, "PNG"),
    ("logo.png", 200, "RGBA", (0, 20, 199, 180), "PNG"),
]
BAD_IMAGES: list[tuple[ImageSpec, str]] = [
    (("icon.png", 200, "RGBA", None, "PNG"), "must be 256x256"),
    (("icon@2x.png", 256, "RGBA", None, "PNG"), "must be 512x512"),
    (("icon.png", 256, "RGB", None, "PNG"), "must be RGBA"),
    (("icon.png", 256, "RGBA", (-200, -200, 456, 456), "PNG"), "no transparent pixel"),
    (("icon.png", 256, "RGBA", (64, 64, 192, 192), "PNG"), "not trimmed"),
    (("icon.png", 256, "RGBA", (300, 300, 310, 310), "PNG"), "fully transparent"),
    (("logo.png", 64, "RGBA", None, "PNG"), "shortest side 64"),
    (("logo@2x.png", 200, "RGBA", None, "PNG"), "shortest side 200 not in 256..512"),
    (("icon.png", 256, "RGB", None, "JPEG"), "not PNG"),
]


def _image(folder: Path, spec: ImageSpec) -> Path:
    name, size, mode, box, image_format = spec
    return make_image(folder / name, size, mode, box, image_format)


@pytest.mark.parametrize("image", GOOD_IMAGES)
def test_brand_check_accepts_a_good_image(tmp_path: Path, image: ImageSpec) -> None:
    assert brand_image_problems(_image(tmp_path, image)) == []


@pytest.mark.parametrize(("image", "expected"), BAD_IMAGES)
def test_brand_check_rejects_a_bad_image(
    tmp_path: Path, image: ImageSpec, expected: str
) -> None:
    assert_reports(brand_image_problems(_image(tmp_path, image)), expected)


def test_quality_scale_evidence_check_rejects_unbacked_claim(tmp_path: Path) -> None:
    rules = {"diagnostics": "done", "reconfiguration-flow": "todo"}
    assert_reports(
        done_rule_evidence_problems(rules, tmp_path), "diagnostics is marked"
    )
    _write(tmp_path / "diagnostics.py", "async def async_get_config_entry_diagnostics")
    assert done_rule_evidence_problems(rules, tmp_path) == []


@pytest.mark.parametrize("rule", DONE_RULE_EVIDENCE)
def test_quality_scale_evidence_check_needs_evidence(tmp_path: Path, rule: str) -> None:
    assert done_rule_evidence_problems({rule: "todo"}, tmp_path) == []
    assert_reports(
        done_rule_evidence_problems({rule: {"status": "done"}}, tmp_path),
        f"{rule} is marked done",
    )


def test_key_collector_reads_direct_calls_helpers_and_constants() -> None:
    uses = collect_key_uses(SAMPLE_CODE, DOMAIN)
    assert {(use.kind, use.key, use.placeholders, use.options) for use in uses} == {
        ("exceptions", "invalid_url", frozenset(), None),
        ("exceptions", "invalid_header_name", frozenset({"name"}), None),
        ("exceptions", "response_too_large", frozenset({"host", "limit"}), None),
        ("exceptions", "timeout", frozenset({"host"}), None),
        ("selector", "mode", None, ("json", "form")),
    }


def test_flow_collector_reads_errors_and_aborts() -> None:
    uses = collect_flow_key_uses(SAMPLE_FLOW, "config_flow.py")
    assert {(use.flow, use.kind, use.key) for use in uses} == {
        ("config", "error", "cannot_connect"),
        ("config", "error", "invalid_url"),
        ("config", "abort", "already_configured"),
        ("config", "abort", "no_profiles"),
        ("config", "abort", "reconfigure_successful"),
        ("options", "error", "token_required"),
        (None, "error", "invalid_header_name"),
    }
