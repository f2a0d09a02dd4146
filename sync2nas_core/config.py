"""Config files: finding, reading (INI or TOML), overriding from the environment,
and validating against the sections plugins declare.

The seed's ``config/sync2nas_config.ini`` works unchanged; the same content
as TOML works too. Every problem names the file (or environment variable),
the section and the key, e.g. ``[SFTP] port: expected an integer, got "twenty-two"``.
"""

from __future__ import annotations

import configparser
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .plugins import PluginInfo, did_you_mean
from .types import CONFIG_TYPES, ConfigKey, ConfigSection

CONFIG_ENV = "SYNC2NAS_CONFIG"
ENV_PREFIX = "SYNC2NAS_"
CONFIG_NAMES = ("sync2nas_config.ini", "sync2nas_config.toml")
REDACTED = "********"

_KEY_LINE = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*[=:]")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """One or more problems with the configuration; each names where it is."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# -- finding and reading -------------------------------------------------------


def user_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("sync2nas"))


def candidate_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where a config file is looked for when ``--config`` is not given, in order."""
    environ = os.environ if environ is None else environ
    candidates = [Path(environ[CONFIG_ENV])] if environ.get(CONFIG_ENV) else []
    candidates += [Path("config") / name for name in CONFIG_NAMES]
    candidates += [user_config_dir() / name for name in CONFIG_NAMES]
    return candidates


def find_config_file(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The config file to use: ``--config``, ``$SYNC2NAS_CONFIG``, ./config, user dir."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError([f"{explicit}: config file not found (given with --config)"])
        return explicit
    if environ.get(CONFIG_ENV) and not Path(environ[CONFIG_ENV]).is_file():
        raise ConfigError([f"{environ[CONFIG_ENV]}: config file not found (${CONFIG_ENV})"])
    return next((path for path in candidate_paths(environ) if path.is_file()), None)


def read_config_file(path: Path) -> dict[str, dict[str, Any]]:
    """Parse an INI or TOML file into {section: {key: value}}; keys lower-cased."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc}"]) from exc
    if path.suffix.lower() == ".toml":
        return _parse_toml(path, text)
    return _parse_ini(path, text)


def _parse_ini(path: Path, text: str) -> dict[str, dict[str, Any]]:
    parser = configparser.ConfigParser(
        interpolation=None,
        inline_comment_prefixes=("#", ";"),
        default_section="\x00no default section",
    )
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigError([f"{path}: not a valid INI file: {_ini_problem(exc)}"]) from None
    return {name: dict(parser.items(name)) for name in parser.sections()}


