"""bandsense configuration: one TOML file, ``BANDSENSE_*`` environment variables, flags.

Precedence, highest first: flags (``overrides``) > environment (``BANDSENSE_MQTT__URL``,
nested sections joined with ``__``) > the TOML file > built-in defaults. Nested sections
merge key by key across the sources, so the environment can change one key of a section
the file sets.

The TOML file is ``--config PATH``, else ``$BANDSENSE_CONFIG``, else ``./bandsense.toml``
when it exists. Secrets (MQTT password, InfluxDB token) come from the environment or from a
file named by ``password_file`` / ``token_file``; they are ``SecretStr`` so they never show
in a repr or a log line. Any problem becomes one ``UserError`` line naming the key, where it
came from and what is wrong. See docs/configuration.md.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import typer
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bandsense.errors import UserError
from bandsense.model import validate_band_id

ENV_PREFIX = "BANDSENSE_"
ENV_NESTED_DELIMITER = "__"
CONFIG_ENV = "BANDSENSE_CONFIG"
DEFAULT_CONFIG_NAME = "bandsense.toml"

# Fields whose values must never be echoed, not even in an error message.
_SECRET_KEYS = frozenset({"password", "token"})


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "bandsense"


def _read_secret_file(path: Path) -> SecretStr:
    try:
        text = path.expanduser().read_text()
    except OSError as exc:
        raise ValueError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    # Files written by `echo` or editors end with a newline that is not part of the secret.
    secret = text.rstrip("\r\n")
    if not secret:
        raise ValueError(f"{str(path)!r} is empty")
    return SecretStr(secret)


class _Section(BaseModel):
    # Unknown keys are typos: reject them instead of silently using a default.
    model_config = ConfigDict(extra="forbid", validate_default=True)


class MqttSettings(_Section):
    """Broker connection and topic layout."""

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    client_id: str | None = None
    topic_prefix: str = "bandsense"
    qos: int = Field(default=1, ge=0, le=2)
    keepalive_s: int = Field(default=30, ge=5, le=65535)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"mqtt", "mqtts"}:
            raise ValueError(f"must start with mqtt:// or mqtts:// (got {value!r})")
        if not parts.hostname:
            raise ValueError(f"has no host (got {value!r})")
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(f"has an invalid port (got {value!r})") from None
        return value

    @field_validator("topic_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not value or value.startswith("/") or value.endswith("/"):
            raise ValueError("must be non-empty and not start or end with '/'")
        if any(c in value for c in "+#\x00"):
            raise ValueError("must not contain MQTT wildcards '+' or '#'")
        return value

    @field_validator("password_file")
    @classmethod
    def _check_password_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            _read_secret_file(value)  # error on the key that names it
        return value

    @model_validator(mode="after")
    def _password_from_file(self) -> MqttSettings:
        # An explicit password (env or file content) wins over password_file.
        if self.password is None and self.password_file is not None:
            self.password = _read_secret_file(self.password_file)
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"


class InfluxSettings(_Section):
    """InfluxDB through the v1 write/query API (works on 1.x, 2.x with DBRP, 3.x)."""

    url: str = "http://127.0.0.1:8086"
    database: str = "bandsense"
    username: str | None = None
    token: SecretStr | None = None
    token_file: Path | None = None
    batch_size: int = Field(default=5000, ge=1, le=1_000_000)
    flush_interval_s: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"must be an http:// or https:// URL with a host (got {value!r})")
        return value.rstrip("/")

    @field_validator("database")
    @classmethod
    def _check_database(cls, value: str) -> str:
        if not value or any(c in value for c in '"\n\r\x00'):
            raise ValueError("must be non-empty without quotes or control characters")
        return value

    @field_validator("token_file")
    @classmethod
    def _check_token_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            _read_secret_file(value)
        return value

    @model_validator(mode="after")
    def _token_from_file(self) -> InfluxSettings:
        if self.token is None and self.token_file is not None:
            self.token = _read_secret_file(self.token_file)
        return self


class CollectorSettings(_Section):
    """BLE collector: which band, how it spools while MQTT is down, how it retries."""

    band_id: str | None = None
    device: str | None = None  # BLE name or address to connect to; None = first band found
    device_kind: Literal["band", "tindeq"] = "band"
    transport: str | None = None  # Bumble HCI transport spec (e.g. tcp-client:HOST:PORT)
    sample_rate_hz: int = Field(default=200, ge=20, le=1000)
    spool_dir: Path = Field(default_factory=lambda: _default_state_dir() / "spool")
    spool_max_bytes: int = Field(default=1 << 30, ge=1 << 20)
    liveness_intervals: int = Field(default=10, ge=2)
    backoff_initial_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)

    @field_validator("band_id")
    @classmethod
    def _check_band_id(cls, value: str | None) -> str | None:
        return None if value is None else validate_band_id(value)

    @model_validator(mode="after")
    def _backoff_order(self) -> CollectorSettings:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be >= backoff_initial_s")
        return self


class PrescriptionSettings(_Section):
    """What a physio prescribed, e.g. 10 reps, 3 s up, 2 s pause at the top, 3 s down.

    Maps onto ``analysis.prescription.Prescription`` (reps, pause_s); the tempo fields are
    for reports and the live view.
    """

    reps: int | None = Field(default=None, ge=1)
    pause_s: float | None = Field(default=None, gt=0)
    concentric_s: float | None = Field(default=None, gt=0)
    eccentric_s: float | None = Field(default=None, gt=0)
    rest_s: float | None = Field(default=None, gt=0)
    # A rep meets the pause when its measured pause >= pause_s - pause_tolerance_s.
    pause_tolerance_s: float = Field(default=0.0, ge=0)
    # Side of each set in session order, repeated: ["left", "right"] alternates from
    # the left; ["left", "left", "left", "right", "right", "right"] is 3 sets a side.
    sides: list[Literal["left", "right"]] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _says_something(self) -> PrescriptionSettings:
        if self.reps is None and self.pause_s is None and self.sides is None:
            raise ValueError("give at least reps, pause_s or sides")
        return self


class AnalysisSettings(_Section):
    prescription: PrescriptionSettings | None = None


class SimSettings(_Section):
    """Defaults for `bandsense sim ...`."""

    scenario: str = "full_session"
    rate_hz: int = Field(default=200, ge=20, le=1000)
    seed: int | None = None
    band_id: str = "sim-band-1"

    @field_validator("band_id")
    @classmethod
    def _check_band_id(cls, value: str) -> str:
        return validate_band_id(value)


# The parsed TOML file of the load_settings() call in progress (lowest-priority source).
_TOML_DATA: ContextVar[dict[str, Any] | None] = ContextVar("bandsense_toml_data", default=None)


class Settings(BaseSettings):
    """All of bandsense's settings. Build with ``load_settings()``, not directly."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        case_sensitive=False,
        extra="forbid",
        validate_default=True,
    )

    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    influx: InfluxSettings = Field(default_factory=InfluxSettings)
    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    sim: SimSettings = Field(default_factory=SimSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No .env or secrets-dir sources: one file, the environment and flags, nothing
        # that silently appears from the working directory.
        toml = InitSettingsSource(settings_cls, init_kwargs=_TOML_DATA.get() or {})
        return (init_settings, env_settings, toml)


def resolve_config_path(config_path: Path | None = None) -> Path | None:
    """The TOML file to read: explicit path, else $BANDSENSE_CONFIG, else ./bandsense.toml."""
    if config_path is not None:
        return Path(config_path)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default if default.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise UserError(f"config file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise UserError(f"cannot read config file {str(path)!r}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        # The message already names line and column.
        raise UserError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def _nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"mqtt.url": x}`` or ``{"mqtt": {"url": x}}`` -> nested dict; ``None`` = not given."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, Mapping):
            node[leaf] = {**node.get(leaf, {}), **_nest(value)}
        else:
            node[leaf] = value
    return out


def _lookup(data: Mapping[str, Any], loc: tuple[str, ...]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, Mapping):
            return False
        matches = [k for k in node if str(k).lower() == part.lower()]
        if not matches:
            return False
        node = node[matches[0]]
    return True


def _origin(loc: tuple[str, ...], flags: Mapping[str, Any], toml_path: Path | None) -> str:
    for n in range(len(loc), 0, -1):
        head = loc[:n]
        if _lookup(flags, head):
            return "from a flag"
        env_name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(head).upper()
        if any(k.upper() == env_name for k in os.environ):
            return f"from ${env_name}"
        if toml_path is not None and _lookup(_TOML_DATA.get() or {}, head):
            return f"in {toml_path}"
    return "default"


def _describe(exc: ValidationError, flags: Mapping[str, Any], toml_path: Path | None) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(str(p) for p in first["loc"])
    key = ".".join(loc) or "settings"
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown setting"
    shown = ""
    # Never echo secrets, and don't repeat whole sections.
    if not (set(loc) & _SECRET_KEYS) and not isinstance(first.get("input"), dict | list):
        shown = f" (got {first.get('input')!r})"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    text = f"invalid setting {key} {_origin(loc, flags, toml_path)}: {msg}{shown}{more}"
    return " ".join(text.split())  # one line, whatever pydantic put in the message


def load_settings(
    config_path: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build the settings from flags > environment > TOML file > defaults.

    ``overrides`` are the command's flags, nested (``{"mqtt": {"url": ...}}``) or dotted
    (``{"mqtt.url": ...}``); ``None`` values mean "flag not given" and are ignored.
    Raises ``UserError`` (one line) for an unreadable file or an invalid value.
    """
    path = resolve_config_path(config_path)
    data = _read_toml(path) if path is not None else {}
    flags = _nest(overrides or {})
    token = _TOML_DATA.set(data)
    try:
        return Settings(**flags)
    except ValidationError as exc:
        raise UserError(_describe(exc, flags, path)) from None
    finally:
        _TOML_DATA.reset(token)


def settings_from_context(
    ctx: typer.Context, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """``load_settings`` for a subcommand: the ``--config`` path comes from the root callback."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    config_path = obj.get("config_path")
    return load_settings(config_path, overrides)
