"""HTTPS requests to the local CA, verified against its own root certificate."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HttpAnswer:
    """Status and body of one HTTPS response."""

    status: int
    body: str


def https_get(url: str, *, cafile: str, connect_host: str | None = None,
              timeout: float = 15.0) -> HttpAnswer:
    """GET ``url`` trusting only ``cafile``; connect to ``connect_host`` when given.

    Connecting to another address while verifying the URL's host name lets the wizard check
    the CA before its DNS name resolves on this host. Raise OSError or ssl.SSLError on failure.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    context = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection((connect_host or host, port), timeout=timeout)
    try:
        wrapped = context.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise
    connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    connection.sock = wrapped
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request("GET", path, headers={"Host": parts.netloc})
        response = connection.getresponse()
        return HttpAnswer(response.status, response.read(65536).decode("utf-8", "replace"))
    finally:
        connection.close()
