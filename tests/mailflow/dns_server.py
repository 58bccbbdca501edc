"""A small authoritative DNS server on loopback, so the live checks meet real DNS packets in tests.

Built on dnspython (dns.message, dns.zone, dns.rrset). It answers from zone-file text over UDP and
TCP on one port, sets AA, gives NXDOMAIN and NODATA with the zone's SOA, follows CNAMEs across its
own zones (as a recursive resolver would hand them to a stub), and truncates UDP answers that do
not fit so clients retry over TCP. Names with a behaviour misbehave on purpose:

    servfail  -> rcode SERVFAIL             refused  -> rcode REFUSED
    drop      -> never answers (timeouts)   truncate -> TC bit over UDP, full answer over TCP

A behaviour applies to the name and everything below it (the most specific wins); a key such as
``"contoso.com/MX"`` limits it to one record type. Names outside every zone are REFUSED.

    with DnsTestServer({"contoso.com": "@ MX 0 contoso-com.mail.protection.outlook.com."}) as server:
        resolver = server.resolver()
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Mapping
from enum import StrEnum

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from mailflow.resolver import Nameserver, make_resolver

DEFAULT_SOA = "ns1.dns-test.invalid. hostmaster.dns-test.invalid. 1 3600 600 86400 300"
MAX_CHAIN = 16


class Behaviour(StrEnum):
    SERVFAIL = "servfail"
    REFUSED = "refused"
    DROP = "drop"
    TRUNCATE = "truncate"


def parse_zone(origin: str, text: str) -> dns.zone.Zone:
    """Zone-file text with absolute names; $TTL and an SOA are added when the text has none."""
    source = text if "$TTL" in text else f"$TTL 300\n{text}"
    zone = dns.zone.from_text(source, origin=origin, relativize=False, check_origin=False)
    soa = zone.find_rdataset(zone.origin, dns.rdatatype.SOA, create=True)
    if not soa:
        soa.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, DEFAULT_SOA), 300)
    return zone


class DnsTestServer:
    def __init__(self, zones: Mapping[str, str] | None = None, *,
                 behaviours: Mapping[str, Behaviour | str] | None = None,
                 latency: float = 0.0, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.latency = latency  # seconds added before every reply, to make concurrency measurable
        self.zones: dict[dns.name.Name, dns.zone.Zone] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp"|"tcp") in arrival order
        for origin, text in (zones or {}).items():
            self.add_zone(origin, text)
        for name, behaviour in (behaviours or {}).items():
            self.set_behaviour(name, behaviour)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    # -- configuration (safe to change while running) -------------------------------------------

    def add_zone(self, origin: str, text: str) -> None:
        zone = parse_zone(origin, text)
        self.zones[zone.origin] = zone

    def set_behaviour(self, name: str, behaviour: Behaviour | str | None) -> None:
        key = _behaviour_key(name)
        if behaviour is None:
            self.behaviours.pop(key, None)
        else:
            self.behaviours[key] = Behaviour(behaviour)

    @property
    def nameserver(self) -> Nameserver:
        return Nameserver(self.host, self.port)

    def resolver(self, *, timeout: float = 1.0, lifetime: float = 2.0) -> dns.asyncresolver.Resolver:
        return make_resolver([self.nameserver], timeout=timeout, lifetime=lifetime)

    # -- answering ------------------------------------------------------------------------------

    def behaviour_for(self, qname: dns.name.Name, rdtype: str) -> Behaviour | None:
        name = qname
        while True:
            text = name.to_text().lower()
            for key in (f"{text}/{rdtype}", text):
                if key in self.behaviours:
                    return self.behaviours[key]
            if name == dns.name.root:
                return None
            name = name.parent()

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        matches = [origin for origin in self.zones if qname.is_subdomain(origin)]
        return self.zones[max(matches, key=len)] if matches else None

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query in wire format, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((question.name.to_text(omit_final_dot=True).lower(), rdtype, transport))
        response = dns.message.make_response(query)
        behaviour = self.behaviour_for(question.name, rdtype)
        if behaviour is Behaviour.DROP:
            return None
        if behaviour in (Behaviour.SERVFAIL, Behaviour.REFUSED):
            response.set_rcode(dns.rcode.SERVFAIL if behaviour is Behaviour.SERVFAIL else dns.rcode.REFUSED)
            return response.to_wire()
        if behaviour is Behaviour.TRUNCATE and transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire()
        self._fill(response, question.name, question.rdtype)
        limit = 65535 if transport == "tcp" else (query.payload if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            short = dns.message.make_response(query)
            short.flags |= dns.flags.TC | dns.flags.AA
            return short.to_wire()

    def _fill(self, response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> None:
        zone = self.zone_for(qname)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        for _ in range(MAX_CHAIN):
            node = zone.get_node(qname)
            if node is None:
                below = any(name != qname and name.is_subdomain(qname) for name in zone.nodes)
                if not below:  # not even an empty non-terminal
                    response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(_soa(zone))
                return
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname and rdtype != dns.rdatatype.CNAME:
                response.answer.append(_rrset(qname, cname))
                qname = cname[0].target
                zone = self.zone_for(qname)
                if zone is None:  # the alias leaves our zones: hand back what we have
                    return
                continue
            found = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if found:
                response.answer.append(_rrset(qname, found))
            else:
                response.authority.append(_soa(zone))
            return
        response.set_rcode(dns.rcode.SERVFAIL)  # CNAME loop

    # -- sockets --------------------------------------------------------------------------------

    def start(self) -> DnsTestServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dns-test-server", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=5)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(20):  # UDP picks a free port; TCP must get the same one
            self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), local_addr=(self.host, 0))
            port = self._udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                self._udp.close()
                continue
            self.port = port
            return
        raise OSError("could not bind UDP and TCP to the same port")

    async def _close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (size,) = struct.unpack("!H", await reader.readexactly(2))
                reply = self.answer(await reader.readexactly(size), "tcp")
                if reply is None:
                    continue
                if self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsTestServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.server.answer(data, "udp")
        if reply is None or self.transport is None:
            return
        if self.server.latency:
            asyncio.get_running_loop().call_later(self.server.latency, self.transport.sendto, reply, addr)
        else:
            self.transport.sendto(reply, addr)


def _behaviour_key(name: str) -> str:
    host, _, rdtype = name.partition("/")
    text = dns.name.from_text(host).to_text().lower()
    return f"{text}/{rdtype.upper()}" if rdtype else text


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)
    return rrset


def _soa(zone: dns.zone.Zone) -> dns.rrset.RRset:
    return _rrset(zone.origin, zone.find_rdataset(zone.origin, dns.rdatatype.SOA))