def _ini_problem(exc: configparser.Error) -> str:
    """What configparser found wrong, by line number and key, never quoting a line
    (the line may hold a secret: ``password hunter2``)."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: {_ini_line(exc.line)} before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        return f"line {lines}: a line without '=' (write key = value)"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: [{exc.section}] {exc.option}: key given twice"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: [{exc.section}]: section given twice"
    return type(exc).__name__


def _ini_line(line: str) -> str:
    """A line named by its key when it has one; the value is never shown."""
    match = _KEY_LINE.match(line)
    return f"key {match.group(1)!r}" if match else "a line"


def _parse_toml(path: Path, text: str) -> dict[str, dict[str, Any]]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not a valid TOML file: {exc}"]) from exc
    raw: dict[str, dict[str, Any]] = {}
    for name, table in document.items():
        if not isinstance(table, dict):
            raise ConfigError([f"{path}: {name}: expected a [section] table, got a value"])
        raw[name] = {key.lower(): value for key, value in table.items()}
    return raw


def environment_overrides(environ: Mapping[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    """``SYNC2NAS_<SECTION>__<KEY>`` variables as {(section, key): (value, variable)}."""
    overrides = {}
    for variable, value in environ.items():
        if variable.startswith(ENV_PREFIX) and "__" in variable:
            section, _, key = variable[len(ENV_PREFIX):].partition("__")
            if section and key:
                overrides[(section.lower(), key.lower())] = (value, variable)
    return overrides


# -- the validated result ------------------------------------------------------


@dataclass
class Config:
    """Typed config values by section, with where they came from."""

    path: Path | None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: set[tuple[str, str]] = field(default_factory=set)
    deferred: dict[str, list[str]] = field(default_factory=dict)

    def _section_name(self, name: str) -> str | None:
        return next((s for s in self.values if s.lower() == name.lower()), None)

    def section(self, name: str) -> dict[str, Any]:
        """Typed values of one section; raises ConfigError if required keys are unset.

        A required key is asked for here, when a command uses its section, so a
        command that never uses a section works without it.
        """
        problems = self.deferred.get(name.lower())
        if problems:
            raise ConfigError([*problems, *self._no_file_hint()])
        real = self._section_name(name)
        return dict(self.values[real]) if real else {}

    def unset(self) -> list[str]:
        """Every required section and key left unset (what ``config check`` reports)."""
        problems = [problem for section in self.deferred.values() for problem in section]
        return [*problems, *self._no_file_hint()] if problems else []

    def _no_file_hint(self) -> list[str]:
        return [] if self.path else [
            "(no config file was found; run `sync2nas init` to write one)"]

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.section(section).get(key.lower(), default)

    def redacted(self) -> dict[str, dict[str, Any]]:
        """All values with secrets replaced, for ``config show``."""
        shown: dict[str, dict[str, Any]] = {}
        for section, keys in self.values.items():
            shown[section] = {
                key: REDACTED if (section.lower(), key) in self.secrets and value else value
                for key, value in keys.items()
            }
        return shown

    def secret_values(self) -> list[str]:
        """Every non-empty secret value, so log output can be scrubbed of them."""
        values = []
        for section, key in self.secrets:
            real = self._section_name(section)
            value = self.values.get(real or "", {}).get(key)
            if value:
                values.append(str(value))
        return values


@dataclass
class ValidationResult:
    config: Config
    warnings: list[str]


def convert(key: ConfigKey, value: Any) -> Any:
    """Turn a raw value (string from INI, typed from TOML) into ``key.type``; ValueError if not."""
    expected = key.type
    if isinstance(value, str):
        value = value.strip()
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif expected is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                pass
        if number is not None and math.isfinite(number):
            return number
        if number is not None:
            raise ValueError(f"expected a finite number, got {_show(key, value)}")
    elif expected is list:
        if isinstance(value, list):
            return [str(item).strip() for item in value if str(item).strip()]
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
    elif expected is Path:
        if isinstance(value, str) and value:
            return Path(value).expanduser()
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        converted = str(value)
        if key.choices and converted.lower() not in key.choices:
            raise ValueError(f"expected one of {', '.join(key.choices)}, got {_show(key, value)}")
        return converted.lower() if key.choices else converted
    raise ValueError(f"expected {CONFIG_TYPES[expected]}, got {_show(key, value)}")


def checked(key: ConfigKey, value: Any) -> Any:
    """``value`` if it is in the key's range and passes its check; ValueError if not."""
    if not key.in_range(value):
        raise ValueError(f"must be {key.bounds}, got {_show(key, value)}")
    problem = key.validate(value) if key.validate is not None else None
    if problem:
        raise ValueError(problem)
    return value


def _unknown_key(raw_key: str, section: ConfigSection) -> str:
    """The warning for an undeclared key; a key that is no plain name (it may be a
    mistyped ``password hunter2``) is not quoted."""
    if not _KEY_LINE.match(f"{raw_key}="):
        return "a key that is not a plain name (letters, digits, _ . -): unknown key, ignored"
    hint = did_you_mean(raw_key, [key.name for key in section.keys])
    return f"{raw_key}: unknown key{hint}"


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _show(key: ConfigKey, value: Any) -> str:
    if key.secret:
        return "a value (hidden: secret)"
    return f'"{value}"' if isinstance(value, str) else repr(value)


