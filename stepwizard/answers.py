"""The operator's answers: one validated model drives the UI, the plan and the steps."""

from __future__ import annotations

import ipaddress
import json
import re
import tomllib
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from stepwizard.durations import DurationError, check_duration_order, normalize_duration
from stepwizard.i18n import _

SMALLSTEP_REPOSITORY_URL = "https://packages.smallstep.com/stable/debian"
SMALLSTEP_KEY_URL = "https://packages.smallstep.com/keys/apt/repo-signing-key.gpg"

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PROVISIONER_NAME = re.compile(r"^[^\s/\\?#%]{1,128}$")
_FINGERPRINT = re.compile(r"^[0-9A-F]{40}$")
# The CA name goes into certificate subjects, where an organisation name may have 64.
MAX_CA_NAME = 64
# Printable ASCII without spaces or quotes: what a systemd unit line and apt accept unquoted.
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/@+-]*$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!#-~]*)?$")
# Folders the system owns: a CA here would be handed to the service user with all it holds.
_SYSTEM_FOLDERS = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt",
    "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    "/usr/local", "/usr/lib", "/usr/share", "/var/lib", "/var/log", "/var/tmp", "/var/cache",
    "/etc/ssl", "/etc/systemd", "/etc/apt", "/etc/ssh",
})


