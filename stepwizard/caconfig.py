"""A typed model of step-ca's ``ca.json``, the hardening overlay, and safe rewrites of the file.

Only the keys the wizard reads or changes are modelled. Every other key, at any depth, is
kept as an extra and written back with its value and in its original position, so a load
and dump round trip changes no value, and no default is ever added.
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictFloat,
    StrictStr,
    ValidationError,
    model_serializer,
    model_validator,
)

from stepwizard import safefs
from stepwizard.durations import check_duration_order, format_go_duration, parse_human_duration
from stepwizard.i18n import _

logger = logging.getLogger(__name__)

# The ECDHE suites with AEAD ciphers, spelled as step-ca's authority/config/tls_options.go
# accepts them. They only apply to TLS 1.2, because Go does not let TLS 1.3 suites be chosen.
HARDENED_CIPHER_SUITES: tuple[str, ...] = (
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
)
HARDENED_TLS_MIN_VERSION = 1.2
HARDENED_TLS_MAX_VERSION = 1.3

# smallstep's nosql package compares the driver name in lower case; badger means Badger v1.
BADGER_DB_TYPES = frozenset({"badger", "badgerv1", "badgerv2"})
# FileIO makes Badger read its tables with plain file reads instead of memory-mapping them,
# which uses less memory. step-ca accepts FileIO or MMap, in any letter case.
BADGER_FILE_LOADING_MODE = "FileIO"

# step ca init writes ca.json with json.MarshalIndent and a tab (smallstep/certificates,
# pki/pki.go), so the same indent keeps the diff of a rewrite small.
DEFAULT_INDENT = "\t"

BACKUP_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class CaConfigError(ValueError):
    """ca.json that is not valid JSON or does not match the expected types."""


class ProvisionerNotFoundError(LookupError):
    """No provisioner with the requested name in ``authority.provisioners``."""


class _ConfigBlock(BaseModel):
    """Base of every ca.json block: keeps unknown keys and the keys' order from the input."""

    model_config = ConfigDict(extra="allow")

    _key_order: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_key_order(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        block = handler(data)
        if isinstance(data, dict):
            block._key_order = list(data)
        return block

    @model_serializer(mode="wrap")
    def _dump_in_input_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # pydantic writes declared fields before extras. Restoring the input's key order
        # keeps the diff of a rewrite down to the values that changed.
        dumped: dict[str, Any] = handler(self)
        ordered = {key: dumped[key] for key in self._key_order if key in dumped}
        ordered.update((key, value) for key, value in dumped.items() if key not in ordered)
        return ordered


class Claims(_ConfigBlock):
    """Certificate lifetime limits of a provisioner or of the whole authority.

    step-ca reads each duration only as a Go duration string, such as ``24h``.
    """

    min_tls_cert_duration: StrictStr | None = Field(default=None, alias="minTLSCertDuration")
    default_tls_cert_duration: StrictStr | None = Field(
        default=None, alias="defaultTLSCertDuration"
    )
    max_tls_cert_duration: StrictStr | None = Field(default=None, alias="maxTLSCertDuration")


class Provisioner(_ConfigBlock):
    """One entry of ``authority.provisioners``; keys, templates and options stay extras."""

    type: StrictStr
    name: StrictStr
    claims: Claims | None = None


class Authority(_ConfigBlock):
    """The ``authority`` block: remote management switch, provisioners and global claims."""

    enable_admin: StrictBool | None = Field(default=None, alias="enableAdmin")
    provisioners: list[Provisioner] | None = None
    claims: Claims | None = None


class Database(_ConfigBlock):
    """The ``db`` block; step-ca refuses a change to it on SIGHUP and needs a restart."""

    type: StrictStr | None = None
    data_source: StrictStr | None = Field(default=None, alias="dataSource")
    badger_file_loading_mode: StrictStr | None = Field(default=None, alias="badgerFileLoadingMode")


class Logger(_ConfigBlock):
    """The ``logger`` block; ``format`` is ``text`` or ``json``."""

    format: StrictStr | None = None


class TlsOptions(_ConfigBlock):
    """The ``tls`` block of the CA's HTTPS server; versions are numbers such as 1.2."""

    cipher_suites: list[StrictStr] | None = Field(default=None, alias="cipherSuites")
    min_version: StrictFloat | None = Field(default=None, alias="minVersion")
    max_version: StrictFloat | None = Field(default=None, alias="maxVersion")
    renegotiation: StrictBool | None = None


class CaConfig(_ConfigBlock):
    """The whole ``ca.json``; ``root`` is a path or a list of paths, as step-ca accepts."""

    root: StrictStr | list[StrictStr] | None = None
    crt: StrictStr | None = None
    key: StrictStr | None = None
    address: StrictStr | None = None
    dns_names: list[StrictStr] | None = Field(default=None, alias="dnsNames")
    logger: Logger | None = None
    db: Database | None = None
    authority: Authority | None = None
    tls: TlsOptions | None = None


def parse_ca_config(text: str, source: str | Path = "ca.json") -> CaConfig:
    """Parse the text of a ca.json into a CaConfig.

    Raises CaConfigError naming ``source``. For a JSON syntax error the message gives the
    line, column and character position, and for a type error the key path of each value.
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float,
                          object_pairs_hook=_reject_duplicate_keys)
        # A lone surrogate such as "\ud800" parses but cannot be written back as UTF-8.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except _StrictJsonError as error:
        raise CaConfigError(_("{path}: {reason}. Fix the file or restore a backup of it.")
                            .format(path=source, reason=error)) from error
    except json.JSONDecodeError as error:
        raise CaConfigError(
            _(
                "{path} is not valid JSON: {reason} at line {line}, column {column} "
                "(character {position}). Fix the file or restore a backup of it."
            ).format(
                path=source,
                reason=error.msg,
                line=error.lineno,
                column=error.colno,
                position=error.pos,
            )
        ) from error
    except (RecursionError, UnicodeEncodeError, ValueError) as error:
        # ValueError: an integer longer than Python's digit limit for conversions.
        raise CaConfigError(_("{path} cannot be read safely ({reason}). Fix the file or "
                              "restore a backup of it.").format(
                                  path=source, reason=type(error).__name__)) from error

    if not isinstance(data, dict):
        raise CaConfigError(
            _("{path} must contain a JSON object, not {kind}.").format(
                path=source, kind=type(data).__name__
            )
        )

    try:
        return CaConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{_format_location(problem['loc'])}: {problem['msg']}" for problem in error.errors()
        )
        raise CaConfigError(
            _("{path} has invalid values: {problems}.").format(path=source, problems=problems)
        ) from error


class _StrictJsonError(ValueError):
    """ca.json uses a JSON extension step-ca would not read the same way."""


def _reject_constant(name: str) -> float:
    """Refuse NaN and Infinity, which Go's JSON decoder rejects."""
    raise _StrictJsonError(_("it contains {name}, which is not JSON").format(name=name))


def _parse_float(text: str) -> float:
    """Parse a JSON number, refusing one too large for a float (Go rejects it too)."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _StrictJsonError(_("the number {text} is too large").format(text=text[:40]))
    return value


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse an object with a repeated key: rewriting it would silently drop one value."""
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            raise _StrictJsonError(_("the key {key!r} appears twice in one object").format(
                key=key))
        seen.add(key)
    return dict(pairs)


def load_ca_config(path: str | Path) -> CaConfig:
    """Read and parse a ca.json file.

    Raises CaConfigError as parse_ca_config does, and OSError when the file cannot be read.
    """
    path = Path(path)
    try:
        text = safefs.read_text(path)
    except UnicodeDecodeError as error:
        raise CaConfigError(_("{path} is not UTF-8 text. Fix the file or restore a backup of "
                              "it.").format(path=path)) from error
    return parse_ca_config(text, source=path)


def ca_config_to_dict(config: CaConfig) -> dict[str, Any]:
    """Return the configuration as plain JSON data, with only the keys that were set."""
    dumped: dict[str, Any] = config.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def dumps_ca_config(config: CaConfig, *, indent: str = DEFAULT_INDENT) -> str:
    """Serialize the configuration as ca.json text: indented JSON ending with a newline.

    Keys keep their input order, non-ASCII text is written as is, and no default value
    is added.
    """
    return json.dumps(ca_config_to_dict(config), indent=indent, ensure_ascii=False) + "\n"


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Return a new dict with ``overlay`` merged into ``base``; neither input is changed.

    Where both sides hold a dict the merge recurses. Any other overlay value, a list
    included, replaces the base value. Keys already in ``base`` keep their position.
    """
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def is_badger_database(config: CaConfig) -> bool:
    """Return whether ``db.type`` names one of step-ca's Badger drivers."""
    if config.db is None or config.db.type is None:
        return False
    return config.db.type.lower() in BADGER_DB_TYPES


def hardening_overlay(config: CaConfig, *, enable_admin: bool) -> dict[str, Any]:
    """Return the keys that harden() merges into ``config``, as JSON data.

    The only list in the overlay is ``tls.cipherSuites``, so a merge never replaces
    ``authority.provisioners`` or any other list. ``db`` appears only for a Badger
    database, and then only with ``badgerFileLoadingMode``.
    """
    overlay: dict[str, Any] = {
        "logger": {"format": "text"},
        "authority": {"enableAdmin": enable_admin},
        "tls": {
            "cipherSuites": list(HARDENED_CIPHER_SUITES),
            "minVersion": HARDENED_TLS_MIN_VERSION,
            "maxVersion": HARDENED_TLS_MAX_VERSION,
            "renegotiation": False,
        },
    }
    if is_badger_database(config):
        overlay["db"] = {"badgerFileLoadingMode": BADGER_FILE_LOADING_MODE}
    return overlay


def harden(config: CaConfig, *, enable_admin: bool) -> CaConfig:
    """Return a copy of ``config`` with the hardening overlay merged in.

    Sets the text logger, ``authority.enableAdmin`` to ``enable_admin``, the TLS 1.2 and
    1.3 limits with ECDHE AEAD suites and no renegotiation, and FileIO loading for a
    Badger database. The db type and data source, the provisioners and every other key
    stay as they were. Applying it twice gives the same result as once.
    """
    data = ca_config_to_dict(config)
    return CaConfig.model_validate(
        deep_merge(data, hardening_overlay(config, enable_admin=enable_admin))
    )


def find_provisioner(config: CaConfig, name: str) -> Provisioner | None:
    """Return the first provisioner in ``authority.provisioners`` named ``name``, or None."""
    if config.authority is None or config.authority.provisioners is None:
        return None
    for provisioner in config.authority.provisioners:
        if provisioner.name == name:
            return provisioner
    return None


def set_provisioner_claims(
    config: CaConfig,
    name: str,
    minimum: timedelta | str,
    default: timedelta | str,
    maximum: timedelta | str,
) -> CaConfig:
    """Return a copy of ``config`` with the TLS certificate durations of one provisioner set.

    Durations may be timedeltas or strings that parse_human_duration accepts, and are
    written in canonical Go form (``28d`` becomes ``672h``). Other claims of the
    provisioner are kept. Raises DurationError unless 0 < minimum <= default <= maximum,
    and ProvisionerNotFoundError when ``ca.json`` lists no provisioner named ``name``.
    """
    # NOTE: with authority.enableAdmin true, step-ca reads provisioners from its database.
    # It copies them from ca.json only into an empty database, so after the first start
    # this edit has no effect and the claims must change through the admin API.
    check_duration_order(minimum, default, maximum)
    claims = {
        "minTLSCertDuration": _to_go_duration(minimum),
        "defaultTLSCertDuration": _to_go_duration(default),
        "maxTLSCertDuration": _to_go_duration(maximum),
    }

    data = ca_config_to_dict(config)
    provisioners = data.get("authority", {}).get("provisioners") or []
    for provisioner in provisioners:
        if provisioner.get("name") == name:
            provisioner["claims"] = {**(provisioner.get("claims") or {}), **claims}
            return CaConfig.model_validate(data)

    available = ", ".join(str(provisioner.get("name")) for provisioner in provisioners)
    raise ProvisionerNotFoundError(
        _(
            "ca.json has no provisioner named {name!r} (provisioners: {available}). "
            "Check the name, or add the provisioner first."
        ).format(name=name, available=available or _("none"))
    )


def unified_diff(old_text: str, new_text: str, path: str | Path) -> str:
    """Return a unified diff from ``old_text`` to ``new_text``, labelled with ``path``.

    A last line without a newline is marked ``\\ No newline at end of file``, as diff(1)
    does. Equal texts give an empty string.
    """
    lines = difflib.unified_diff(
        _split_lines(old_text),
        _split_lines(new_text),
        fromfile=f"{path} (current)",
        tofile=f"{path} (new)",
    )
    marked = (
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return "".join(marked)


def write_atomically(
    path: str | Path, text: str, *, backup: bool = True, new_file_mode: int = 0o644
) -> Path | None:
    """Replace the file at ``path`` with ``text`` so that readers see the old or new file whole.

    When the file exists and ``backup`` is true, it is first copied to
    ``<name>.bak-YYYYmmddTHHMMSSZ`` (UTC) in the same directory with the same owner, group
    and mode. A second backup within the same second gets a ``-2`` suffix, and so on. The new
    text gets the original owner, group and mode (``new_file_mode`` for a new file) and
    replaces ``path`` in one rename. No symbolic link is followed, because the folder belongs
    to the service user: a link at ``path`` or among its folders raises StepError.

    Returns the backup path, or None when no backup was made. Raises OSError when a step
    fails; ``path`` is then unchanged.
    """
    target = Path(path)
    original = safefs.lstat_or_none(target)
    if original is not None and not stat.S_ISREG(original.st_mode):
        raise CaConfigError(
            _("{path} is not a regular file (a symbolic link?): put the real ca.json "
              "there.").format(path=target)
        )

    backup_path = None
    if original is not None and backup:
        backup_path = _backup_name(target)
        safefs.replace_file(backup_path, safefs.read_bytes(target), uid=original.st_uid,
                            gid=original.st_gid, mode=stat.S_IMODE(original.st_mode))

    if original is None:
        owner = (os.getuid(), os.getgid(), new_file_mode)
    else:
        owner = (original.st_uid, original.st_gid, stat.S_IMODE(original.st_mode))
    safefs.replace_file(target, text.encode("utf-8"), uid=owner[0], gid=owner[1],
                        mode=owner[2])
    logger.info("Wrote %s (backup: %s)", target, backup_path or "none")
    return backup_path


def _backup_name(target: Path) -> Path:
    """Return a timestamped backup path next to ``target`` that does not exist yet."""
    stamp = datetime.now(UTC).strftime(BACKUP_TIMESTAMP_FORMAT)
    backup_path = target.with_name(f"{target.name}.bak-{stamp}")
    counter = 2
    while safefs.lstat_or_none(backup_path) is not None:
        backup_path = target.with_name(f"{target.name}.bak-{stamp}-{counter}")
        counter += 1
    return backup_path


def _to_go_duration(value: timedelta | str) -> str:
    if isinstance(value, str):
        value = parse_human_duration(value)
    return format_go_duration(value)


def _split_lines(text: str) -> list[str]:
    """Split text after each newline only; str.splitlines also splits at U+2028 and others."""
    *complete, last = text.split("\n")
    lines = [line + "\n" for line in complete]
    if last:
        lines.append(last)
    return lines


def _format_location(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or _("(top level)")


