"""Every setting once, with its name, default and help.

Precedence, lowest first: the defaults below, a TOML file (``RAKG_CONFIG`` or
``--config``), ``RAKG_<NAME>`` environment variables, then explicit overrides.
No other module reads ``os.environ``.

>>> s = load_settings({"port": 9000})
>>> s.port, s.max_rows
(9000, 10000)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = (
    Setting("root", str(ROOT), "Repository folder holding ontology/, data/ and queries/."),
    Setting("build_dir", str(ROOT / "build"), "Folder where `rakg build` writes the built dataset; `current` points to the last good build."),
    Setting("host", "127.0.0.1", "Address the server binds to."),
    Setting("port", 8000, "Port the server listens on."),
    Setting("workers", 3, "Query worker processes: each runs one query whose cost is not known yet, and is killed at its limit."),
    Setting("threads", 8, "Request threads of the serving process (each runs the app for one complete request)."),
    Setting("loops", 0, "Event loops of the serving process, each on a thread of its own with the connections dealt to it: it reads "
            "their requests and answers cached and known-cheap queries itself, on all cores at once (the engine releases the GIL); 0: one per core."),
    Setting("header_timeout", 10.0, "Seconds a client has to send a request's line and headers (408 beyond); an idle new connection is closed then."),
    Setting("body_timeout", 30.0, "Seconds a client has to send a request's body (408 beyond), and most seconds it may read nothing of a streamed answer."),
    Setting("keepalive_timeout", 5.0, "Seconds a keep-alive connection may idle between requests before it is closed."),
    Setting("max_connections", 4096, "Most connections the server holds at once (503 and close beyond)."),
    Setting("max_client_connections", 256, "Most connections one client (IP address) may hold at once (503 and close beyond)."),
    Setting("query_timeout", 30.0, "Seconds a SPARQL query may run before it is stopped with 503."),
    Setting("max_rows", 10000, "Most result rows returned; more are cut and the result is flagged as truncated."),
    Setting("memory_limit", 2000, "Megabytes of memory the whole server may hold (resident, a page shared by several of its processes counted "
            "once): what the serving process, its result cache and the answers in flight leave is divided among the query workers, "
            "each of which may grow by its share (a query that needs more is stopped with 503)."),
    Setting("worker_retire_mb", 256, "A query worker that has made more than this many MB its own after a job (reading an in-memory store "
            "writes to the pages read, so each query copies some of the store the processes share) is replaced by a fresh fork; 0 never replaces one."),
    Setting("max_result_bytes", 32_000_000, "Most bytes of one answer; a longer one is cut after its last whole row within them and flagged as truncated."),
    Setting("max_request_bytes", 1_000_000, "Largest accepted request body or query string, in bytes (413 beyond)."),
    Setting("service_allowlist", "", "Comma-separated SPARQL endpoints that SERVICE may call; empty refuses every SERVICE."),
    Setting("service_map", "", "Comma-separated ENDPOINT=URL pairs: SERVICE <ENDPOINT> is sent to URL instead (an offline mirror or a test stand-in)."),
    Setting("network_isolation", "required", "'required': each query worker runs in a network namespace of its own, with no way out but "
            "the federation proxy to the allow-listed endpoints, and the server does not start where the kernel refuses one; 'off': "
            "query workers use the host's network and only the SERVICE check guards it."),
    Setting("client_budget", 0.0, "Query-seconds per minute one client (IP address) may use before getting 429 with Retry-After; 0 switches the budget off."),
    Setting("max_client_queries", 2, "Most queries one client (IP address) may run in query workers at once; more get 429 with "
            "Retry-After (answers from the cache and queries known to be cheap are not counted); 0 switches the cap off."),
    Setting("cache_entries", 512, "Most query results kept in each worker's in-process cache (0 switches the cache off)."),
    Setting("cache_bytes", 64_000_000, "Most bytes of query results kept in each worker's in-process cache."),
    Setting("inline_seconds", 0.05, "A query that already ran in a query worker within this many seconds (the same text apart from comments "
            "and blanks, the same parameters) runs again in the serving process, without the hop to a worker; 0 switches this off."),
    Setting("data", "", "Comma-separated RDF files to serve instead of the built graph (like `oxigraph serve`)."),
    Setting("store", "memory", "Where the served store lives: 'memory', or a folder path for an on-disk store."),
)
DEFAULTS = {s.name: s.default for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    root: str
    build_dir: str
    host: str
    port: int
    workers: int
    threads: int
    loops: int
    header_timeout: float
    body_timeout: float
    keepalive_timeout: float
    max_connections: int
    max_client_connections: int
    query_timeout: float
    max_rows: int
    memory_limit: int
    worker_retire_mb: int
    max_result_bytes: int
    max_request_bytes: int
    service_allowlist: str
    service_map: str
    network_isolation: str
    client_budget: float
    max_client_queries: int
    cache_entries: int
    cache_bytes: int
    inline_seconds: float
    data: str
    store: str

    @property
    def root_path(self) -> Path:
        return Path(self.root)

    @property
    def build_path(self) -> Path:
        return Path(self.build_dir)

    @property
    def allowed_services(self) -> list[str]:
        return [s.strip() for s in self.service_allowlist.split(",") if s.strip()]

    @property
    def service_mapping(self) -> dict[str, str]:
        """ENDPOINT → URL of every pair of service_map."""
        return {endpoint.strip(): url.strip() for endpoint, url in (pair.split("=", 1) for pair in self.service_map.split(",") if "=" in pair)}

    @property
    def service_targets(self) -> dict[str, str]:
        """ENDPOINT → URL to call, for every allowed endpoint (itself unless service_map redirects it)."""
        mapped = self.service_mapping
        return {endpoint: mapped.get(endpoint, endpoint) for endpoint in self.allowed_services}

    @property
    def data_files(self) -> list[Path]:
        return [Path(s.strip()) for s in self.data.split(",") if s.strip()]


CHOICES = {"network_isolation": ("required", "off")}


def _coerce(name: str, value: object) -> object:
    if name in CHOICES and value not in CHOICES[name]:
        raise ConfigError(f"setting {name!r} must be one of {', '.join(CHOICES[name])}, not {value!r}")
    kind = type(DEFAULTS[name])
    if isinstance(value, kind):
        return value
    try:
        if kind is bool:
            return str(value).lower() in {"1", "true", "yes", "on"}
        if kind is list:
            return [v.strip() for v in str(value).split(",") if v.strip()]
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} expects {kind.__name__}, got {value!r}") from exc


def load_settings(overrides: dict | None = None, config_file: str | None = None) -> Settings:
    """Resolve every setting from defaults, TOML file, environment and ``overrides``.

    Raises ConfigError for an unknown setting name or a value of the wrong type.
    """
    values = dict(DEFAULTS)
    path = config_file or os.environ.get("RAKG_CONFIG")
    if path:
        with open(path, "rb") as handle:
            values.update(_checked(tomllib.load(handle), f"config file {path}"))
    values.update(
        {s.name: os.environ[f"RAKG_{s.name.upper()}"] for s in SETTINGS if f"RAKG_{s.name.upper()}" in os.environ}
    )
    values.update(_checked(overrides or {}, "overrides"))
    return Settings(**{f.name: _coerce(f.name, values[f.name]) for f in fields(Settings)})


def _checked(values: dict, origin: str) -> dict:
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)} in {origin}")
    return values