def validate(
    raw: Mapping[str, Mapping[str, Any]],
    sections: Mapping[str, tuple[ConfigSection, PluginInfo]],
    *,
    path: Path | None,
    environ: Mapping[str, str] | None = None,
    storage_backends: Iterable[str] = (),
) -> ValidationResult:
    """Check every declared section and key; raise ConfigError listing all problems.

    A missing required section or key is not an error yet: it is reported when
    a command asks for that section (``Config.section``), and by ``config check``.
    """
    environ = os.environ if environ is None else environ
    where = str(path) if path else "defaults"
    problems: list[str] = []
    warnings: list[str] = []
    config = Config(path=path)
    declared = {name.lower(): pair for name, pair in sections.items()}
    raw_by_lower = {name.lower(): (name, keys) for name, keys in raw.items()}
    overrides = environment_overrides(environ)
    origins: dict[tuple[str, str], str] = {}

    for raw_lower, (raw_name, _) in raw_by_lower.items():
        if raw_lower not in declared:
            hint = did_you_mean(raw_name, [s.name for s, _ in sections.values()])
            warnings.append(f"{where}: [{raw_name}]: unknown section, ignored{hint}")

    for (section_lower, key_name), (_, variable) in overrides.items():
        if section_lower not in declared:
            warnings.append(f"{variable}: no config section [{section_lower}], ignored")
        elif declared[section_lower][0].key(key_name) is None:
            section_name = declared[section_lower][0].name
            warnings.append(f"{variable}: [{section_name}] has no key {key_name!r}")

    for section_lower, (section, owner) in declared.items():
        present_name, present_keys = raw_by_lower.get(section_lower, (None, {}))
        values: dict[str, Any] = {}
        missing: list[str] = []
        if section.required and present_name is None and path is not None:
            missing.append(
                f"[{section.name}]: section is missing (required by {owner.origin}; "
                f"to go without it, add the plugin to [Plugins] disabled)"
            )
        given: dict[str, tuple[Any, str]] = {}
        for raw_key, value in present_keys.items():
            key = section.key(raw_key)
            if key is None:
                warnings.append(f"{where}: [{section.name}] {_unknown_key(raw_key, section)}")
            elif not _blank(value) or (key.type is list and not key.required):
                given[key.name] = (value, where)  # `key =` unsets, except an empty list
        for key in section.keys:
            for name in (key.name, *key.aliases):
                value, variable = overrides.get((section_lower, name), ("", ""))
                if value.strip():
                    given[key.name] = (value, variable)
            if key.secret:
                config.secrets.add((section_lower, key.name))
            if key.name in given:
                value, origin = given[key.name]
                origins[(section_lower, key.name)] = origin
                try:
                    values[key.name] = checked(key, convert(key, value))
                except ValueError as exc:
                    problems.append(f"{origin}: [{section.name}] {key.name}: {exc}")
            elif key.required:
                help_text = f" ({key.help})" if key.help else ""
                missing.append(f"[{section.name}] {key.name}: required, not set{help_text}")
            else:
                default = key.default
                values[key.name] = default.expanduser() if isinstance(default, Path) else default
        if missing:
            prefix = f"{where}: " if path is not None else ""
            config.deferred[section_lower] = [f"{prefix}{problem}" for problem in missing]
        config.values[section.name] = values

    backends = sorted(storage_backends)
    database = config.values.get("Database", {})
    chosen = database.get("type")
    if backends and chosen and chosen.lower() not in backends:
        origin = origins.get(("database", "type"), "defaults")
        problems.append(
            f"{origin}: [Database] type: unknown storage backend \"{chosen}\""
            f"{did_you_mean(chosen.lower(), backends)}; valid choices: {', '.join(backends)}"
        )
    if problems:
        raise ConfigError(problems)
    return ValidationResult(config, warnings)
