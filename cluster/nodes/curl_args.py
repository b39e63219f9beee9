"""curl's command line as curl 7.88 reads it (tool_getparam.c): short-option
clusters such as `-sSL`, values attached (`-oFILE`) or in the next word, long names
or a unique prefix of one, `--no-` before a boolean, `--` ending the options, and
every other word a URL. Bad input raises CurlUsageError with curl's own message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

USAGE_EXIT_CODE = 2
HINT = "curl: try 'curl --help' or 'curl --manual' for more information"
UNKNOWN_OPTION = "curl: option {option}: is unknown"
AMBIGUOUS_OPTION = "curl: option {option}: is ambiguous"
REQUIRES_PARAMETER = "curl: option {option}: requires parameter"
NOT_BOOLEAN = "curl: option {option}: used '--no-' for option that isn't a boolean"
BAD_NUMBER = "curl: option {option}: expected a proper numerical parameter"
NO_URL = "curl: no URL specified!"


def _names(text: str) -> list[str]:
    return text.split()


# Every option curl 7.88 knows, by how it takes a value (tool_getparam.c).
_WITH_VALUE = _names("""abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers
config connect-timeout connect-to continue-at cookie cookie-jar create-file-mode
crlfile curves data data-ascii data-binary data-raw data-urlencode delegation
dns-interface dns-ipv4-addr dns-ipv6-addr dns-servers dump-header egd-file engine
etag-compare etag-save expect100-timeout form form-string ftp-account
ftp-alternative-to-user ftp-method ftp-port ftp-ssl-ccc-mode happy-eyeballs-timeout-ms
header hostpubmd5 hostpubsha256 hsts interface json keepalive-time key key-type krb
krb4 libcurl limit-rate local-port login-options mail-auth mail-from mail-rcpt
max-filesize max-redirs max-time netrc-file noproxy oauth2-bearer output output-dir
parallel-max pass pinnedpubkey preproxy proto proto-default proto-redir proxy
proxy-cacert proxy-capath proxy-cert proxy-cert-type proxy-ciphers proxy-crlfile
proxy-header proxy-key proxy-key-type proxy-pass proxy-pinnedpubkey
proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype proxy-tlspassword
proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate referer request
request-target resolve retry retry-delay retry-max-time sasl-authzid service-name
socks4 socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit speed-time
stderr telnet-option tftp-blksize time-cond tls-max tls13-ciphers tlsauthtype
tlspassword tlsuser trace trace-ascii unix-socket upload-file url url-query user
user-agent write-out""")
_SWITCHES = _names("""alpn anyauth append basic buffer cert-status clobber compressed
compressed-ssh create-dirs crlf digest disable disable-eprt disable-epsv
disallow-username-in-url doh-cert-status doh-insecure eprt epsv fail fail-early
fail-with-body false-start form-escape ftp-create-dirs ftp-pasv ftp-pret
ftp-skip-pasv-ip ftp-ssl ftp-ssl-ccc ftp-ssl-control ftp-ssl-reqd get globoff
haproxy-protocol head help http0.9 ignore-content-length include insecure
junk-session-cookies keepalive list-only location location-trusted
mail-rcpt-allowfails manual metalink negotiate netrc netrc-optional npn ntlm ntlm-wb
parallel parallel-immediate path-as-is post301 post302 post303 progress-bar
progress-meter proxy-anyauth proxy-basic proxy-digest proxy-insecure proxy-negotiate
proxy-ntlm proxy-ssl-allow-beast proxy-ssl-auto-client-cert proxytunnel raw
remote-header-name remote-name remote-name-all remote-time remove-on-error
retry-all-errors retry-connrefused sessionid show-error silent socks5-basic
socks5-gssapi socks5-gssapi-nec ssl ssl-allow-beast ssl-auto-client-cert
ssl-no-revoke ssl-reqd ssl-revoke-best-effort styled-output suppress-connect-headers
tcp-fastopen tcp-nodelay test-event tftp-no-options tr-encoding trace-time use-ascii
verbose version wdebug xattr""")
_PLAIN = _names("""http1.0 http1.1 http2 http2-prior-knowledge http3 http3-only ipv4 ipv6 next
proxy-tlsv1 sslv2 sslv3 tlsv1 tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3""")
LONG = (
    dict.fromkeys(_WITH_VALUE, "value")
    | dict.fromkeys(_SWITCHES, "switch")
    | dict.fromkeys(_PLAIN, "plain")
)
SHORT = {
    "0": "http1.0", "1": "tlsv1", "2": "sslv2", "3": "sslv3", "4": "ipv4",
    "6": "ipv6", "a": "append", "A": "user-agent", "b": "cookie", "B": "use-ascii",
    "c": "cookie-jar", "C": "continue-at", "d": "data", "D": "dump-header",
    "e": "referer", "E": "cert", "f": "fail", "F": "form", "g": "globoff",
    "G": "get", "h": "help", "H": "header", "i": "include", "I": "head",
    "j": "junk-session-cookies", "J": "remote-header-name", "k": "insecure",
    "K": "config", "l": "list-only", "L": "location", "m": "max-time",
    "M": "manual", "n": "netrc", "N": "buffer", "o": "output", "O": "remote-name",
    "p": "proxytunnel", "P": "ftp-port", "q": "disable", "Q": "quote", "r": "range",
    "R": "remote-time", "s": "silent", "S": "show-error", "t": "telnet-option",
    "T": "upload-file", "u": "user", "U": "proxy-user", "v": "verbose",
    "V": "version", "w": "write-out", "x": "proxy", "X": "request",
    "Y": "speed-limit", "y": "speed-time", "z": "time-cond", "Z": "parallel",
    "#": "progress-bar", ":": "next",
}  # fmt: skip
_DATA = {"data", "data-ascii", "data-binary", "data-raw", "data-urlencode"}


class CurlUsageError(ValueError):
    """The command line is not one curl accepts; `text` is what curl prints."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class CurlOptions:
    """What one curl command line asks for (the options this simulation uses)."""

    urls: list[str] = field(default_factory=list)
    silent: bool = False
    show_error: bool = False
    verbose: bool = False
    fail: bool = False
    fail_with_body: bool = False
    include: bool = False
    head: bool = False
    get: bool = False
    remote_name: bool = False
    method: str | None = None
    output: str | None = None
    write_out: str | None = None
    headers: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    user_agent: str | None = None
    referer: str | None = None
    user: str | None = None
    max_time: float | None = None
    connect_timeout: float | None = None
    resolve: list[str] = field(default_factory=list)


