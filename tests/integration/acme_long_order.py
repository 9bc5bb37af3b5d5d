"""Order a certificate with a chosen notAfter over ACME and print the CA's response.

certbot cannot set notAfter, so this helper builds the newOrder request itself with
python3-acme (Debian's package, the library certbot uses). It runs under /usr/bin/python3
because the project's virtual environment does not contain python3-acme.

Usage: python3 acme_long_order.py DIRECTORY_URL ROOT_PEM IDENTIFIER NOT_AFTER_SECONDS

NOT_AFTER_SECONDS is counted from now. The helper answers http-01 on 127.0.0.1:80 and
prints one JSON object: ``stage`` is where the exchange stopped (``new-order`` when the
CA rejected the order, ``finalize`` when it rejected the certificate request, ``issued``
when it issued a certificate), ``error`` the CA's problem document as text, and
``certificate`` the issued PEM chain when there is one.
"""

from __future__ import annotations

import datetime
import json
import sys
import threading
from typing import Any

import josepy as jose
from acme import challenges, client, crypto_util, errors, fields, messages, standalone
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HTTP01_ADDRESS = ("127.0.0.1", 80)


class NewOrderWithValidity(messages.NewOrder):
    """newOrder with the optional notAfter field of RFC 8555, section 7.4."""

    not_after: datetime.datetime = fields.rfc3339("notAfter", omitempty=True)


def main(directory_url: str, root_pem: str, identifier: str,
         not_after_seconds: int) -> dict[str, Any]:
    """Run the exchange and return the result object described in the module docstring."""
    account_key = jose.JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    network = client.ClientNetwork(account_key, user_agent="stepwizard-integration-test",
                                   verify_ssl=root_pem)
    directory = client.ClientV2.get_directory(directory_url, network)
    acme = client.ClientV2(directory, network)
    acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))

    not_after = (datetime.datetime.now(datetime.UTC)
                 + datetime.timedelta(seconds=not_after_seconds)).replace(microsecond=0)
    order = NewOrderWithValidity(
        identifiers=[messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=identifier)],
        not_after=not_after)
    try:
        response = acme._post(directory["newOrder"], order)
    except errors.Error as error:
        return {"stage": "new-order", "error": str(error)}
    body = messages.Order.from_json(response.json())
    authorizations = [acme._authzr_from_response(acme._post_as_get(url), uri=url)
                      for url in body.authorizations]

    certificate_key = ec.generate_private_key(ec.SECP256R1())
    key_pem = certificate_key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    csr_pem = crypto_util.make_csr(key_pem, [identifier])
    order_resource = messages.OrderResource(body=body, uri=response.headers.get("Location"),
                                            authorizations=authorizations, csr_pem=csr_pem)

    resources = set()
    http01 = []
    for authorization in authorizations:
        for challenge_body in authorization.body.challenges:
            if isinstance(challenge_body.chall, challenges.HTTP01):
                answer, validation = challenge_body.response_and_validation(account_key)
                resources.add(standalone.HTTP01RequestHandler.HTTP01Resource(
                    chall=challenge_body.chall, response=answer, validation=validation))
                http01.append((challenge_body, answer))
    server = standalone.HTTP01Server(HTTP01_ADDRESS, resources)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for challenge_body, answer in http01:
            acme.answer_challenge(challenge_body, answer)
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
        try:
            finished = acme.poll_and_finalize(order_resource, deadline)
        except errors.Error as error:
            return {"stage": "finalize", "error": str(error),
                    "requested_not_after": not_after.isoformat()}
    finally:
        server.shutdown()
        server.server_close()
    return {"stage": "issued", "error": "", "certificate": finished.fullchain_pem,
            "requested_not_after": not_after.isoformat()}


if __name__ == "__main__":
    url, root, name, seconds = sys.argv[1:5]
    print(json.dumps(main(url, root, name, int(seconds))))
