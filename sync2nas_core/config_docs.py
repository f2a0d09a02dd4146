"""Text generated from the declared config sections: the starter config written by
``sync2nas init`` and the reference table in the README."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .plugins import PluginInfo
from .types import CONFIG_TYPES, ConfigKey, ConfigSection

Sections = Mapping[str, tuple[ConfigSection, PluginInfo]]


def _ini_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _toml_value(value: Any) -> str:
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value if value is not None else "", ensure_ascii=False)


def _key_comment(section: ConfigSection, key: ConfigKey) -> str:
    notes = [key.help or key.name]
    if key.bounds:
        notes.append(f"range {key.bounds}")
    if key.required:
        notes.append("required")
    if key.secret:
        env = f"SYNC2NAS_{section.name.upper()}__{key.name.upper()}"
        notes.append(f"secret: may be left empty here and set in ${env}")
    return "# " + "; ".join(notes)


def render_starter_config(sections: Sections, *, toml: bool = False) -> str:
    """A commented config with every declared key at its default."""
    lines = [
        "# Sync2NAS configuration, written by `sync2nas init`.",
        "# Check it with `sync2nas config check`; any key can be overridden by an",
        "# environment variable SYNC2NAS_<SECTION>__<KEY>.",
        "",
    ]
    for name in sorted(sections, key=str.lower):
        section, owner = sections[name]
        if section.help:
            lines.append(f"# {section.help} (plugin {owner.name})")
        lines.append(f"[{section.name}]")
        for key in section.keys:
            lines.append(_key_comment(section, key))
            if toml:
                lines.append(f"{key.name} = {_toml_value(key.default)}")
            else:
                lines.append(f"{key.name} = {_ini_value(key.default)}")
        lines.append("")
    return "\n".join(lines)


def render_reference(sections: Sections) -> str:
    """A Markdown table per section, for the README's config reference."""
    out: list[str] = []
    for name in sorted(sections, key=str.lower):
        section, owner = sections[name]
        out.append(f"### [{section.name}]")
        out.append("")
        requirement = " Required by the commands that use it." if section.required else ""
        out.append(f"{section.help}{requirement} Declared by plugin `{owner.name}`.")
        out.append("")
        out.append("| key | type | default | notes |")
        out.append("|---|---|---|---|")
        for key in section.keys:
            notes = [key.help]
            if key.required:
                notes.append("**required**")
            if key.secret:
                notes.append("secret (never shown)")
            if key.bounds:
                notes.append(f"range `{key.bounds}`")
            if key.choices:
                notes.append("one of " + ", ".join(f"`{c}`" for c in key.choices))
            if key.aliases:
                notes.append("also read as " + ", ".join(f"`{a}`" for a in key.aliases))
            default = _ini_value(key.default)
            out.append(
                f"| `{key.name}` | {CONFIG_TYPES[key.type]} | "
                f"{f'`{default}`' if default else ''} | {'; '.join(n for n in notes if n)} |"
            )
        out.append("")
    return "\n".join(out)
