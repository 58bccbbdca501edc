"""TLS for the probe's STARTTLS step (RFC 3207): the contexts it uses and what it reads from a certificate.

Senders that enforce TLS (MTA-STS, DANE, a forced-TLS connector) fail on the certificate problems found
here, while opportunistic senders carry on; the probe reports both views.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID


@dataclass
class TlsInfo:
    """What the STARTTLS handshake showed; ``verified`` is None when verification was not attempted."""

    version: str | None = None
    cipher: str | None = None
    bits: int | None = None
    subject: str | None = None
    issuer: str | None = None
    san: list[str] = field(default_factory=list)
    not_before: str | None = None
    not_after: str | None = None
    expired: bool | None = None
    self_signed: bool | None = None
    name_matches: bool | None = None
    verified: bool | None = None
    verify_error: str | None = None
    handshake_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verifying_context() -> ssl.SSLContext:
    """The system's trusted CAs plus host-name checking: the view of a sender that enforces TLS."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)


def unverified_context() -> ssl.SSLContext:
    """Accepts any certificate, as opportunistic SMTP TLS does, so its details can still be read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def verify_reason(exc: ssl.SSLCertVerificationError) -> str:
    """OpenSSL's short reason (``self-signed certificate``, ``certificate has expired``, ...)."""
    return str(exc.verify_message or exc.reason or exc)


def handshake_reason(exc: BaseException) -> str:
    """A short description of why a TLS handshake failed."""
    if isinstance(exc, TimeoutError):
        return "the handshake timed out"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).replace("_", " ").lower()
    return str(exc) or type(exc).__name__


def describe(ssl_object: ssl.SSLObject | ssl.SSLSocket, host: str, *, verified: bool | None,
             verify_error: str | None, now: datetime | None = None) -> TlsInfo:
    """Protocol, cipher and certificate details of an established TLS session."""
    cipher = ssl_object.cipher()
    info = TlsInfo(version=ssl_object.version(), cipher=cipher[0] if cipher else None,
                   bits=cipher[2] if cipher else None, verified=verified, verify_error=verify_error)
    der = ssl_object.getpeercert(binary_form=True)
    if der:
        read_certificate(info, der, host, now or datetime.now(UTC))
    return info


def read_certificate(info: TlsInfo, der: bytes, host: str, now: datetime) -> None:
    """Fill the certificate fields of ``info`` from the peer's DER certificate."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        info.verify_error = info.verify_error or "the server's certificate could not be parsed"
        return
    info.subject = cert.subject.rfc4514_string()
    info.issuer = cert.issuer.rfc4514_string()
    info.san = _alt_names(cert)
    info.not_before = cert.not_valid_before_utc.isoformat()
    info.not_after = cert.not_valid_after_utc.isoformat()
    info.expired = cert.not_valid_after_utc < now
    info.self_signed = _self_signed(cert)
    names = info.san or [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
                         if isinstance(a.value, str)]
    info.name_matches = name_matches(host, names)


def _alt_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.DNSName), *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]


def _self_signed(cert: x509.Certificate) -> bool:
    """Issued by itself: same name and signed with its own key."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, InvalidSignature):
        return False
    except TypeError:  # a key type cryptography cannot check; the names alone have to do
        return True
    return True


def name_matches(host: str, names: list[str]) -> bool:
    """Whether ``host`` is covered by one of the certificate's names.

    RFC 6125 section 6.4.3: a wildcard may only be the whole left-most label and matches exactly one label.
    """
    host = host.rstrip(".").lower()
    try:
        wanted_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        wanted_ip = None
        host = _ascii(host)
    for name in names:
        if wanted_ip is not None:
            try:
                if ipaddress.ip_address(name) == wanted_ip:
                    return True
            except ValueError:
                continue
            continue
        pattern = _ascii(name.rstrip(".").lower())
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in pattern[2:] and "." in host and host.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def _ascii(name: str) -> str:
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name
