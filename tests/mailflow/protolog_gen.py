"""Synthetic Exchange Receive protocol logs for tests: interleaved sessions, some failing in each known way."""

import random

FIELDS = ["date-time", "connector-id", "session-id", "sequence-number", "local-endpoint", "remote-endpoint",
          "event", "data", "context"]


def conversation(rng: random.Random, fate: float, sid: str) -> list[tuple[str, str, str]]:
    """(event, data, context) rows of one Receive-log session; the fate picks how (or whether) it fails."""
    rows = [("+", "", ""), (">", '"220 mx.example.org ready, at your service"', ""), ("<", "EHLO a.example", ""),
            (">", "250 OK", ""), ("*", "", "Client certificate chain validation status: 'EmptyCertificate'"),
            ("<", f"MAIL FROM:<s{rng.randrange(99)}@a.example>", ""), (">", "250 2.1.0 Sender OK", ""),
            ("<", "RCPT TO:<r@example.org>", "")]
    if fate < 0.1:
        return [*rows, (">", "550 5.1.10 RecipientNotFound", ""), ("<", "QUIT", ""), ("-", "", "Local")]
    if fate < 0.15:
        return [*rows, ("*", "", "TLS negotiation failed with error UnknownCredentials"), ("-", "", "Remote")]
    if fate < 0.2:
        return [*rows, (">", "250 OK", ""), ("-", "", "Remote(SocketError)")]
    if fate < 0.25:
        return [*rows, (">", "250 OK", ""), ("<", "quit", ""), ("-", "", "Local")]  # lower-case QUIT still counts
    if fate < 0.3:
        return rows  # never disconnects: unfinished at the end
    if fate < 0.35:  # problems only an information row shows, in sessions that still say QUIT
        problem = rng.choice(["Client certificate chain validation status: 'UntrustedRoot'",
                              "Inbound authentication failed with error LogonDenied", "certificate has EXPIRED"])
        return [*rows, ("*", "", problem), (">", "250 OK", ""), ("<", "QUIT", ""), ("-", "", "Local")]
    if fate < 0.4:
        return [*rows, (">", "250 OK", ""), ("-", "", "Remote")]  # nothing wrong but the missing QUIT
    return [*rows, (">", "250 OK", ""), ("<", "DATA", ""), (">", '"250 2.6.0 <id@a> [InternalId=1, x] Queued"', ""),
            ("<", "QUIT", ""), (">", "221 Bye", ""), ("-", "", "Local")]


def make_log(seed: int, sessions: int, *, fields: list[str] = FIELDS, newline: str = "\r\n",
             sid_width: int = 16, interleave: int = 30) -> bytes:
    """A Receive log with ``interleave`` sessions open at once, written in the given field order."""
    rng = random.Random(seed)
    out = [f"#Software: Microsoft Exchange Server{newline}#Log-type: SMTP Receive Protocol Log{newline}"
           f"#Fields: {','.join(fields)}{newline}"]
    active: list[list] = []
    started, clock = 0, 0
    while started < sessions or active:
        while started < sessions and len(active) < interleave:
            started += 1
            sid = f"{started:0{sid_width}X}" if sid_width else f"S{started}"
            active.append([sid, 0, f"203.0.113.{started % 250}:{1000 + started}",
                           conversation(rng, rng.random(), sid)])
        slot = rng.randrange(len(active))
        sid, seq, remote, rows = active[slot]
        event, data, context = rows[seq]
        clock += 1
        values = {"date-time": f"2023-01-12T10:{clock // 60000 % 60:02d}:{clock // 1000 % 60:02d}.{clock % 1000:03d}Z",
                  "connector-id": "EX01\\Default Frontend EX01", "session-id": sid, "sequence-number": str(seq),
                  "local-endpoint": "10.0.0.5:25", "remote-endpoint": remote, "event": event, "data": data,
                  "context": context}
        out.append(",".join(values[f] for f in fields) + newline)
        active[slot][1] += 1
        if active[slot][1] == len(rows):
            active.pop(slot)
    return "".join(out).encode()