def usage(message: str) -> CurlUsageError:
    """A usage error: curl's message, then its hint to read the help."""
    return CurlUsageError(f"{message}\n{HINT}\n")


def parse(args: list[str]) -> CurlOptions:
    """The options of `curl args`; raises CurlUsageError with curl's own message."""
    opts = CurlOptions()
    i, flags = 0, True
    while i < len(args):
        word = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if flags and word == "--":
            flags = False
        elif flags and word.startswith("--"):
            name, on = _long_name(word)
            if LONG[name] == "value":
                if nxt is None:
                    raise usage(REQUIRES_PARAMETER.format(option=word))
                _set(opts, name, nxt, word)
                i += 1
            else:
                _set(opts, name, on, word)
        elif flags and word.startswith("-") and len(word) > 1:
            for pos, letter in enumerate(word[1:], start=1):
                name = SHORT.get(letter)
                if name is None:
                    raise usage(UNKNOWN_OPTION.format(option=word))
                if LONG[name] != "value":
                    _set(opts, name, True, word)
                    continue
                value = word[pos + 1 :]
                if not value:
                    if nxt is None:
                        raise usage(REQUIRES_PARAMETER.format(option=word))
                    value, i = nxt, i + 1
                _set(opts, name, value, word)
                break
        else:
            opts.urls.append(word)
        i += 1
    return opts


def _long_name(word: str) -> tuple[str, bool]:
    """A long option's full name (exact, or the only one it begins) and whether it
    is switched on (`--no-` switches a boolean off)."""
    text, on = word[2:], True
    if text.startswith("no-") and text not in LONG:
        stem = text[3:]
        found = _lookup(stem, word)
        if found and LONG[found] != "switch":
            raise usage(NOT_BOOLEAN.format(option=word))
        if found:
            return found, False
    found = _lookup(text, word)
    if found is None:
        raise usage(UNKNOWN_OPTION.format(option=word))
    return found, on


def _lookup(text: str, word: str) -> str | None:
    if text in LONG:
        return text
    hits = [n for n in LONG if n.startswith(text)] if text else []
    if len(hits) > 1:
        raise usage(AMBIGUOUS_OPTION.format(option=word))
    return hits[0] if hits else None


def _seconds(value: str, option: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise usage(BAD_NUMBER.format(option=option)) from None
    if seconds < 0:
        raise usage(BAD_NUMBER.format(option=option))
    return seconds


def _set(opts: CurlOptions, name: str, value, option: str) -> None:
    simple = {
        "silent": "silent",
        "show-error": "show_error",
        "verbose": "verbose",
        "fail": "fail",
        "include": "include",
        "get": "get",
        "remote-name": "remote_name",
        "request": "method",
        "output": "output",
        "write-out": "write_out",
        "user-agent": "user_agent",
        "referer": "referer",
        "user": "user",
    }
    if name in simple:
        setattr(opts, simple[name], value)
    elif name == "fail-with-body":
        opts.fail = opts.fail_with_body = bool(value)
    elif name == "head":
        opts.head = bool(value)
    elif name == "header":
        opts.headers.append(value)
    elif name in _DATA:
        opts.data.append(value)
    elif name == "max-time":
        opts.max_time = _seconds(value, option)
    elif name == "connect-timeout":
        opts.connect_timeout = _seconds(value, option)
    elif name == "resolve":
        opts.resolve.append(value)
    elif name == "url":
        opts.urls.append(value)
    # Every other option is accepted and has no effect in the simulation.
