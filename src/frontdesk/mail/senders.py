"""Is the From address of an inbound mail its real sender? What the receiving side knows.

Anyone can write any From address. Two things on the receiving side cannot be written by
the sender (docs/mail.md, "Forged senders"):

- the SMTP envelope sender (MAIL FROM) our own listener was given, and
- the SPF / DKIM / DMARC results the operator's own MTA wrote into
  `Authentication-Results` headers, trusted only under the authserv-id the operator
  configured (FRONTDESK_MAIL_AUTHSERV_ID; that MTA must strip incoming copies of it).

A trusted `dmarc=pass`, or a `dkim=pass` / `spf=pass` for a domain aligned with From's,
verifies the sender; a trusted `dmarc=fail`, or `spf=fail` for From's domain, unverifies
it. Otherwise a known envelope sender must be aligned with From (a null envelope sender
vouches for nobody). Without either (IMAP without trusted results) there is nothing to
compare, and the mail is taken as it always was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_COMMENT = re.compile(r"\([^()]*\)")
_METHOD = re.compile(r"^([a-z0-9-]+)(?:/\d+)?=([a-z]+)$")
_PROPERTY = re.compile(r"^([a-z]+\.[a-z0-9-]+)=(.+)$")
_MAX_HEADERS = 20  # Authentication-Results headers read per mail


@dataclass(frozen=True)
class Results:
    """What the trusted Authentication-Results headers of one mail say, by method."""

    results: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)

    def of(self, method: str) -> list[tuple[str, dict[str, str]]]:
        return self.results.get(method, [])


def trusted_results(headers: Sequence[str], authserv_id: str) -> Results:
    """The results of the Authentication-Results headers written under `authserv_id`."""
    found: dict[str, list[tuple[str, dict[str, str]]]] = {}
    wanted = authserv_id.strip().lower()
    if not wanted:
        return Results()
    for header in headers[:_MAX_HEADERS]:
        server, results = _parse(header)
        if server != wanted:
            continue
        for method, result, properties in results:
            found.setdefault(method, []).append((result, properties))
    return Results(found)


def _parse(header: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """(authserv-id, [(method, result, {ptype.property: value})]) of one header (RFC 8601)."""
    text = header
    for _round in range(5):  # comments may nest; a few rounds strip what real MTAs write
        text = _COMMENT.sub(" ", text)
    statements = [part.strip() for part in text.lower().split(";")]
    server = statements[0].split()[0] if statements and statements[0].split() else ""
    parsed = []
    for statement in statements[1:]:
        words = statement.replace('"', "").split()
        match = _METHOD.match(words[0]) if words else None
        if match is None:
            continue
        properties = {}
        for word in words[1:]:
            found = _PROPERTY.match(word)
            if found:
                properties[found.group(1)] = found.group(2)
        parsed.append((match.group(1), match.group(2), properties))
    return server, parsed


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rpartition("@")[2].strip().strip(">").lower() or None


def aligned(domain: str | None, other: str | None) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other."""
    if not domain or not other:
        return False
    return domain == other or domain.endswith("." + other) or other.endswith("." + domain)


def verified(from_address: str | None, envelope_from: str | None, results: Results) -> bool:
    """Whether the From address is backed by what the receiving side knows.

    `envelope_from` is None when there was no SMTP envelope (IMAP); "" is the null sender.
    """
    from_domain = domain_of(from_address)
    by_results = _by_results(from_domain, results)
    if by_results is not None:
        return by_results
    if envelope_from is None:
        return True  # nothing to compare: taken as it always was
    return aligned(domain_of(envelope_from), from_domain)


def _by_results(from_domain: str | None, results: Results) -> bool | None:
    """True or False when the trusted results decide, None when they do not."""
    dmarc = {result for result, _props in results.of("dmarc")}
    if "fail" in dmarc:
        return False
    if "pass" in dmarc:
        return True
    for result, props in results.of("dkim"):
        signer = props.get("header.d") or domain_of(props.get("header.i"))
        if result == "pass" and aligned(signer, from_domain):
            return True
    for result, props in results.of("spf"):
        envelope = domain_of(props.get("smtp.mailfrom")) or props.get("smtp.mailfrom")
        if aligned(envelope, from_domain) and result in ("pass", "fail"):
            return result == "pass"  # a hard fail: From's own domain did not send it
    return None
