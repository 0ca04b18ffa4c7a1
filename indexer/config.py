"""Settings from config.toml, validated once at startup."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .agencies import normalize_aliases

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
DEFAULT_PAGE_SIZE = 20


class ConfigError(Exception):
    """config.toml is missing, unreadable or has a wrong key or value."""


@dataclass(frozen=True)
class AgencyType:
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    data_dir: Path
    corpus_dir: Path
    agency_types: tuple[AgencyType, ...] = ()
    host: str = "127.0.0.1"
    port: int = 5000
    page_size: int = DEFAULT_PAGE_SIZE
    secret_key: str = "xxgk-dev"
    source: Path | None = field(default=None, compare=False)
    # [agency_aliases]: (variant, canonical name) pairs, both normalised (indexer/agencies.py)
    agency_aliases: tuple[tuple[str, str], ...] = ()

    def classify_agency(self, agency: str | None) -> str | None:
        """The first agency type whose keyword occurs in ``agency``, else None."""
        if not agency:
            return None
        for agency_type in self.agency_types:
            if any(keyword in agency for keyword in agency_type.keywords):
                return agency_type.name
        return None


_SECTIONS = {"paths": {"data_dir", "corpus_dir"}, "web": {"host", "port", "page_size", "secret_key"},
             "agency_types": None, "agency_aliases": None}


def _shown(name) -> str:
    """A name from the file as an error shows it: as written, or quoted with its escapes where it
    holds a line break or another control character (the error stays one line)."""
    return name if isinstance(name, str) and name.isprintable() else repr(name)


def _agency_aliases(path: Path, raw) -> tuple[tuple[str, str], ...]:
    """[agency_aliases] checked: names to names, no chains (a canonical name that is itself a variant)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [agency_aliases] must be a table of \"variant\" = \"canonical name\"")
    for variant, canonical in raw.items():
        if not isinstance(canonical, str) or not canonical.strip() or not variant.strip():
            raise ConfigError(f"{path}: agency_aliases.{_shown(variant)} must be a non-empty agency name, not {canonical!r}")
    table = normalize_aliases(raw.items())
    for variant, canonical in table.items():
        if variant == canonical:
            raise ConfigError(f"{path}: agency_aliases: {variant!r} is an alias of itself; remove it")
        if canonical in table:
            raise ConfigError(f"{path}: agency_aliases: {variant!r} -> {canonical!r}, which is itself an alias of "
                              f"{table[canonical]!r}; write {variant!r} = {table[canonical]!r}")
    if len(table) < len(raw):
        raise ConfigError(f"{path}: agency_aliases: two variants are the same name once normalised "
                          f"(spaces, full-width characters, 管委会); keep one")
    return tuple(sorted(table.items()))


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a config file (default: the repository's config.toml).

    :param path: the TOML file; relative paths inside it resolve against its folder.
    """
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config FILE)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    for key, value in raw.items():
        if key not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section [{_shown(key)}] (known: {', '.join(_SECTIONS)})")
        allowed = _SECTIONS[key]
        if allowed is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] must be a table")
            unknown = set(value) - allowed
            if unknown:
                raise ConfigError(f"{path}: unknown key {key}.{_shown(sorted(unknown)[0])} (known: {', '.join(sorted(allowed))})")
    base = path.resolve().parent
    paths = raw.get("paths", {})
    web = raw.get("web", {})
    strings = {f"paths.{key}": value for key, value in paths.items()}
    strings.update({f"web.{key}": web[key] for key in ("host", "secret_key") if key in web})
    for key, value in strings.items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{path}: {key} must be a non-empty string, not {value!r}")
    entries = raw.get("agency_types", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{path}: agency_types must be a list of tables ([[agency_types]] name = … keywords = […])")
    types = []
    for i, entry in enumerate(entries):
        name, keywords = entry.get("name"), entry.get("keywords")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{path}: agency_types[{i}] needs a name (a string)")
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise ConfigError(f"{path}: agency_types[{i}] ({_shown(name)}) needs keywords, a list of non-empty strings")
        if set(entry) - {"name", "keywords"}:
            raise ConfigError(f"{path}: agency_types[{i}] ({_shown(name)}) has unknown keys {sorted(set(entry) - {'name', 'keywords'})}")
        types.append(AgencyType(name, tuple(keywords)))
    port, page_size = web.get("port", 5000), web.get("page_size", DEFAULT_PAGE_SIZE)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"{path}: web.port must be a port number, not {port!r}")
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 200:
        raise ConfigError(f"{path}: web.page_size must be a whole number from 1 to 200, not {page_size!r}")
    return Config(
        data_dir=base / paths.get("data_dir", "data"),
        corpus_dir=base / paths.get("corpus_dir", "corpus"),
        agency_types=tuple(types),
        host=web.get("host", "127.0.0.1"),
        port=port,
        page_size=page_size,
        secret_key=web.get("secret_key", "xxgk-dev"),
        source=path,
        agency_aliases=_agency_aliases(path, raw.get("agency_aliases", {})),
    )
