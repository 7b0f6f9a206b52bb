"""Suricata/Snort signatures over application-layer events (sans-IO).

    rules = load_rules([("et.rules", text)], Variables.for_home(home_nets))
    rules.report.summary_lines()     # loaded / skipped (by keyword) / malformed, per file
    rules.match(event, FlowStates())  # -> [Match(rule, buffer, value)]

What runs (everything else is reported and the rule skipped, never half-applied):

- `alert` rules (other actions are reported as skipped) for http (HTTP/1 and HTTP/2; http1
  and http2 for one of them), dns, tls, and tcp/udp/ip
  rules whose keywords all inspect those protocols' buffers;
- header addresses and ports with variables ($HOME_NET from the engine's home networks,
  $EXTERNAL_NET = !$HOME_NET, $HTTP_PORTS and Suricata's other default groups), negation,
  lists, CIDR and ranges; `->` and `<>`;
- buffers (sticky and legacy forms): http.uri (normalised as libhtp does), http.uri.raw,
  http.host (lower case), http.host.raw, http.user_agent, http.method, http.protocol,
  http.request_line, http.start (the request's), http.request_body, http.header,
  http.header_names, http.cookie, http.content_type, http.content_len, http.connection, http.referer, http.accept*, and on the
  response http.stat_code, http.response_body, http.location, http.server, file.data (the
  response body, or the request body in a to_server rule); dns.query, tls.sni, ja3.hash,
  ja3.string, and on the server's side of TLS (up to 1.2: TLS 1.3 encrypts the certificate)
  tls.cert_subject, tls.cert_issuer, tls.cert_serial, tls.cert_fingerprint (of the server's
  own certificate), tls.certs (each certificate of the chain), ja3s.hash and ja3s.string; a
  rule may mix the client's and the server's TLS buffers; transforms dotprefix, to_lowercase, to_uppercase, strip_whitespace,
  compress_whitespace, url_decode, to_md5/sha1/sha256;
- content (nocase, negation, startswith, endswith, offset, depth, distance, within, hex),
  pcre (i s m x A E R and the buffer letters U I M V W Z H C P Q S), bsize, urilen, isdataat;
- flow (established, not_established, stateless, to_server/from_client, to_client/from_server),
  flowbits (set, unset, toggle, isset, isnotset with '|', noalert), noalert, threshold and
  detection_filter (counted on the events' own times);
- msg, sid, rev, gid, classtype, priority, metadata, reference for the alert.

Rule text is split with idstools (PyPI `idstools`, `idstools.rule.parse`). Tried against
suricataparser on the ET Open files in the corpus, both split all 4,738 enabled rules into the
same options; idstools was chosen because it splits the header into its seven fields
(suricataparser leaves it as one string), rejects a header with a field missing
(suricataparser accepts `alert http any any (...)`), extracts priority, references and
flowbits, and accepts an empty metadata value, where suricataparser raises IndexError on `()`
and its own exception on `metadata:;`. We still split the header again (reader.py): idstools
cuts a nested list at its first ']'.

Known differences from Suricata: HTTP bodies are inspected as far as the HTTP parser keeps them
(8 KiB of a request body; 100 KiB of a response body, as Suricata's default, 8 KiB once a flow
has kept 1 MiB); DNS names arrive lower case; a rule is matched once per transaction, on its
complete request and response; `established` on UDP means an earlier query on the same flow.
"""

from lanward.engine.rules.addresses import Variables
from lanward.engine.rules.report import FileReport, LoadReport
from lanward.engine.rules.rule import Rule
from lanward.engine.rules.ruleset import BUILTIN_SOURCE, FlowStates, Match, RuleSet, load_rules

__all__ = [
    "BUILTIN_SOURCE",
    "FileReport",
    "FlowStates",
    "LoadReport",
    "Match",
    "Rule",
    "RuleSet",
    "Variables",
    "load_rules",
]