def is_dns_name(value: str) -> bool:
    """Tell whether ``value`` is an RFC 1123 host name (a leading ``*.`` is not allowed)."""
    if not value or len(value) > 253 or value == ".":
        return False
    labels = value.rstrip(".").split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def is_ip_address(value: str) -> bool:
    """Tell whether ``value`` is an IPv4 or IPv6 address without a zone (``%eth0``) suffix."""
    if "%" in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def split_address(value: str) -> tuple[str, int]:
    """Split a Go listen address (``:443``, ``127.0.0.1:443``, ``[::1]:443``) into host and port."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not (port_text.isascii() and port_text.isdigit()):
        raise ValueError(
            _("bind address {value!r} has no port; write it as host:port, for example :443 or "
              "127.0.0.1:8443").format(value=value)
        )
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError(
            _("bind address {value!r} has port {port}, outside 1-65535; choose a port such as "
              "443").format(value=value, port=port)
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if ":" not in host or not is_ip_address(host):
            raise ValueError(
                _("bind address {value!r}: {host!r} is not an IPv6 address").format(
                    value=value, host=host)
            )
    elif host and not is_ip_address(host) and not is_dns_name(host):
        raise ValueError(
            _("bind address {value!r}: {host!r} is neither an IP address nor a host name; "
              "leave the host empty (:443) to listen on every address").format(
                value=value, host=host)
        )
    elif ":" in host:
        raise ValueError(
            _("bind address {value!r}: put an IPv6 address in brackets, for example "
              "[::1]:443").format(value=value)
        )
    return host, port


def normalize_fingerprint(value: str) -> str:
    """Return an OpenPGP v4 fingerprint as 40 uppercase hex digits without spaces."""
    compact = re.sub(r"[\s:]", "", value).upper()
    if not _FINGERPRINT.match(compact):
        raise ValueError(
            _("repository key fingerprint {value!r} is not 40 hexadecimal digits; copy it from "
              "'gpg --show-keys' output").format(value=value)
        )
    return compact


class Answers(BaseModel):
    """Everything the wizard needs to set up the CA; contains no password."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    ca_name: str = Field(
        description="Name of the PKI, written into the root and intermediate certificates.",
    )
    dns_names: list[str] = Field(
        description="DNS names and IP addresses clients use to reach the CA; the first one "
        "forms the CA URL.",
    )
    address: str = Field(
        default=":443",
        description="Address and port step-ca listens on, as host:port; ':443' listens on "
        "every address.",
    )
    admin_provisioner: str = Field(
        default="admin",
        description="Name of the first (JWK) provisioner, used to authenticate admin requests.",
    )
    acme_provisioner: str = Field(
        default="acme", description="Name of the ACME provisioner clients order certificates from."
    )
    admin_subject: str = Field(
        default="step", description="Subject of the super admin created with remote management."
    )
    remote_management: StrictBool = Field(
        default=True,
        description="Keep provisioners and admins in the CA's database, managed through its "
        "admin API.",
    )
    acme_min_duration: str = Field(
        default="5m", description="Shortest certificate lifetime an ACME client may request."
    )
    acme_default_duration: str = Field(
        default="672h", description="Lifetime of ACME certificates when the client asks none."
    )
    # Validated even when left out, because its validator checks min <= default <= max.
    acme_max_duration: str = Field(
        default="8760h", validate_default=True,
        description="Longest certificate lifetime an ACME client may request.",
    )
    steppath: PurePosixPath = Field(
        default=PurePosixPath("/etc/step-ca"),
        description="STEPPATH: the CA's configuration folder and the service user's home.",
    )
    service_user: str = Field(
        default="step", description="System user and group the CA runs as."
    )
    repository_url: str = Field(
        default=SMALLSTEP_REPOSITORY_URL, description="URI of smallstep's apt repository."
    )
    repository_key_url: str = Field(
        default=SMALLSTEP_KEY_URL, description="URL of the repository's OpenPGP signing key."
    )
    repository_key_fingerprint: str | None = Field(
        default=None,
        description="Expected OpenPGP fingerprint of the signing key; a mismatch stops the "
        "setup.",
    )
    trust_on_first_use: StrictBool = Field(
        default=False,
        description="Headless mode only: accept the signing key without an expected "
        "fingerprint (the fingerprint is logged).",
    )
    password_file: PurePosixPath | None = Field(
        default=None,
        description="File containing the password of the CA keys; generated when absent.",
    )
    provisioner_password_file: PurePosixPath | None = Field(
        default=None,
        description="File containing the admin provisioner's password; generated when absent.",
    )
    reinitialize: StrictBool = Field(
        default=False,
        description="Headless mode only: confirm that an existing PKI in STEPPATH is replaced "
        "(the old one is moved to a backup folder).",
    )

    @field_validator("ca_name")
    @classmethod
    def _check_ca_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("the CA name is empty: type the name written into the "
                               "certificates, for example 'Home CA'"))
        # Categories C* (controls, format marks such as bidi overrides) and Z[lp] (line breaks).
        if any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in
                            ("Zl", "Zp") for c in value):
            raise ValueError(_("the CA name must be printable text without control or "
                               "formatting characters, for example 'Home CA'"))
        if len(value) > MAX_CA_NAME:
            raise ValueError(_("the CA name has {count} characters; shorten it to {maximum} "
                               "or fewer").format(count=len(value), maximum=MAX_CA_NAME))
        return value

    @field_validator("dns_names", mode="before")
    @classmethod
    def _split_dns_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("dns_names")
    @classmethod
    def _check_dns_names(cls, value: list[str]) -> list[str]:
        cleaned: list[str] = []
        for name in value:
            name = name.strip().lower()
            if not (is_ip_address(name) or is_dns_name(name)):
                raise ValueError(
                    _("{name!r} is neither a host name (RFC 1123: letters, digits and hyphens "
                      "in dot-separated labels; write internationalised names in their xn-- "
                      "form) nor an IP address without a zone suffix").format(name=name)
                )
            if name not in cleaned:
                cleaned.append(name)
        if not cleaned:
            raise ValueError(_("give at least one DNS name or IP address clients will use, for "
                               "example ca.home.arpa"))
        return cleaned

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        split_address(value.strip())
        return value.strip()

    @field_validator("admin_provisioner", "acme_provisioner", "admin_subject")
    @classmethod
    def _check_provisioner_name(cls, value: str) -> str:
        value = value.strip()
        if not _PROVISIONER_NAME.match(value):
            raise ValueError(
                _("{value!r} is not a usable name: use 1 to 128 characters without spaces, "
                  "slashes, '?', '#' or '%'").format(value=value)
            )
        return value

    @field_validator("acme_provisioner")
    @classmethod
    def _check_names_differ(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("admin_provisioner"):
            raise ValueError(
                _("the ACME provisioner and the admin provisioner are both named {name!r}; "
                  "give them different names, for example 'acme' and 'admin'").format(
                    name=value)
            )
        return value

    @field_validator("acme_min_duration", "acme_default_duration", "acme_max_duration")
    @classmethod
    def _check_duration(cls, value: str, info: ValidationInfo) -> str:
        try:
            value = normalize_duration(value)
        except DurationError as error:
            raise ValueError(str(error)) from None
        if info.field_name == "acme_max_duration":
            minimum = info.data.get("acme_min_duration")
            default = info.data.get("acme_default_duration")
            if minimum is not None and default is not None:
                try:
                    check_duration_order(minimum, default, value)
                except DurationError as error:
                    raise ValueError(
                        _("{error} (acme_min_duration {minimum}, acme_default_duration "
                          "{default}, acme_max_duration {maximum})").format(
                            error=error, minimum=minimum, default=default, maximum=value)
                    ) from None
        return value

    @field_validator("steppath")
    @classmethod
    def _check_steppath(cls, value: PurePosixPath) -> PurePosixPath:
        text = re.sub("/+", "/", str(value)).rstrip("/") or "/"
        if not value.is_absolute() or ".." in value.parts or not _SAFE_PATH.fullmatch(text):
            raise ValueError(
                _("STEPPATH {value!r} must be an absolute folder made of letters, digits and "
                  "._/@+- only, without '..', for example /etc/step-ca").format(
                    value=str(value))
            )
        if text in _SYSTEM_FOLDERS:
            raise ValueError(
                _("STEPPATH {value!r} is a system folder: the service user would own all of "
                  "it. Use a folder of its own, for example /etc/step-ca").format(
                    value=str(value))
            )
        return PurePosixPath(text)

    @field_validator("password_file", "provisioner_password_file")
    @classmethod
    def _check_password_path(cls, value: PurePosixPath | None) -> PurePosixPath | None:
        if value is not None and (not value.is_absolute() or ".." in value.parts):
            raise ValueError(
                _("password file {value!r} must be an absolute path").format(value=str(value))
            )
        return value

    @field_validator("service_user")
    @classmethod
    def _check_service_user(cls, value: str) -> str:
        if not _UNIX_NAME.match(value) or value == "root":
            raise ValueError(
                _("{value!r} is not a valid system user name: use lowercase letters, digits, "
                  "'_' or '-', starting with a letter, and not root").format(value=value)
            )
        return value

    @field_validator("repository_url", "repository_key_url")
    @classmethod
    def _check_url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        # apt checks the repository's signature, so a plain-HTTP mirror or cache such as
        # apt-cacher-ng is safe. The key is what that check trusts, so it needs HTTPS.
        if info.field_name == "repository_url" and value.startswith("http://"):
            value = "https://" + value.removeprefix("http://")
            plain = True
        else:
            plain = False
        if re.match(r"^https://[^/]*@", value):
            raise ValueError(
                _("{value!r} contains a user name or password; put repository credentials in "
                  "/etc/apt/auth.conf.d/ instead of the URL").format(value=value)
            )
        if not value.startswith("https://") or not _URL.fullmatch(value):
            raise ValueError(
                _("{value!r} is not an https:// URL of printable ASCII characters; the signing "
                  "key must come over HTTPS, for example {example}").format(
                    value=value, example=SMALLSTEP_KEY_URL)
                if info.field_name == "repository_key_url" else
                _("{value!r} is not an http:// or https:// URL of printable ASCII characters, "
                  "for example {example}").format(value=value, example=SMALLSTEP_REPOSITORY_URL)
            )
        if plain:
            value = "http://" + value.removeprefix("https://")
        return value.rstrip("/") if value.count("/") > 2 else value

    @field_validator("repository_key_fingerprint")
    @classmethod
    def _check_fingerprint(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return normalize_fingerprint(value)

    # Derived values: one place computes them so plans, steps and screens agree.

    @property
    def port(self) -> int:
        """The TCP port the CA listens on."""
        return split_address(self.address)[1]

    @property
    def ca_url(self) -> str:
        """The URL clients use, as ``step ca init`` writes it into defaults.json."""
        host = self.dns_names[0]
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}" if self.port == 443 else f"https://{host}:{self.port}"

    @property
    def acme_directory_url(self) -> str:
        """The ACME directory URL of the ACME provisioner."""
        return f"{self.ca_url}/acme/{self.acme_provisioner}/directory"

    @property
    def ca_password_path(self) -> PurePosixPath:
        """Where the CA key password lives for the service (0600, service user)."""
        return self.steppath / "secrets" / "password.txt"

    @property
    def provisioner_password_path(self) -> PurePosixPath:
        """Where the admin provisioner's password lives (0600, service user)."""
        return self.steppath / "secrets" / "provisioner-password.txt"

    @property
    def ca_json_path(self) -> PurePosixPath:
        """The CA configuration written by ``step ca init``."""
        return self.steppath / "config" / "ca.json"

    @property
    def root_cert_path(self) -> PurePosixPath:
        """The root certificate written by ``step ca init``."""
        return self.steppath / "certs" / "root_ca.crt"


def format_validation_error(error: ValidationError) -> list[str]:
    """Turn a pydantic error into one line per problem naming the field, the value and the fix."""
    lines: list[str] = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or _("answers")
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = _("missing: add it to the answers file")
        elif item["type"] == "extra_forbidden":
            message = _("unknown field: check its spelling against the JSON Schema")
        value = item.get("input")
        if isinstance(value, dict | list) or item["type"] == "missing":
            lines.append(f"{field}: {message}")
        else:
            lines.append(
                _("{field}: {message} (value: {value!r})").format(
                    field=field, message=message, value=value)
            )
    return lines


class AnswersError(ValueError):
    """An answers file could not be read or is invalid; ``lines`` name each problem."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        super().__init__("\n".join([_("invalid answers file {path}:").format(path=path), *lines]))


def read_answers_data(path: Path) -> dict[str, Any]:
    """Read an answers file (TOML or JSON) without validating its values.

    Raise AnswersError when the file cannot be read or parsed, or holds no table.
    """
    if path.suffix not in (".toml", ".json"):
        raise AnswersError(path, [_("unknown file type {suffix!r}: name the answers file "
                                    "*.toml or *.json").format(suffix=path.suffix)])
    try:
        raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    except IsADirectoryError as error:
        raise AnswersError(path, [_("it is a folder, not a file")]) from error
    except OSError as error:
        raise AnswersError(path, [_("cannot read it: {error}").format(error=error.strerror)]) \
            from error
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise AnswersError(path, [_("not valid TOML or JSON: {error}").format(error=error)]) \
            from error
    if not isinstance(data, dict):
        raise AnswersError(path, [_("it must hold a table of answers, not {kind}").format(
            kind=type(data).__name__)])
    return data


def load_answers(path: Path) -> Answers:
    """Read an answers file (TOML or JSON) and validate it; raise AnswersError on any problem."""
    data = read_answers_data(path)
    try:
        return Answers.model_validate(data)
    except ValidationError as error:
        raise AnswersError(path, format_validation_error(error)) from error


def answers_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of the answers file, generated from the model."""
    schema = Answers.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "stepwizard answers"
    return schema
